import { mkdtempSync, readdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, zstdDecompressSync } from 'node:zlib';

export interface Line {
  ts: string;
  seq: number;
  session_id: string;
  event: string;
  category: 'audit' | 'system';
  tier: string;
  severity: string;
  body: unknown;
  body_encoding?: string;
  attrs: Record<string, unknown>;
  chain?: string;
}

/**
 * Every directory a test process makes is inside one parent, `osl-tests-<pid>-XXXXXX` in the
 * OS temp dir, removed when the process exits: a test process killed before its exit hook
 * (a CI timeout, kill -9) leaves one directory behind, not thousands, and the next test
 * process removes the parents of processes that are gone.
 */
const PARENT_PREFIX = 'osl-tests-';
let parent: string | undefined;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

/** Parents left by test processes that are no longer running. */
function removeLeftParents(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(/^osl-tests-(\d+)-/.exec(name)?.[1]);
    if (pid > 0 && pid !== process.pid && !isAlive(pid)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

function parentDir(): string {
  if (parent !== undefined) return parent;
  if (!process.env.KEEP_TEST_DIRS) removeLeftParents();
  const made = mkdtempSync(join(tmpdir(), `${PARENT_PREFIX}${process.pid}-`));
  process.on('exit', () => {
    if (!process.env.KEEP_TEST_DIRS) rmSync(made, { recursive: true, force: true });
  });
  return (parent = made);
}

/** A fresh directory in this test process's parent directory, removed when the process exits (KEEP_TEST_DIRS=1 keeps it). */
export function tempDir(prefix = 'osl-test-'): string {
  return mkdtempSync(join(parentDir(), prefix));
}

function textOf(path: string): string {
  const data = readFileSync(path);
  if (path.endsWith('.gz')) return gunzipSync(data).toString('utf8');
  if (path.endsWith('.zst')) return zstdDecompressSync(data).toString('utf8');
  return data.toString('utf8');
}

/** Every line of one stream (segments in number order, then the active file), parsed. */
export function streamLines(dir: string, stream: 'system' | 'audit'): Line[] {
  if (!existsSync(dir)) return [];
  const segments = readdirSync(dir).filter((name) => new RegExp(`^${stream}\\.\\d{6}\\.jsonl(\\.gz|\\.zst)?$`).test(name)).sort();
  const files = [...segments.map((name) => join(dir, name)), join(dir, `${stream}.jsonl`)].filter((path) => existsSync(path));
  return files.flatMap((path) => textOf(path).split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Line));
}

/** Raw text lines of one file. */
export function rawLines(path: string): string[] {
  return textOf(path).split('\n').filter((line) => line !== '');
}

/** Both streams merged by seq. */
export function sessionLines(root: string, id: string): Line[] {
  const dir = join(root, id);
  return [...streamLines(dir, 'system'), ...streamLines(dir, 'audit')].sort((a, b) => a.seq - b.seq);
}

/** Fails unless seqs are exactly first..first+n-1 with no gap or duplicate. */
export function assertContiguous(lines: Line[], first = 1): void {
  lines.forEach((line, i) => {
    if (line.seq !== first + i) throw new Error(`seq not contiguous at index ${i}: expected ${first + i}, got ${line.seq}`);
  });
}

export function readMetadata(root: string, id: string): Record<string, any> {
  return JSON.parse(readFileSync(join(root, id, 'metadata.json'), 'utf8'));
}
