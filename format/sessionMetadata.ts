import { hostname } from 'node:os';
import type { Compression, Stream } from './fileNames.ts';

/** A rotated segment, as recorded in metadata.json. */
export interface SegmentInfo {
  file: string;
  stream: Stream;
  number: number;
  first_seq: number;
  last_seq: number;
  lines: number;
  /** Bytes before compression. */
  bytes: number;
  /** Audit segments: the chain value of the segment's last line, where the next segment's chain continues. */
  last_chain?: string;
}

export interface StoredSegment extends SegmentInfo {
  /** Compression of the file on disk (`file` names the current file). */
  compression: Compression;
  /** Bytes on disk after compression. */
  stored_bytes: number;
}

/**
 * Records that could not be written, one entry per stream and fault episode: `count`
 * records of `stream` with seqs between first_seq and last_seq (the other stream's seqs in
 * that range are not part of it).
 */
export interface DropRange {
  stream: Stream;
  first_seq: number;
  last_seq: number;
  count: number;
  error: string;
  at: string;
  /**
   * Audit lines lost after they were written (their file was deleted or replaced, EREPLACED):
   * the chain value after them, where the next line continues. Lines that were never written
   * are not in the chain, so other drops have none.
   */
  chain_after?: string;
}

/** A segment deleted on purpose, recorded before it is deleted, so `verify` can tell it from loss. */
export interface RemovedRange {
  file: string;
  stream: Stream;
  first_seq: number;
  last_seq: number;
  lines: number;
  reason: 'cap' | 'retention';
  at: string;
  /** Audit segments: the chain value of the removed segment's last line. */
  chain_after?: string;
}

export interface Repair {
  file: string;
  /** Bytes of a torn last line cut off. */
  bytes: number;
  at: string;
}

/** Seqs that may have been handed out before the process died and never reached the disk. */
export interface CrashLoss {
  first_seq: number;
  last_seq: number;
  at: string;
}

export interface LevelChange {
  at: string;
  from: string | null;
  to: string;
  by: string;
}

/** What the store knew of an active file when metadata.json was written: recovery reads only what came after. */
export interface ActiveFileState {
  /** Bytes written (complete lines). */
  bytes: number;
  lines: number;
  first_seq: number;
  last_seq: number;
  /** Audit: chain value of the last line. */
  last_chain: string;
  /** Inode of the file, to notice that it was rotated after this was written. */
  ino: number;
}

/** metadata.json: everything about a session that is not a record. */
export interface SessionMetadata {
  format: 1;
  session_id: string;
  created_at: string;
  ended_at: string | null;
  /** Process that writes (or last wrote) the session. */
  pid: number;
  hostname: string;
  /** Current level; null when no SessionLevelProcessor told the store (records reached it directly). */
  level: string | null;
  level_history: LevelChange[];
  attributes: Record<string, unknown>;
  segments: StoredSegment[];
  /** Last seq handed out, as of this write (at close: the session's last seq). */
  last_seq: number;
  /**
   * Seqs up to this may have been handed out: written before any record above it reaches
   * the disk, so after a crash every seq up to it is on disk or recorded in crash_losses.
   */
  seq_reserved: number;
  /** Every seq up to this is on disk or recorded (drops, removed), as of this write. */
  written_through: number;
  chain_head: string;
  active: Record<Stream, ActiveFileState>;
  drops: DropRange[];
  repairs: Repair[];
  crash_losses: CrashLoss[];
  removed: RemovedRange[];
}

export function emptyActiveFileState(): ActiveFileState {
  return { bytes: 0, lines: 0, first_seq: 0, last_seq: 0, last_chain: '', ino: 0 };
}

export function newMetadata(sessionId: string, level: string | null, attributes: Record<string, unknown>, now: Date): SessionMetadata {
  return {
    format: 1,
    session_id: sessionId,
    created_at: now.toISOString(),
    ended_at: null,
    pid: process.pid,
    hostname: hostname(),
    level,
    level_history: level === null ? [] : [{ at: now.toISOString(), from: null, to: level, by: 'open' }],
    attributes,
    segments: [],
    last_seq: 0,
    seq_reserved: 0,
    written_through: 0,
    chain_head: '',
    active: { system: emptyActiveFileState(), audit: emptyActiveFileState() },
    drops: [],
    repairs: [],
    crash_losses: [],
    removed: [],
  };
}

/** Parse metadata.json text, or throw an error naming the file. */
export function parseMetadata(text: string, path: string): SessionMetadata {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${(error as Error).message})`);
  }
  const meta = value as Partial<SessionMetadata>;
  if (meta === null || typeof meta !== 'object' || meta.format !== 1 || typeof meta.session_id !== 'string') {
    throw new Error(`${path}: not a session metadata file (expected format 1 with session_id)`);
  }
  for (const key of ['last_seq', 'seq_reserved', 'written_through'] as const) {
    const n = meta[key];
    if (n !== undefined && !(Number.isSafeInteger(n) && n >= 0)) throw new Error(`${path}: ${key} = ${JSON.stringify(n)} is not a seq; allowed: an integer >= 0`);
  }
  // Files of older versions lack the newer keys: fill them so readers need no checks.
  const lastSeq = meta.last_seq ?? 0;
  return {
    ...meta,
    level: meta.level ?? null,
    level_history: meta.level_history ?? [],
    segments: meta.segments ?? [],
    last_seq: lastSeq,
    seq_reserved: Math.max(meta.seq_reserved ?? 0, lastSeq),
    written_through: meta.written_through ?? 0,
    chain_head: meta.chain_head ?? '',
    active: { system: { ...emptyActiveFileState(), ...meta.active?.system }, audit: { ...emptyActiveFileState(), ...meta.active?.audit } },
    drops: meta.drops ?? [],
    repairs: meta.repairs ?? [],
    crash_losses: meta.crash_losses ?? [],
    removed: meta.removed ?? [],
    attributes: meta.attributes ?? {},
  } as SessionMetadata;
}

/** The `removed` entry of a segment deleted on purpose. */
export function removedEntry(segment: StoredSegment, reason: RemovedRange['reason'], at: string): RemovedRange {
  return {
    file: segment.file, stream: segment.stream, first_seq: segment.first_seq, last_seq: segment.last_seq, lines: segment.lines, reason, at,
    ...(segment.last_chain !== undefined ? { chain_after: segment.last_chain } : {}),
  };
}
