import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { type Stream, STREAMS } from '../format/fileNames.ts';
import { assertSessionId } from '../format/sessionId.ts';
import { readLines } from './readLines.ts';
import { readLinesBackward } from './readLinesBackward.ts';
import { type LogLine, type ReadFilters, type ReadProblem, type SessionRecord, parseRecord, recordFilter } from './readSession.ts';
import { ACTIVE_NUMBER, type SessionFile, segmentBefore, streamFiles, withSegment } from './sessionFiles.ts';

export interface SessionTail {
  /** The last records that match, in seq order. */
  records: SessionRecord[];
  /** Per file, the last seq on disk (whether it matched or not): where a follow goes on. */
  after: Record<Stream, number>;
}

/** Newest first, what one stream's pass has found. */
interface StreamTail {
  found: SessionRecord[];
  lastSeq: number;
  /** Lowest seq taken so far: an older file only counts below it (a rotation during the read shows a file twice). */
  floor: number;
}

/**
 * One stream from its end: the active file and then as many segments back as it takes to
 * find `count` matching records (and the stream's last seq). A plain file is read backwards
 * in chunks; a compressed segment from its start, keeping only the last records it needs.
 */
async function tailStream(dir: string, stream: Stream, count: number, matches: (record: LogLine) => boolean, onProblem: (problem: ReadProblem) => void): Promise<StreamTail> {
  const tail: StreamTail = { found: [], lastSeq: 0, floor: Infinity };
  const done = () => tail.found.length >= count && tail.lastSeq !== 0;
  /** The record on a line, or undefined for an empty, torn or unreadable line (reported). */
  const parsed = (text: string, torn: boolean, file: SessionFile, lineNumber: number): LogLine | undefined => {
    if (text === '') return undefined;
    if (torn) {
      // The last line of an active file may be a write under way: a follow prints it when complete.
      if (!file.active) onProblem({ file: file.name, lineNumber, kind: 'torn', active: false, message: 'last line has no newline (torn by a crash)' });
      return undefined;
    }
    const record = parseRecord(text);
    if (!record) onProblem({ file: file.name, lineNumber, kind: 'unparseable', active: file.active, message: 'not a record with a numeric seq' });
    return record;
  };

  const active = streamFiles(dir, stream).find((file) => file.active);
  const handle = active && (await fsp.open(active.path, 'r').catch(() => undefined));
  if (active && handle) {
    try {
      for await (const { text, torn } of readLinesBackward(handle)) {
        const record = parsed(text, torn, active, 0);
        if (!record || record.seq >= tail.floor) continue;
        tail.floor = record.seq;
        tail.lastSeq ||= record.seq;
        if (matches(record)) tail.found.push({ record, line: text, file: active.name, lineNumber: 0 });
        if (done()) return tail;
      }
    } finally {
      await handle.close();
    }
  }
  for (let number = ACTIVE_NUMBER; !done();) {
    const segment = segmentBefore(dir, stream, number);
    if (!segment) break;
    number = segment.number;
    await withSegment(dir, stream, number, async (file) => {
      // Forward through the file (compressed data has no end to start from), keeping only the last ones needed.
      const need = count - tail.found.length;
      let kept: SessionRecord[] = [];
      let lowest = Infinity;
      let highest = 0;
      try {
        for await (const { text, torn, lineNumber } of readLines(file.path)) {
          const record = parsed(text, torn, file, lineNumber);
          if (!record || record.seq >= tail.floor) continue;
          lowest = Math.min(lowest, record.seq);
          highest = Math.max(highest, record.seq);
          if (!matches(record)) continue;
          kept.push({ record, line: text, file: file.name, lineNumber });
          if (kept.length >= 2 * need + 1024) kept = kept.slice(-need);
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw error; // replaced meanwhile: withSegment reads its copy
        onProblem({ file: file.name, lineNumber: 0, kind: 'corrupt', active: false, message: (error as Error).message });
      }
      tail.found.push(...(need > 0 ? kept.slice(-need) : []).reverse());
      tail.floor = Math.min(tail.floor, lowest);
      tail.lastSeq ||= highest;
    });
  }
  return tail;
}

/**
 * The last `count` records of a session that match `filters`, in seq order, reading each
 * file from its end and only as many segments back as needed: the cost depends on `count`,
 * not on the length of the session. Unreadable lines met on the way go to `onProblem`.
 */
export async function tailSession(root: string, sessionId: string, count: number, filters: ReadFilters = {}, onProblem: (problem: ReadProblem) => void = () => {}): Promise<SessionTail> {
  assertSessionId(sessionId);
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count ${count} is not allowed; allowed: an integer >= 0`);
  const dir = join(root, sessionId);
  const matches = recordFilter(filters);
  const tails = await Promise.all(STREAMS.map((stream) => tailStream(dir, stream, count, matches, onProblem)));
  const records = tails.flatMap((tail) => tail.found).sort((a, b) => a.record.seq - b.record.seq);
  return {
    records: count === 0 ? [] : records.slice(-count),
    after: Object.fromEntries(STREAMS.map((stream, index) => [stream, tails[index]!.lastSeq])) as Record<Stream, number>,
  };
}
