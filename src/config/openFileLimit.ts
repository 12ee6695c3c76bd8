import { readFileSync } from 'node:fs';

/** The budget when the limit cannot be read (not Linux): what most systems allow many times over. */
const FALLBACK = 256;
const MAX_BUDGET = 8192;

/**
 * The default descriptor budget of the session store: a quarter of this process's limit on
 * open files (Node raises the soft limit to the hard one at start), between 256 and 8,192.
 * The rest is left to sockets, pipes and children. A budget below the files being written
 * makes the store close and reopen files on every turn (a least-recently-used cache walked
 * in a circle misses every time); with 1,000 busy sessions (2,000 files) that cost about a
 * third of the throughput (docs/performance.md), so the default follows the machine.
 */
let cached: number | undefined;

export function defaultMaxOpenFiles(): number {
  cached ??= maxOpenFilesFor(readLimits());
  return cached;
}

/** The budget for a process whose /proc/self/limits reads `limitsText` (undefined: unknown). */
export function maxOpenFilesFor(limitsText: string | undefined): number {
  const match = limitsText?.match(/^Max open files\s+(\d+|unlimited)\s/m);
  if (!match) return FALLBACK;
  const soft = match[1] === 'unlimited' ? Infinity : Number(match[1]);
  return Math.max(FALLBACK, Math.min(MAX_BUDGET, Math.floor(soft / 4)));
}

function readLimits(): string | undefined {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
}
