import { createOurs } from './ours.ts';
import type { Contender } from '../workload.ts';

/** The facade with a no-op extra processor: every record is an SDK record through SessionLevelProcessor. */
export function create(dir: string, sessions: number): Contender {
  return createOurs(dir, sessions, { durability: 'none', sdk: true });
}
