import { closeSync, existsSync, lstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseMetadata } from '../format/sessionMetadata.ts';
import { isValidSessionId } from '../format/sessionId.ts';
import { type SessionState, sessionState } from '../format/sessionState.ts';

export interface SessionSummary {
  id: string;
  state: SessionState;
  /** null when records reached the store without a SessionLevelProcessor. */
  level: string | null;
  created_at: string;
  ended_at: string | null;
  /** Bytes on disk (all files of the session). */
  bytes: number;
  /** Lines in the files now: active files counted, rotated segments from metadata.json. */
  records: number;
  segments: number;
}

function countLines(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return 0; // not created yet
  }
  try {
    const buffer = Buffer.allocUnsafe(64 * 1024);
    let count = 0;
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) {
      for (let at = buffer.indexOf(0x0a); at !== -1 && at < read; at = buffer.indexOf(0x0a, at + 1)) count++;
    }
    return count;
  } finally {
    closeSync(fd);
  }
}

/** Size of a file, 0 if it went away since the listing (compression replaces plain segments). */
function sizeOf(path: string): number {
  try {
    return statSync(path).size;
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
    if (!isValidSessionId(id)) continue;
    try {
      // A symlink is not a session directory (the writer refuses them too); a vanished entry was pruned.
      if (!lstatSync(dir, { throwIfNoEntry: false })?.isDirectory()) continue;
      const path = join(dir, 'metadata.json');
      const meta = parseMetadata(readFileSync(path, 'utf8'), path);
      const files = readdirSync(dir);
      const bytes = files.reduce((sum, name) => sum + sizeOf(join(dir, name)), 0);
      const records = meta.segments.reduce((sum, s) => sum + s.lines, 0) + countLines(join(dir, 'system.jsonl')) + countLines(join(dir, 'audit.jsonl'));
      sessions.push({ id, state: sessionState(meta, dir), level: meta.level, created_at: meta.created_at, ended_at: meta.ended_at, bytes, records, segments: meta.segments.length });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync(dir)) continue; // removed while we looked
      errors.push({ id, message: (error as Error).message });
    }
  }
  return { sessions, errors };
}
