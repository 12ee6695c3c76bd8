import { hostname } from 'node:os';
import { lockOwnerAlive, readLockOwner } from './lockFile.ts';
import type { SessionMetadata } from './sessionMetadata.ts';

/** live: a process writes it; ended: closed normally; abandoned: no ended_at and its writer is gone. */
export type SessionState = 'live' | 'ended' | 'abandoned';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The lock file decides (a live owner holds it while writing); a session written before
 * there were locks falls back to metadata.json's pid. Another host's session without
 * ended_at counts as live: we cannot tell.
 */
export function sessionState(meta: SessionMetadata, sessionDir?: string): SessionState {
  if (meta.ended_at) return 'ended';
  const owner = sessionDir === undefined ? undefined : readLockOwner(sessionDir);
  if (owner) return lockOwnerAlive(owner) ? 'live' : 'abandoned';
  if (meta.hostname !== hostname()) return 'live';
  return processAlive(meta.pid) ? 'live' : 'abandoned';
}
