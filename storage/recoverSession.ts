import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { splitChainedLine } from '../format/auditChain.ts';
import { STREAMS, type Stream, activeFileName, isSupersededSegment, isTempFileName, LOCK_FILE, parseSegmentFileName, segmentFileNames } from '../format/fileNames.ts';
import { seqOfLine } from '../format/formatLine.ts';
import type { ActiveFileState, SessionMetadata, StoredSegment } from '../format/sessionMetadata.ts';
import { ownTempFile } from './MetadataFile.ts';
import type { Recovery } from './recoveryIo.ts';
import { StorageError } from './StorageError.ts';

export interface RecoveredActiveFile {
  state: ActiveFileState;
  /** Bytes of complete lines: where writing resumes. */
  size: number;
  /** Bytes of a torn last line cut off (0 when the file ended with a newline). */
  tornBytes: number;
}

export interface RecoveredSession {
  /** Every segment on disk, listed or found, oldest data first. */
  segments: StoredSegment[];
  active: Record<Stream, RecoveredActiveFile>;
  nextSegment: Record<Stream, number>;
  /** Highest seq in any file. */
  maxSeqOnDisk: number;
  /** Chain value of the last audit line written. */
  chainHead: string;
  /** Plain segments to compress (a compression that had not finished). */
  toCompress: string[];
  /** Seq ranges that may have been handed out (up to seq_reserved) and are neither on disk nor recorded. */
  crashLosses: Array<[number, number]>;
}

const CHUNK = 1024 * 1024;

/** Lines of a text with their seqs, and the chain of the last one. */
function describeLines(text: string, after: number, onDisk: Set<number>): { lines: number; first: number; last: number; lastChain: string } {
  let lines = 0;
  let first = 0;
  let last = 0;
  let lastLine = '';
  let start = 0;
  for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
    const line = text.slice(start, end);
    start = end + 1;
    if (line === '') continue;
    const seq = seqOfLine(line);
    if (seq === 0) continue; // for verify to report
    lines++;
    if (first === 0) first = seq;
    last = seq;
    lastLine = line;
    if (seq > after) onDisk.add(seq);
  }
  return { lines, first, last, lastChain: splitChainedLine(lastLine)?.chain ?? '' };
}

/**
 * Seqs above `after` in the lines that end before `end`, read backwards from there: lines
 * metadata.json counted as written may still hold seqs above written_through (the other
 * stream was behind when it was written).
 */
function* lookBehind(fd: number, end: number, after: number, onDisk: Set<number>): Recovery<void> {
  const buffer = Buffer.allocUnsafe(64 * 1024);
  let stop = end;
  while (stop > 0) {
    const start = Math.max(0, stop - buffer.length);
    const read = (yield { op: 'read', fd, buffer: buffer.subarray(0, stop - start), position: start }) as number;
    let text = buffer.toString('utf8', 0, read);
    // The first line of the block may be cut: it is read whole with the next block back.
    const firstNewline = start === 0 ? -1 : text.indexOf('\n');
    if (firstNewline === -1 && start > 0) return; // one line longer than the block: nothing more to learn cheaply
    text = text.slice(firstNewline + 1);
    let reachedAfter = false;
    for (const line of text.split('\n')) {
      const seq = seqOfLine(line);
      if (seq === 0) continue;
      if (seq > after) onDisk.add(seq);
      else reachedAfter = true;
    }
    if (reachedAfter) return;
    stop = start + firstNewline + 1;
    if (start === 0) return;
  }
}

/**
 * Scan an active file from where metadata.json says its known part ends to its end: count
 * lines, find the seqs above `after`, and cut a torn last line.
 */
