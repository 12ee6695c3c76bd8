import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SEGMENT_PATTERN } from '../../exporters/recoverSessionState.ts';
import type { Stream } from '../../exporters/SegmentWriter.ts';

export interface SessionFile {
  path: string;
  name: string;
  stream: Stream;
  /** Segment number; the active file comes after every segment. */
  number: number;
  active: boolean;
}

/** A stream's files in write order: rotated segments by number, then the active file. */
export function streamFiles(sessionDir: string, stream: Stream): SessionFile[] {
  const files: SessionFile[] = [];
  const names = readdirSync(sessionDir);
  const present = new Set(names);
  for (const name of names) {
    const match = SEGMENT_PATTERN.exec(name);
    if (!match || match[1] !== stream) continue;
    // Between compression's rename and its removal of the plain file both exist: read the compressed one.
    if (!match[3] && (present.has(name + '.gz') || present.has(name + '.zst'))) continue;
    files.push({ path: join(sessionDir, name), name, stream, number: Number(match[2]), active: false });
  }
  files.sort((a, b) => a.number - b.number);
  const active = `${stream}.jsonl`;
  if (existsSync(join(sessionDir, active))) files.push({ path: join(sessionDir, active), name: active, stream, number: Number.MAX_SAFE_INTEGER, active: true });
  return files;
}
