import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nextChain, splitChainedLine } from '../format/auditChain.ts';
import { type SessionMetadata, type StoredSegment, parseMetadata } from '../format/sessionMetadata.ts';
import type { Stream } from '../format/fileNames.ts';
import { sessionState } from '../format/sessionState.ts';
import { assertSessionId } from '../format/sessionId.ts';
import { MissingSeqs } from './MissingSeqs.ts';
import { type SessionFile, streamLines } from './sessionFiles.ts';

export type ProblemKind =
  | 'gap' | 'duplicate' | 'out_of_order' | 'torn' | 'unparseable' | 'corrupt_segment'
  | 'broken_chain' | 'missing_segment' | 'unlisted_segment' | 'segment_mismatch' | 'metadata';

export interface Problem {
  session: string;
  kind: ProblemKind;
  file?: string;
  line?: number;
  seq?: number;
  message: string;
}

type Report = (problem: Omit<Problem, 'session'>) => void;

interface Entry {
  seq: number;
  file: string;
  line: number;
  /** An audit line whose chain does not follow from the line before (an audit line was deleted before it). */
  chainBroken: boolean;
}

/** What one stream's pass learned, read after it ends. */
interface StreamSummary {
  lastSeq: number;
  /** Chain value of the last audit line ('' if none). */
  lastChain: string;
  lines: number;
}

/** How far a check has come: lines read so far (both files) and the file being read. */
export interface VerifyProgress {
  lines: number;
  file: string;
}

export interface VerifyOptions {
  /** Called when a file is started and every 10,000 lines, e.g. for a progress line. */
  onProgress?: (progress: VerifyProgress) => void;
}

interface Context {
  meta: SessionMetadata;
  live: boolean;
  listed: Map<string, StoredSegment>;
  report: Report;
  missing: MissingSeqs;
  /** Files that yielded at least one line. */
  seen: Set<string>;
  /** Called for every line read, with the file's name. */
  progress: (file: string, newFile: boolean) => void;
}

function progressReporter(onProgress: VerifyOptions['onProgress']): Context['progress'] {
  if (!onProgress) return () => {};
  let lines = 0;
  return (file, newFile) => {
    if (newFile || ++lines % 10_000 === 0) onProgress({ lines, file });
  };
}

/**
 * One file's lines in seq order, checked on the way: torn and unparseable lines, order,
 * the audit chain, and each segment against its metadata.json entry. Yields only records
 * that move the stream forward, so the merge sees each stream strictly ascending.
 */
