import { join } from 'node:path';
import type { Stream } from '../format/fileNames.ts';
import { type Level, levelRank, LEVELS } from '../src/levels.ts';
import { assertSessionId } from '../format/sessionId.ts';
import { streamLines } from './sessionFiles.ts';

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
  /** Only records of this category (audit: what users did; system: what the machine did). */
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
  /** In an active file: a torn last line there may be a write still under way. */
  active: boolean;
  message: string;
}

/** The record on a line, or undefined for a line that is not JSON or has no numeric seq. */
export function parseRecord(text: string): LogLine | undefined {
  try {
    const record = JSON.parse(text) as LogLine;
    return typeof record === 'object' && record !== null && typeof record.seq === 'number' ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Records of one stream in file order; problems go to `onProblem` and are skipped. */
async function* streamRecords(sessionDir: string, stream: Stream, onProblem: (problem: ReadProblem) => void): AsyncGenerator<SessionRecord> {
  for await (const item of streamLines(sessionDir, stream)) {
    const { file } = item;
    if (item.error) {
      onProblem({ file: file.name, lineNumber: 0, kind: 'corrupt', active: file.active, message: item.error.message });
      continue;
    }
    const { text, lineNumber } = item;
    if (text === '') continue;
    if (item.torn) {
      onProblem({ file: file.name, lineNumber, kind: 'torn', active: file.active, message: 'last line has no newline (torn by a crash, or still being written)' });
      continue;
    }
    let record: LogLine;
    try {
      record = JSON.parse(text) as LogLine;
    } catch (error) {
      onProblem({ file: file.name, lineNumber, kind: 'unparseable', active: file.active, message: (error as Error).message });
      continue;
    }
    if (typeof record !== 'object' || record === null || typeof record.seq !== 'number') {
      onProblem({ file: file.name, lineNumber, kind: 'unparseable', active: file.active, message: 'not a record (no numeric seq)' });
      continue;
    }
    yield { record, line: text, file: file.name, lineNumber };
  }
}

const NANO_TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;

/**
 * A time bound in the form of `ts` (nanoseconds, UTC), so that bounds compare as strings.
 * Any ISO 8601 time is accepted; one of millisecond precision covers its whole millisecond.
 * Throws a RangeError naming the value for one that is not a time.
 */
export function timeBound(value: string, end: 'since' | 'until'): string {
  if (NANO_TS.test(value)) return value;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new RangeError(`${end} ${JSON.stringify(value)} is not a time; allowed: ISO 8601, e.g. 2026-11-25T07:00:00Z`);
  return new Date(ms).toISOString().replace('Z', end === 'until' ? '999999Z' : '000000Z');
}

/** The filters as one predicate (shared by readSession and followSession). */
export function recordFilter(filters: ReadFilters): (record: LogLine) => boolean {
  const maxRank = filters.level ? levelRank(filters.level) : 3;
  // "2026-11-25T07:00:00Z" sorts after "2026-11-25T07:00:00.5...Z" as text: compare in ts's own form.
  const since = filters.since === undefined ? undefined : timeBound(filters.since, 'since');
  const until = filters.until === undefined ? undefined : timeBound(filters.until, 'until');
  return (record) => {
    if (filters.stream && record.category !== filters.stream) return false;
    if (filters.events && !filters.events.includes(record.event)) return false;
    if (maxRank < 3 && !(LEVELS.includes(record.tier) && levelRank(record.tier) <= maxRank)) return false;
    if (since && record.ts < since) return false;
    if (until && record.ts > until) return false;
    return true;
  };
}

/**
 * Every record of a session in seq order, across rotated segments (plain, gzip, zstd) and
 * the active files, merging audit and system; constant memory (two open line streams).
 * Unreadable lines are skipped and passed to `onProblem`.
 */
export async function* readSession(root: string, sessionId: string, filters: ReadFilters = {}, onProblem: (problem: ReadProblem) => void = () => {}): AsyncGenerator<SessionRecord> {
  assertSessionId(sessionId);
  const dir = join(root, sessionId);
  // Both files even for one stream: with separate_audit_trail = false audit records are in system.jsonl.
  const streams: Stream[] = filters.stream === 'system' ? ['system'] : ['system', 'audit'];
  const matches = recordFilter(filters); // throws on a bad bound before any file is opened
  const iterators = streams.map((stream) => streamRecords(dir, stream, onProblem));
  try {
    const heads = await Promise.all(iterators.map((iterator) => iterator.next()));
    for (;;) {
      let next = -1;
      for (let i = 0; i < heads.length; i++) {
        if (heads[i]!.done) continue;
        if (next === -1 || (heads[i]!.value as SessionRecord).record.seq < (heads[next]!.value as SessionRecord).record.seq) next = i;
      }
      if (next === -1) return;
      const item = heads[next]!.value as SessionRecord;
      heads[next] = await iterators[next]!.next();
      if (matches(item.record)) yield item;
    }
  } finally {
    // A consumer that stops early (break) closes both files now, not at garbage collection.
    await Promise.all(iterators.map((iterator) => iterator.return(undefined)));
  }
}
