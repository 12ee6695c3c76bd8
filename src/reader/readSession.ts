import { join } from 'node:path';
import type { Stream } from '../../exporters/SegmentWriter.ts';
import { type Level, levelRank, LEVELS } from '../levels.ts';
import { assertSessionId } from '../sessionId.ts';
import { readLines } from './readLines.ts';
import { streamFiles } from './sessionFiles.ts';

/** One line of a session file, parsed (docs/layout.md). */
export interface LogLine {
  ts: string;
  seq: number;
  session_id: string;
  event: string;
  category: 'audit' | 'system';
  tier: Level;
  severity: string;
  body: unknown;
  body_encoding?: 'base64';
  attrs: Record<string, unknown>;
  trace_id?: string;
  span_id?: string;
  chain?: string;
}

export interface ReadFilters {
  /** Only one of the two files. */
  stream?: Stream;
  /** Records whose tier is at most this level. */
  level?: Level;
  events?: readonly string[];
  /** ISO 8601 bounds on `ts`, inclusive. */
  since?: string;
  until?: string;
}

export interface SessionRecord {
  record: LogLine;
  /** The line exactly as written. */
  line: string;
  file: string;
  lineNumber: number;
}

/** A line that could not be read: torn, not JSON, or a segment that failed to decompress. */
export interface ReadProblem {
  file: string;
  lineNumber: number;
  kind: 'torn' | 'unparseable' | 'corrupt';
  message: string;
}

/** Records of one stream in file order; problems go to `onProblem` and are skipped. */
async function* streamRecords(sessionDir: string, stream: Stream, onProblem: (problem: ReadProblem) => void): AsyncGenerator<SessionRecord> {
  for (const file of streamFiles(sessionDir, stream)) {
    try {
      for await (const { text, lineNumber, torn } of readLines(file.path)) {
        if (text === '') continue;
        if (torn) {
          onProblem({ file: file.name, lineNumber, kind: 'torn', message: 'last line has no newline (torn by a crash, or still being written)' });
          continue;
        }
        let record: LogLine;
        try {
          record = JSON.parse(text) as LogLine;
        } catch (error) {
          onProblem({ file: file.name, lineNumber, kind: 'unparseable', message: (error as Error).message });
          continue;
        }
        if (typeof record !== 'object' || record === null || typeof record.seq !== 'number') {
          onProblem({ file: file.name, lineNumber, kind: 'unparseable', message: 'not a record (no numeric seq)' });
          continue;
        }
        yield { record, line: text, file: file.name, lineNumber };
      }
    } catch (error) {
      onProblem({ file: file.name, lineNumber: 0, kind: 'corrupt', message: (error as Error).message });
    }
  }
}

function matches(record: LogLine, filters: ReadFilters, maxRank: number): boolean {
  if (filters.events && !filters.events.includes(record.event)) return false;
  if (maxRank < 3 && !(LEVELS.includes(record.tier) && levelRank(record.tier) <= maxRank)) return false;
  if (filters.since && record.ts < filters.since) return false;
  if (filters.until && record.ts > filters.until) return false;
  return true;
}

/**
 * Every record of a session in seq order, across rotated segments (plain, gzip, zstd) and
 * the active files, merging audit and system; constant memory (two open line streams).
 * Unreadable lines are skipped and passed to `onProblem`.
 */
export async function* readSession(root: string, sessionId: string, filters: ReadFilters = {}, onProblem: (problem: ReadProblem) => void = () => {}): AsyncGenerator<SessionRecord> {
  assertSessionId(sessionId);
  const dir = join(root, sessionId);
  const streams: Stream[] = filters.stream ? [filters.stream] : ['system', 'audit'];
  const iterators = streams.map((stream) => streamRecords(dir, stream, onProblem));
  const heads = await Promise.all(iterators.map((iterator) => iterator.next()));
  const maxRank = filters.level ? levelRank(filters.level) : 3;
  for (;;) {
    let next = -1;
    for (let i = 0; i < heads.length; i++) {
      if (heads[i]!.done) continue;
      if (next === -1 || (heads[i]!.value as SessionRecord).record.seq < (heads[next]!.value as SessionRecord).record.seq) next = i;
    }
    if (next === -1) return;
    const item = heads[next]!.value as SessionRecord;
    heads[next] = await iterators[next]!.next();
    if (matches(item.record, filters, maxRank)) yield item;
  }
}
