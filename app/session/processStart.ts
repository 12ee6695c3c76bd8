import { readFileSync } from 'node:fs';

/**
 * When process `pid` started, in clock ticks since boot (/proc/<pid>/stat field 22), or
 * undefined where there is no /proc. With the pid it names one process for good: a pid that
 * was reused has another start time. (/proc is in memory: reading it does not wait on a disk.)
 */
export function processStartTicks(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2 (the command name) may hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[19]);
  return Number.isSafeInteger(ticks) ? ticks : undefined;
}

/** True while any process of group `pgid` exists (EPERM: it exists but is not ours to signal). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