function* scanActive(path: string, known: ActiveFileState, after: number, onDisk: Set<number>, sessionId: string): Recovery<RecoveredActiveFile> {
  const fd = (yield { op: 'open', path }) as number;
  const empty = { bytes: 0, lines: 0, first_seq: 0, last_seq: 0, last_chain: '', ino: 0 };
  if (fd === -1) return { state: empty, size: 0, tornBytes: 0 };
  try {
    const stat = (yield { op: 'fstat', fd }) as Stats;
    if (!stat.isFile() || stat.nlink !== 1) {
      throw new StorageError('ESESSIONLINK', `session ${sessionId}: ${path} is ${stat.isFile() ? 'a file with more than one name (a hard link)' : 'not a regular file'}; refusing to write to it; allowed: a session directory with no links in it`);
    }
    const resume = known.ino === stat.ino && known.bytes <= stat.size;
    const state: ActiveFileState = resume ? { ...known } : { ...empty, ino: stat.ino };
    if (resume && known.last_seq > after) yield* lookBehind(fd, known.bytes, after, onDisk);
    let position = resume ? known.bytes : 0;
    // Bytes after the last newline seen so far: a line cut by the read size, or a torn last line.
    let carry = Buffer.alloc(0);
    const buffer = Buffer.allocUnsafe(CHUNK);
    while (position < stat.size) {
      const read = (yield { op: 'read', fd, buffer, position }) as number;
      if (read === 0) break;
      position += read;
      const bytes = carry.length === 0 ? buffer.subarray(0, read) : Buffer.concat([carry, buffer.subarray(0, read)]);
      const lastNewline = bytes.lastIndexOf(0x0a);
      if (lastNewline === -1) {
        carry = Buffer.from(bytes);
        continue;
      }
      const found = describeLines(bytes.toString('utf8', 0, lastNewline + 1), after, onDisk);
      if (found.lines > 0) {
        if (state.lines === 0) state.first_seq = found.first;
        state.lines += found.lines;
        state.last_seq = found.last;
        if (found.lastChain !== '') state.last_chain = found.lastChain;
      }
      carry = Buffer.from(bytes.subarray(lastNewline + 1));
    }
    const complete = position - carry.length;
    const tornBytes = stat.size - complete;
    if (tornBytes > 0) yield { op: 'truncate', fd, size: complete };
    state.bytes = complete;
    state.ino = stat.ino;
    return { state, size: complete, tornBytes };
  } finally {
    yield { op: 'close', fd };
  }
}

/**
 * Seq ranges in (after, upTo] that are not on disk and not already recorded as crash losses.
 * Drop and removal ranges are per stream and span the other stream's seqs, so they cannot
 * say which missing seq they explain: a seq in one may still be counted a crash loss here
 * (verify accepts a seq that more than one record explains).
 */
function unexplained(after: number, upTo: number, onDisk: Set<number>, meta: SessionMetadata): Array<[number, number]> {
  // Walk (after, upTo] once, in steps between the seqs that are on disk or already recorded.
  const taken: Array<[number, number]> = [...onDisk].filter((seq) => seq > after && seq <= upTo).map((seq) => [seq, seq]);
  for (const loss of meta.crash_losses) if (loss.last_seq > after && loss.first_seq <= upTo) taken.push([loss.first_seq, loss.last_seq]);
  taken.sort((a, b) => a[0] - b[0]);
  const gaps: Array<[number, number]> = [];
  let next = after + 1;
  for (const [first, last] of taken) {
    if (first > next) gaps.push([next, Math.min(first - 1, upTo)]);
    next = Math.max(next, last + 1);
    if (next > upTo) break;
  }
  if (next <= upTo) gaps.push([next, upTo]);
  return gaps;
}

/**
 * Bring a session directory back to a consistent state before writing resumes: remove
 * temp files, finish removals and compressions a crash interrupted, list segments that
 * metadata.json missed, cut torn last lines, find the chain head, and find every seq that
 * may have been handed out (up to `reservedAtOpen`, seq_reserved when the session was opened)
 * but is not on disk. It reads only what was
 * written after metadata.json's last write: a session closed cleanly costs a directory
 * listing and two fstat calls.
 */