async function* checkedStream(dir: string, stream: Stream, ctx: Context, summary: StreamSummary): AsyncGenerator<Entry> {
  const { meta, live, listed, report } = ctx;
  // The chain runs over the audit lines written. Lines written and then removed (cap,
  // retention) or lost with a replaced file are in it: after them it continues from the
  // range's chain_after (a removal recorded without one: it restarts, taken as given).
  // Dropped lines were never written and are not in it.
  const chainBreaks = [...meta.removed, ...meta.drops.filter((drop) => drop.chain_after !== undefined)].filter((range) => range.stream === stream).sort((a, b) => a.last_seq - b.last_seq);
  let nextBreak = 0;
  // Seqs only grow, so one pointer walks the breaks: amortised O(1) per line.
  const chainBefore = (previous: number, seq: number, chain: string): string | null => {
    let before: string | null = chain;
    for (; nextBreak < chainBreaks.length && chainBreaks[nextBreak]!.last_seq < seq; nextBreak++) {
      const range = chainBreaks[nextBreak]!;
      if (range.first_seq > previous || range.last_seq > previous) before = range.chain_after ?? null;
    }
    return before;
  };
  let file: SessionFile | undefined;
  let counts = { lines: 0, first: 0, last: 0 };
  const endFile = () => {
    const segment = file && listed.get(file.name);
    if (segment && (segment.lines !== counts.lines || segment.first_seq !== counts.first || segment.last_seq !== counts.last)) {
      report({ kind: 'segment_mismatch', file: file!.name, message: `metadata.json says ${segment.lines} lines, seq ${segment.first_seq}-${segment.last_seq}; the file has ${counts.lines} lines, seq ${counts.first}-${counts.last}` });
    }
  };
  for await (const item of streamLines(dir, stream)) {
    if (item.file !== file) {
      endFile();
      file = item.file;
      counts = { lines: 0, first: 0, last: 0 };
      ctx.progress(file.name, true);
      // A live writer lists a new segment in metadata.json a moment after rotating it.
      if (!file.active && !listed.has(file.name) && !live) report({ kind: 'unlisted_segment', file: file.name, message: 'segment on disk that metadata.json does not list' });
    }
    const name = item.file.name;
    if (item.error) {
      report({ kind: 'corrupt_segment', file: name, message: item.error.message });
      continue;
    }
    const { text, lineNumber } = item;
    ctx.progress(name, false);
    if (text === '') continue;
    if (item.torn) {
      if (!(live && item.file.active)) report({ kind: 'torn', file: name, line: lineNumber, message: 'last line has no newline (a crash mid-write, or a truncated file; reopening the session repairs an active file)' });
      continue;
    }
    let record: { seq?: unknown };
    try {
      record = JSON.parse(text) as { seq?: unknown };
    } catch (error) {
      report({ kind: 'unparseable', file: name, line: lineNumber, message: (error as Error).message });
      continue;
    }
    const seq = record?.seq;
    if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) {
      report({ kind: 'unparseable', file: name, line: lineNumber, message: 'not a record with a positive integer seq' });
      continue;
    }
    let chainBroken = false;
    ctx.seen.add(name);
    counts.lines++;
    if (counts.first === 0) counts.first = seq;
    counts.last = seq;
    summary.lines++;
    if (stream === 'audit') {
      const split = splitChainedLine(text);
      if (!split) report({ kind: 'broken_chain', file: name, line: lineNumber, seq, message: 'audit line without a chain value' });
      else {
        const previousChain = chainBefore(summary.lastSeq, seq, summary.lastChain);
        if (previousChain !== null && split.chain !== nextChain(previousChain, split.hashed)) {
          chainBroken = true;
          report({ kind: 'broken_chain', file: name, line: lineNumber, seq, message: 'chain value does not follow from the audit line before: a line was edited, deleted, inserted or reordered' });
        }
        summary.lastChain = split.chain;
      }
    }
    if (seq === summary.lastSeq) {
      report({ kind: 'duplicate', file: name, line: lineNumber, seq, message: `seq ${seq} appears twice in ${stream}` });
      continue;
    }
    if (seq < summary.lastSeq) {
      // The merge has passed every seq below this stream's last one, so the ledger knows whether this one was there.
      if (ctx.missing.found(seq)) report({ kind: 'out_of_order', file: name, line: lineNumber, seq, message: `seq ${seq} after ${summary.lastSeq} in ${stream}` });
      else report({ kind: 'duplicate', file: name, line: lineNumber, seq, message: `seq ${seq} (after ${summary.lastSeq} in ${stream}) is already in the session` });
      continue;
    }
    summary.lastSeq = seq;
    yield { seq, file: name, line: lineNumber, chainBroken };
  }
  endFile();
}

function readMetadata(dir: string, report: Report): SessionMetadata | undefined {
  const path = join(dir, 'metadata.json');
  try {
    return parseMetadata(readFileSync(path, 'utf8'), path);
  } catch (error) {
    report({ kind: 'metadata', file: 'metadata.json', message: (error as Error).message });
    return undefined;
  }
}

/**
 * Check one session: every seq present once or explained by metadata.json (drops, crash
 * losses, segments removed by the cap or retention), every line parses, the audit chain
 * holds up to metadata.json's chain_head, and metadata.json agrees with the files.
 * Streams both files merged by seq, so memory does not grow with the session.
 * A live session is checked as far as its writer has written: a line being written, a
 * segment not yet listed, and seqs still buffered for the other file are not problems.
 */
