import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE } from './fileNames.ts';

/** Who holds a session's lock file: written by storage/SessionLock.ts, read by anyone. */
export interface LockOwner {
  pid: number;
  hostname: string;
  /** The process's start time (Linux /proc), so a reused pid is not taken for the owner. */
  start: string | null;
  at: string;
}

export function formatLockOwner(owner: LockOwner): string {
  return JSON.stringify(owner) + '\n';
}

export function parseLockOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value?.pid !== 'number' || typeof value.hostname !== 'string') return undefined;
    return { pid: value.pid, hostname: value.hostname, start: typeof value.start === 'string' ? value.start : null, at: String(value.at ?? '') };
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); null where there is no /proc. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

export function currentLockOwner(): LockOwner {
  return { pid: process.pid, hostname: hostname(), start: processStartTime(process.pid), at: new Date().toISOString() };
}

/**
 * Is the owner still running? On another host we cannot tell and answer true (the lock
 * is not ours to break); on this host the pid must be alive and, where /proc tells, have
 * the same start time.
 */
export function lockOwnerAlive(owner: LockOwner): boolean {
  if (owner.hostname !== hostname()) return true;
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const start = processStartTime(owner.pid);
  return owner.start === null || start === null || start === owner.start;
}

/** The owner named by a session directory's lock file; undefined when there is none (or it is not a regular file). */
export function readLockOwner(sessionDir: string): LockOwner | undefined {
  let fd: number;
  try {
    fd = openSync(join(sessionDir, LOCK_FILE), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    return parseLockOwner(readFileSync(fd, 'utf8'));
  } finally {
    closeSync(fd);
  }
}