export function* recoverSession(dir: string, meta: SessionMetadata, compressing: boolean, reservedAtOpen: number): Recovery<RecoveredSession> {
  const names = (yield { op: 'readdir', path: dir }) as string[];
  const present = new Set(names);
  for (const name of names) {
    // Lock temp files may belong to a process taking the lock right now; our own metadata writes may be in flight.
    if (isTempFileName(name) && !name.startsWith(LOCK_FILE) && !ownTempFile(name)) yield { op: 'unlink', path: join(dir, name) };
  }
  const removed = new Set(meta.removed.flatMap((r) => segmentFileNames(r.file)));
  for (const name of removed) {
    if (present.has(name)) {
      yield { op: 'unlink', path: join(dir, name) }; // recorded, then interrupted before the unlink
      present.delete(name);
    }
  }
  const after = meta.written_through;
  const onDisk = new Set<number>();
  const listed = new Map(meta.segments.map((segment) => [segment.stream + segment.number, segment]));
  const segments: StoredSegment[] = [];
  const toCompress: string[] = [];
  const nextSegment: Record<Stream, number> = { system: 1, audit: 1 };
  for (const entry of [...meta.segments, ...meta.removed]) {
    const parsed = parseSegmentFileName(entry.file);
    if (parsed) nextSegment[parsed.stream] = Math.max(nextSegment[parsed.stream], parsed.number + 1);
  }
  for (const name of [...present].sort()) {
    const parsed = parseSegmentFileName(name);
    if (!parsed) continue;
    if (isSupersededSegment(name, present)) {
      yield { op: 'unlink', path: join(dir, name) }; // compression finished; only the unlink was lost
      continue;
    }
    nextSegment[parsed.stream] = Math.max(nextSegment[parsed.stream], parsed.number + 1);
    const path = join(dir, name);
    let segment = listed.get(parsed.stream + parsed.number);
    if (segment && segment.file !== name) {
      const stat = (yield { op: 'stat', path }) as Stats | undefined;
      segment = { ...segment, file: name, compression: parsed.compression, stored_bytes: stat?.size ?? 0 };
    }
    if (!segment || segment.last_seq > after) {
      // Rotated after metadata.json's last write, or holding seqs it did not know written: read it.
      const text = (yield { op: 'readSegment', path }) as string;
      const found = describeLines(text, after, onDisk);
      if (!segment) {
        const stat = (yield { op: 'stat', path }) as Stats | undefined;
        segment = {
          file: name, stream: parsed.stream, number: parsed.number, first_seq: found.first, last_seq: found.last, lines: found.lines,
          bytes: Buffer.byteLength(text), compression: parsed.compression, stored_bytes: stat?.size ?? 0,
          ...(parsed.stream === 'audit' ? { last_chain: found.lastChain } : {}),
        };
      }
    }
    segments.push(segment);
    if (parsed.compression === 'none' && compressing) toCompress.push(path);
  }
  segments.sort((a, b) => a.first_seq - b.first_seq);
  const active = {} as Record<Stream, RecoveredActiveFile>;
  for (const stream of STREAMS) active[stream] = yield* scanActive(join(dir, activeFileName(stream)), meta.active[stream], after, onDisk, meta.session_id);
  let maxSeqOnDisk = Math.max(active.system.state.last_seq, active.audit.state.last_seq, after);
  for (const segment of segments) maxSeqOnDisk = Math.max(maxSeqOnDisk, segment.last_seq);
  // The chain continues from the newest audit line on disk, or from a recorded drop or
  // removal after it (their chain_after); lines a crash took were never part of it.
  let chainHead = meta.chain_head;
  let chainSeq = -1;
  const consider = (seq: number, chain: string | undefined) => {
    if (chain !== undefined && seq > chainSeq) {
      chainSeq = seq;
      chainHead = chain;
    }
  };
  if (active.audit.state.lines > 0) consider(active.audit.state.last_seq, active.audit.state.last_chain);
  for (const segment of segments) if (segment.stream === 'audit') consider(segment.last_seq, segment.last_chain);
  for (const range of [...meta.drops, ...meta.removed]) if (range.stream === 'audit') consider(range.last_seq, range.chain_after);
  const upTo = Math.max(reservedAtOpen, maxSeqOnDisk);
  const crashLosses = meta.ended_at ? [] : unexplained(after, upTo, onDisk, meta);
  return { segments, active, nextSegment, maxSeqOnDisk, chainHead, toCompress, crashLosses };
}
