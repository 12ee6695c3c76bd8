import { constants } from 'node:fs';
import { dirname } from 'node:path';
import type { SessionMetadata } from '../format/sessionMetadata.ts';
import type { FileSystem } from './FileSystem.ts';

const CREATE_TEMP = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;

export function metadataText(meta: SessionMetadata): string {
  return JSON.stringify(meta, null, 2) + '\n';
}

/** At most this many metadata.json writes hold a descriptor at once, across all sessions. */
const MAX_CONCURRENT_WRITES = 8;
let writesUnderWay = 0;
const waitingForSlot: Array<() => void> = [];

async function withSlot<T>(work: () => Promise<T>): Promise<T> {
  if (writesUnderWay >= MAX_CONCURRENT_WRITES) await new Promise<void>((resolve) => waitingForSlot.push(resolve));
  else writesUnderWay++;
  try {
    return await work();
  } finally {
    const next = waitingForSlot.shift();
    if (next) next(); // the slot passes on directly
    else writesUnderWay--;
  }
}

/**
 * Replace `path` atomically: write a temp file (never through a link), fsync it, rename it
 * over `path`, fsync the directory. A crash leaves the old file or the new one, never a mix.
 * The one implementation for the live writer and retention.
 */
export async function writeFileAtomically(fs: FileSystem, path: string, text: string, tmpSuffix = '.tmp', stillCurrent: () => boolean = () => true): Promise<boolean> {
  const tmp = path + tmpSuffix;
  return withSlot(async () => {
    const handle = await fs.promises.open(tmp, CREATE_TEMP, 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (!stillCurrent()) {
      await fs.promises.unlink(tmp).catch(() => {});
      return false;
    }
    try {
      await fs.promises.rename(tmp, path);
    } catch (error) {
      // A synchronous write removed our temp file while we wrote it: it holds newer state.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !stillCurrent()) return false;
      throw error;
    }
    const dir = await fs.promises.open(dirname(path), constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    return true;
  });
}

export function writeFileAtomicallySync(fs: FileSystem, path: string, text: string, tmpSuffix = '.sync.tmp'): void {
  const tmp = path + tmpSuffix;
  const fd = fs.openSync(tmp, CREATE_TEMP, 0o600);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path);
}

/** What one write of metadata.json holds, and the seq reservation it makes durable. */
export interface MetadataSnapshot {
  text: string;
  reserved: number;
}

type Waiter = { resolve: () => void; reject: (error: Error) => void };

/**
 * A session's metadata.json. Asynchronous writes are coalesced: while one is under way,
 * every later request becomes one more write of the newest state. `write()` resolves when
 * a write that began after the call is on disk; `onWritten` learns the reservation each
 * completed write made durable.
 */
export class MetadataFile {
  readonly path: string;
  private readonly fs: FileSystem;
  private readonly snapshot: () => MetadataSnapshot;
  private readonly onWritten: (reserved: number) => void;
  private readonly onError: (error: Error) => void;
  private writing = false;
  /** Counts synchronous writes, so an asynchronous one that began before one never lands after it. */
  private generation = 0;
  /** Requests waiting for the next write (it starts when the current one ends). */
  private next: Waiter[] = [];
  private current: Waiter[] = [];
  private idleWaiters: Array<() => void> = [];

  constructor(path: string, fs: FileSystem, snapshot: () => MetadataSnapshot, onWritten: (reserved: number) => void, onError: (error: Error) => void) {
    this.path = path;
    this.fs = fs;
    this.snapshot = snapshot;
    this.onWritten = onWritten;
    this.onError = onError;
  }

  /** Write the current state soon, off the event loop. */
  write(): Promise<void> {
    const promise = new Promise<void>((resolve, reject) => this.next.push({ resolve, reject }));
    if (!this.writing) void this.writeLoop();
    return promise;
  }

  /** Like write() for callers that only want it to happen (failures are reported through onError). */
  schedule(): void {
    this.write().catch(() => {});
  }

  private async writeLoop(): Promise<void> {
    this.writing = true;
    while (this.next.length > 0) {
      this.current = this.next;
      this.next = [];
      let failure: Error | undefined;
      try {
        const generation = this.generation;
        const snapshot = this.snapshot();
        // A synchronous write after this snapshot holds newer state: this one must not land after it.
        const landed = await writeFileAtomically(this.fs, this.path, snapshot.text, '.tmp', () => generation === this.generation);
        if (landed) this.onWritten(snapshot.reserved);
      } catch (error) {
        failure = error as Error;
        this.onError(failure);
      }
      for (const waiter of this.current) {
        if (failure) waiter.reject(failure);
        else waiter.resolve();
      }
      this.current = [];
    }
    this.writing = false;
    for (const waiter of this.idleWaiters.splice(0)) waiter();
  }

  /**
   * Synchronous write (under backpressure, at exit). An asynchronous write may be under way:
   * it checks the generation before its rename, and its temp file is removed here so a rename
   * already issued fails; either way it cannot land after this one with an older state.
   */
  writeSync(): void {
    this.generation++;
    try {
      this.fs.unlinkSync(this.path + '.tmp');
    } catch {
      // None under way.
    }
    const snapshot = this.snapshot();
    writeFileAtomicallySync(this.fs, this.path, snapshot.text);
    this.onWritten(snapshot.reserved);
  }

  /** Resolves when no write is pending or under way. */
  idle(): Promise<void> {
    if (!this.writing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
