import { hostname } from 'node:os';
import type { SessionMetadata } from './sessionMetadata.ts';

/** live: its writer runs; ended: closed normally; abandoned: no ended_at and the writer is gone. */
export type SessionState = 'live' | 'ended' | 'abandoned';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A session written on another host without ended_at counts as live: we cannot tell. */
export function sessionState(meta: SessionMetadata): SessionState {
  if (meta.ended_at) return 'ended';
  if (meta.hostname !== hostname()) return 'live';
  return processAlive(meta.pid) ? 'live' : 'abandoned';
}
