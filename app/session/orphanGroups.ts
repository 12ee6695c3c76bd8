import { readdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isValidSessionId } from '../../format/sessionId.ts';
import { parseMetadata } from '../../format/sessionMetadata.ts';
import { sessionState } from '../../format/sessionState.ts';
import { groupAlive, processStartTicks } from './processGroup.ts';

/** A session's process group still running although the server that wrote its log is gone. */
export interface OrphanGroup {
  id: string;
  pgid: number;
  command: string;
  /** The server process that ran it (dead). */
  server_pid: number;
}

/**
 * Process groups of sessions whose server died without ending them (kill -9, a crash): the
 * session's metadata.json has no ended_at, its writer process is gone, and the group it
 * recorded still has processes. A group number reused since is told apart by the leader's
 * start time; a group whose leader has exited keeps its number while any member lives.
 */
export async function findOrphanGroups(root: string): Promise<OrphanGroup[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return []; // no log directory yet
  }
  const orphans: OrphanGroup[] = [];
  for (const id of names.sort()) {
    if (!isValidSessionId(id)) continue;
    let text: string;
    try {
      text = await readFile(join(root, id, 'metadata.json'), 'utf8');
    } catch {
      continue;
    }
    let meta;
    try {
      meta = parseMetadata(text, join(root, id, 'metadata.json'));
    } catch {
      continue; // verify reports unreadable metadata; not ours to judge here
    }
    const { pgid, pid_start_ticks: started, command } = meta.attributes;
    // Our own pid in metadata.json is an earlier server that had the same number (a restart in a
    // fresh pid namespace): this server has opened nothing yet.
    const abandoned = meta.pid === process.pid && meta.hostname === hostname() ? !meta.ended_at : sessionState(meta) === 'abandoned';
    if (typeof pgid !== 'number' || !abandoned || !groupAlive(pgid)) continue;
    const leaderStarted = processStartTicks(pgid);
    if (leaderStarted !== undefined && typeof started === 'number' && leaderStarted !== started) continue; // a new process got the number
    orphans.push({ id, pgid, command: typeof command === 'string' ? command : '', server_pid: meta.pid });
  }
  return orphans;
}
