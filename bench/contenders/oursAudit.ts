import { createOurs } from './ours.ts';
import type { Contender } from '../workload.ts';

/** The direct route in the default durability: audit lines fdatasync'ed (group commit) while the workload runs. */
export function create(dir: string, sessions: number): Contender {
  return createOurs(dir, sessions, { durability: 'audit', sdk: false });
}
