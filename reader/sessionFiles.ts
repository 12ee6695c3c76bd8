import { existsSync, promises as fsp, readdirSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { type Stream, activeFileName, isSupersededSegment, parseSegmentFileName } from '../format/fileNames.ts';
import { type FileLine, readLines } from './readLines.ts';

export interface SessionFile {
  path: string;
  name: string;
  stream: Stream;
  /** Segment number; the active file comes after every segment. */
  number: number;
  active: boolean;
}

export const ACTIVE_NUMBER = Number.MAX_SAFE_INTEGER;

/** A stream's files in write order: rotated segments by number, then the active file. */
export function streamFiles(sessionDir: string, stream: Stream): SessionFile[] {
  const files: SessionFile[] = [];
  const names = readdirSync(sessionDir);
  const present = new Set(names);
  for (const name of names) {
    const segment = parseSegmentFileName(name);
    if (!segment || segment.stream !== stream || isSupersededSegment(name, present)) continue;
    files.push({ path: join(sessionDir, name), name, stream, number: segment.number, active: false });
  }
  files.sort((a, b) => a.number - b.number);
  const active = activeFileName(stream);
  if (existsSync(join(sessionDir, active))) files.push({ path: join(sessionDir, active), name: active, stream, number: ACTIVE_NUMBER, active: true });
  return files;
}

/** The newest segment numbered below `number` (Infinity: the newest of all); undefined if none or the directory is gone. */
export function segmentBefore(sessionDir: string, stream: Stream, number: number): SessionFile | undefined {
  try {
    return streamFiles(sessionDir, stream).filter((file) => !file.active && file.number < number).pop();
  } catch {
    return undefined;
  }
}

/**
 * Run `read` on segment `number`, listing the directory again when the file went away
 * meanwhile: compression replaces a plain segment by its copy under the same number.
 * Undefined when the segment (or the directory) is gone; other errors are thrown.
 */
export async function withSegment<T>(sessionDir: string, stream: Stream, number: number, read: (file: SessionFile) => Promise<T>): Promise<T | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    let file: SessionFile | undefined;
    try {
      file = streamFiles(sessionDir, stream).find((candidate) => candidate.number === number);
    } catch {
      return undefined;
    }
    if (!file) return undefined;
    try {
      return await read(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return undefined;
}

export type StreamLine = (FileLine & { file: SessionFile; error?: undefined }) | { file: SessionFile; error: Error & { code?: string } };

/**
 * Every line of one stream, file after file. The directory is listed again before each file,
 * so a segment that compression replaced (or the cap removed) after an earlier listing is
 * read in its new form (or skipped), and a rotation during the read is followed. A file that
 * fails part-way (truncated or corrupt compressed data) yields its lines, then its error.
 */
export async function* streamLines(sessionDir: string, stream: Stream): AsyncGenerator<StreamLine> {
  let after = 0;
  for (;;) {
    let file: SessionFile | undefined;
    try {
      file = streamFiles(sessionDir, stream).find((candidate) => candidate.number > after);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // the session directory went away
      throw error;
    }
    if (!file) return;
    let handle: FileHandle | undefined;
    if (file.active) {
      // Opened before a last look: if a rotation renamed it away first, read that segment first.
      handle = await fsp.open(file.path, 'r').catch(() => undefined);
      if (!handle) return;
      if (streamFiles(sessionDir, stream).some((candidate) => !candidate.active && candidate.number > after)) {
        await handle.close();
        continue;
      }
    }
    let lines = 0;
    try {
      for await (const line of readLines(file.path, handle)) {
        lines++;
        yield { ...line, file };
      }
    } catch (error) {
      // Gone between the listing and the open: list again (its compressed copy has the same number).
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && lines === 0 && !file.active) continue;
      yield { file, error: error as Error };
    }
    if (file.active) return;
    after = file.number;
  }
}