export async function verifySession(root: string, sessionId: string, options: VerifyOptions = {}): Promise<Problem[]> {
  assertSessionId(sessionId);
  const dir = join(root, sessionId);
  const problems: Problem[] = [];
  const report: Report = (problem) => problems.push({ session: sessionId, ...problem });
  const meta = readMetadata(dir, report);
  if (!meta) return problems;
  const live = sessionState(meta, dir) === 'live';
  const listed = new Map(meta.segments.map((segment) => [segment.file, segment]));
  for (const segment of meta.segments) {
    const renamed = existsSync(join(dir, `${segment.file}.gz`)) || existsSync(join(dir, `${segment.file}.zst`));
    if (!existsSync(join(dir, segment.file)) && !(live && renamed)) report({ kind: 'missing_segment', file: segment.file, seq: segment.first_seq, message: `listed in metadata.json (seq ${segment.first_seq}-${segment.last_seq}) but not on disk` });
  }
  const missing = new MissingSeqs(meta);
  const ctx: Context = { meta, live, listed, report, missing, seen: new Set(), progress: progressReporter(options.onProgress) };
  const summaries: Record<Stream, StreamSummary> = { system: { lastSeq: 0, lastChain: '', lines: 0 }, audit: { lastSeq: 0, lastChain: '', lines: 0 } };
  const streams = (['system', 'audit'] as const).map((stream) => checkedStream(dir, stream, ctx, summaries[stream]));
  const heads = await Promise.all(streams.map((s) => s.next()));
  let previous = 0;
  for (;;) {
    let next = -1;
    for (let i = 0; i < heads.length; i++) {
      if (!heads[i]!.done && (next === -1 || heads[i]!.value!.seq < heads[next]!.value!.seq)) next = i;
    }
    if (next === -1) break;
    const entry = heads[next]!.value as Entry;
    heads[next] = await streams[next]!.next();
    if (entry.seq === previous) {
      report({ kind: 'duplicate', file: entry.file, line: entry.line, seq: entry.seq, message: `seq ${entry.seq} is in both audit and system` });
      continue;
    }
    if (entry.seq > previous + 1) {
      // Which file lost it: a deleted audit line breaks the chain at the next audit line;
      // with the chain intact, the line was the system file's (where its next line is).
      const systemNext = next === 0 ? entry : heads[0]!.done ? undefined : heads[0]!.value;
      const where = (next === 1 && entry.chainBroken) || !systemNext ? entry : systemNext;
      missing.add(previous + 1, entry.seq - 1, { file: where.file, line: where.line });
    }
    previous = entry.seq;
  }
  for (const segment of meta.segments) {
    if (segment.lines > 0 && !ctx.seen.has(segment.file) && existsSync(join(dir, segment.file))) {
      report({ kind: 'segment_mismatch', file: segment.file, message: `metadata.json says ${segment.lines} lines, seq ${segment.first_seq}-${segment.last_seq}; the file has none` });
    }
  }
  const maxSeq = previous;
  if (meta.ended_at && meta.last_seq > maxSeq) missing.add(maxSeq + 1, meta.last_seq, { file: 'metadata.json' });
  // A live writer may still hold seqs above either file's last line in its buffers (even
  // before that file has its first line), so gaps are checked up to the slower file.
  const pendingAbove = live ? Math.min(summaries.system.lastSeq, summaries.audit.lastSeq) : Infinity;
  for (const gap of missing.unexplained()) {
    if (gap.first > pendingAbove) continue;
    report({ kind: 'gap', file: gap.file, line: gap.line, seq: gap.first, message: gap.message });
  }
  if (meta.ended_at) {
    if (meta.last_seq < maxSeq) report({ kind: 'metadata', file: 'metadata.json', seq: maxSeq, message: `last_seq ${meta.last_seq} is below the highest seq in the files (${maxSeq})` });
    const audit = summaries.audit;
    // Audit lines written after the last one on disk and then removed or lost moved the chain on: to their chain_after.
    const after = [...meta.removed, ...meta.drops.filter((drop) => drop.chain_after !== undefined)].filter((r) => r.stream === 'audit' && r.last_seq > audit.lastSeq).sort((a, b) => a.last_seq - b.last_seq).at(-1);
    const expected = after ? after.chain_after : audit.lastChain;
    if (expected !== undefined && expected !== meta.chain_head) {
      report({ kind: 'broken_chain', file: 'metadata.json', seq: audit.lastSeq || undefined, message: `chain_head ${meta.chain_head || "''"} is not the chain of the last audit line (${audit.lastChain || 'none'}): audit lines at the end were deleted, or metadata.json was edited` });
    }
  }
  return problems;
}
