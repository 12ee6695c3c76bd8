import { hostname } from 'node:os';
import type { Level } from '../src/levels.ts';
import type { FileSystem } from './FileSystem.ts';
import type { DropRange, SegmentInfo, Stream } from './SegmentWriter.ts';

export interface StoredSegment extends SegmentInfo {
  /** Compression of the file on disk (`file` names the current file). */
  compression: 'gzip' | 'zstd' | 'none';
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

/** At most this many metadata.json writes hold a descriptor at once, across all sessions. */
const MAX_CONCURRENT_METADATA_WRITES = 8;
let metadataWritesUnderWay = 0;
const waitingForMetadataSlot: Array<() => void> = [];

async function withMetadataSlot<T>(work: () => Promise<T>): Promise<T> {
  if (metadataWritesUnderWay >= MAX_CONCURRENT_METADATA_WRITES) await new Promise<void>((resolve) => waitingForMetadataSlot.push(resolve));
  else metadataWritesUnderWay++;
  try {
    return await work();
  } finally {
    const next = waitingForMetadataSlot.shift();
    if (next) next(); // the slot passes on directly
    else metadataWritesUnderWay--;
  }
}

/**
 * metadata.json, replaced atomically (temp file, fsync, rename). Asynchronous writes are
 * coalesced: while one is under way, later requests become one more write of the newest state.
 */
export class MetadataFile {
  readonly path: string;
  private readonly fs: FileSystem;
  private writing = false;
  private dirty = false;
  private waiters: Array<() => void> = [];
  private readonly snapshot: () => SessionMetadata;
  private readonly onError: (error: Error) => void;

  constructor(path: string, fs: FileSystem, snapshot: () => SessionMetadata, onError: (error: Error) => void) {
    this.path = path;
    this.fs = fs;
    this.snapshot = snapshot;
    this.onError = onError;
  }

  writeSync(): void {
    // Its own temp name: an asynchronous write may be under way at the same time.
    const tmp = `${this.path}.sync.tmp`;
    const fd = this.fs.openSync(tmp, 'w', 0o600);
    try {
      this.fs.writeSync(fd, JSON.stringify(this.snapshot(), null, 2) + '\n');
      this.fs.fsyncSync(fd);
    } finally {
      this.fs.closeSync(fd);
    }
    this.fs.renameSync(tmp, this.path);
  }

  /** Write the current state soon, off the event loop. */
  schedule(): void {
    if (this.writing) {
      this.dirty = true;
      return;
    }
    this.writing = true;
    void this.writeLoop();
  }

  private async writeLoop(): Promise<void> {
    do {
      this.dirty = false;
      const tmp = `${this.path}.tmp`;
      try {
        await withMetadataSlot(async () => {
          const handle = await this.fs.promises.open(tmp, 'w', 0o600);
          try {
            await handle.writeFile(JSON.stringify(this.snapshot(), null, 2) + '\n');
            await handle.sync();
          } finally {
            await handle.close();
          }
          await this.fs.promises.rename(tmp, this.path);
        });
      } catch (error) {
        this.onError(error as Error);
      }
    } while (this.dirty);
    this.writing = false;
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Resolves when no write is pending. */
  flush(): Promise<void> {
    if (!this.writing) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
