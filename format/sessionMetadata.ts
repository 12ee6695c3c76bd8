import { hostname } from 'node:os';
import type { Level } from '../src/levels.ts';
import type { Compression, Stream } from './fileNames.ts';

/** A rotated segment, as recorded in metadata.json. */
export interface SegmentInfo {
  file: string;
  stream: Stream;
  number: number;
  first_seq: number;
  last_seq: number;
  lines: number;
  bytes: number;
}

/** Seq range of records that could not be written. */
export interface DropRange {
  stream: Stream;
  first_seq: number;
  last_seq: number;
  count: number;
  error: string;
}

export interface StoredSegment extends SegmentInfo {
  /** Compression of the file on disk (`file` names the current file). */
  compression: Compression;
  /** Bytes on disk after compression. */
  stored_bytes: number;
}

/** A seq range that is missing on purpose or by a recorded accident, so `verify` can tell it from loss. */
export interface RemovedRange {
  file: string;
  stream: Stream;
  first_seq: number;
  last_seq: number;
  lines: number;
  reason: 'cap' | 'retention';
  at: string;
}

export interface Repair {
  file: string;
  /** Bytes of a torn last line cut off. */
  bytes: number;
  at: string;
}

/** Seqs that were assigned but never reached the disk because the process died. */
export interface CrashLoss {
  first_seq: number;
  last_seq: number;
  at: string;
}

export interface LevelChange {
  at: string;
  from: Level | null;
  to: Level;
  by: string;
}

/** metadata.json: everything about a session that is not a record. */
export interface SessionMetadata {
  format: 1;
  session_id: string;
  created_at: string;
  ended_at: string | null;
  pid: number;
  hostname: string;
  level: Level;
  level_history: LevelChange[];
  attributes: Record<string, unknown>;
  segments: StoredSegment[];
  last_seq: number;
  chain_head: string;
  drops: Array<DropRange & { at: string }>;
  repairs: Repair[];
  crash_losses: CrashLoss[];
  removed: RemovedRange[];
}

export function newMetadata(sessionId: string, level: Level, attributes: Record<string, unknown>, now: Date): SessionMetadata {
  return {
    format: 1,
    session_id: sessionId,
    created_at: now.toISOString(),
    ended_at: null,
    pid: process.pid,
    hostname: hostname(),
    level,
    level_history: [{ at: now.toISOString(), from: null, to: level, by: 'open' }],
    attributes,
    segments: [],
    last_seq: 0,
    chain_head: '',
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
  // Older or partial files: fill the lists so readers need no checks.
  return {
    ...meta,
    level_history: meta.level_history ?? [],
    segments: meta.segments ?? [],
    drops: meta.drops ?? [],
    repairs: meta.repairs ?? [],
    crash_losses: meta.crash_losses ?? [],
    removed: meta.removed ?? [],
    attributes: meta.attributes ?? {},
  } as SessionMetadata;
}
