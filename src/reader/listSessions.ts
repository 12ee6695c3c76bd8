import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseMetadata } from '../../exporters/SessionMetadata.ts';
import type { Level } from '../levels.ts';
import { isValidSessionId } from '../sessionId.ts';
import { type SessionState, sessionState } from '../../exporters/sessionState.ts';

export interface SessionSummary {
  id: string;
  state: SessionState;
  level: Level;
  created_at: string;
  ended_at: string | null;
  /** Bytes on disk (all files of the session). */
  bytes: number;
  /** Lines in the files now: active files counted, rotated segments from metadata.json. */
  records: number;
  segments: number;
}

function countLines(path: string): number {
  try {
    const data = readFileSync(path);
    let count = 0;
    for (let at = data.indexOf(0x0a); at !== -1; at = data.indexOf(0x0a, at + 1)) count++;
    return count;
  } catch {
    return 0;
  }
}

/** Every session directory under `root` that has a metadata.json; the unreadable ones in `errors`. */
export function listSessions(root: string): { sessions: SessionSummary[]; errors: Array<{ id: string; message: string }> } {
  const sessions: SessionSummary[] = [];
  const errors: Array<{ id: string; message: string }> = [];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch (error) {
    throw new Error(`cannot read the log directory ${root}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  for (const id of names.sort()) {
    const dir = join(root, id);
    if (!isValidSessionId(id) || !lstatSync(dir).isDirectory()) continue;
    try {
      const path = join(dir, 'metadata.json');
      const meta = parseMetadata(readFileSync(path, 'utf8'), path);
      const files = readdirSync(dir);
      const bytes = files.reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
      const records = meta.segments.reduce((sum, s) => sum + s.lines, 0) + countLines(join(dir, 'system.jsonl')) + countLines(join(dir, 'audit.jsonl'));
      sessions.push({ id, state: sessionState(meta), level: meta.level, created_at: meta.created_at, ended_at: meta.ended_at, bytes, records, segments: meta.segments.length });
    } catch (error) {
      errors.push({ id, message: (error as Error).message });
    }
  }
  return { sessions, errors };
}
