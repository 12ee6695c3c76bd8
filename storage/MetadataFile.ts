import { constants } from 'node:fs';
import { dirname } from 'node:path';
import type { SessionMetadata } from '../format/sessionMetadata.ts';
import type { FileSystem } from './FileSystem.ts';
import { syncDirectory, syncDirectorySync } from './syncDirectory.ts';

const CREATE_TEMP = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
/** Temp files carry the pid, so a reopen's cleanup of stale ones (ownTempFile) spares this process's writes in flight. */
const ASYNC_TEMP = `.${process.pid}.tmp`;
const SYNC_TEMP = `.${process.pid}.sync.tmp`;

/** Is this temp file one of this process's (possibly being written right now)? */
export function ownTempFile(name: string): boolean {
  return name.endsWith(ASYNC_TEMP) || name.endsWith(SYNC_TEMP);
}

export function metadataText(meta: SessionMetadata): string {
  return JSON.stringify(meta, null, 2) + '\n';
}

/**
 * At most `limit` metadata.json writes of one store hold a descriptor at once (a thousand
 * sessions opening together must not open a thousand files). One per store, so a store's
 * stuck disk never holds another store's writes.
 */
export class WriteSlots {
  private readonly limit: number;
  private underWay = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(limit = 8) {
    this.limit = limit;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.underWay >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.underWay++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the slot passes on directly
      else this.underWay--;
    }
  }
}

/**
 * Replace `path` atomically: write a temp file (never through a link), fsync it, rename it
 * over `path`, fsync the directory. A crash leaves the old file or the new one, never a mix.
 * The one implementation for the live writer and retention.
 */
export async function writeFileAtomically(fs: FileSystem, path: string, text: string, tmpSuffix = ASYNC_TEMP, stillCurrent: () => boolean = () => true, slots?: WriteSlots): Promise<boolean> {
  const tmp = path + tmpSuffix;
  const write = async () => {
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
    await syncDirectory(fs, dirname(path));
    return true;
  };
  return slots ? slots.run(write) : write();
}

/**
 * The same, synchronously. Without `durable` neither the temp file nor the directory is
 * fsynced: the new file survives a killed process, not a power cut.
 */
export function writeFileAtomicallySync(fs: FileSystem, path: string, text: string, durable = true, tmpSuffix = SYNC_TEMP): void {
  const tmp = path + tmpSuffix;
  const fd = fs.openSync(tmp, CREATE_TEMP, 0o600);
  try {
    fs.writeSync(fd, text);
    if (durable) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path);
  if (durable) syncDirectorySync(fs, dirname(path));
}

/** What one write of metadata.json holds; the writer attaches what its landing makes safe (a reservation, removals). */
export interface MetadataSnapshot {
  text: string;
}

type Waiter = { resolve: () => void; reject: (error: Error) => void };

/**
 * A session's metadata.json. Asynchronous writes are coalesced: while one is under way,
 * every later request becomes one more write of the newest state. `write()` resolves when
 * a write that began after the call is on disk; `onWritten` gets each snapshot once it (or
 * a newer synchronous write that holds it) is on disk, `onError` each one that failed. A
 * synchronous write may skip the fsync (to fix a reservation at once): an fsynced one follows.
 */
export class MetadataFile<S extends MetadataSnapshot = MetadataSnapshot> {
  readonly path: string;
  private readonly fs: FileSystem;
  private readonly slots: WriteSlots;
  private readonly snapshot: () => S;
  private readonly onWritten: (snapshot: S, durable: boolean) => void;
  private readonly onError: (error: Error, snapshot: S) => void;
  private writing = false;
  /** Counts synchronous writes, so an asynchronous one that began before one never lands after it. */
  private generation = 0;
  /** Whether the last synchronous write was fsynced. */
  private lastSyncDurable = true;
  /** Requests waiting for the next write (it starts when the current one ends). */
  private next: Waiter[] = [];
  private current: Waiter[] = [];
  private idleWaiters: Array<() => void> = [];
  /** The file's directory was created just now: its entry in its parent is not durable until the parent is fsynced. */
  private newDirectory: boolean;

  /** `newDirectory`: the directory holding `path` was just created; the first fsynced write also fsyncs its parent. */
  constructor(path: string, fs: FileSystem, slots: WriteSlots, snapshot: () => S, onWritten: (snapshot: S, durable: boolean) => void, onError: (error: Error, snapshot: S) => void, newDirectory = false) {
    this.newDirectory = newDirectory;
    this.path = path;
    this.fs = fs;
    this.slots = slots;
    this.snapshot = snapshot;
    this.onWritten = onWritten;
    this.onError = onError;
  }

  /** The directory that holds the file's directory (the log root, for a session's metadata.json). */
  private get parent(): string {
    return dirname(dirname(this.path));
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
      const generation = this.generation;
      const snapshot = this.snapshot();
      try {
        // A synchronous write after this snapshot holds newer state: this one must not land after it.
        const landed = await writeFileAtomically(this.fs, this.path, snapshot.text, ASYNC_TEMP, () => generation === this.generation, this.slots);
        if (landed && this.newDirectory) {
          await syncDirectory(this.fs, this.parent);
          this.newDirectory = false;
        }
        if (landed || this.lastSyncDurable) {
          this.onWritten(snapshot, true); // on disk, here or in the newer (fsynced) synchronous write
        } else {
          // The newer write holds this snapshot but was not fsynced: hand it back as such (what it
          // carries is attached to the next one), and write again (those waiting wait for that one).
          this.onWritten(snapshot, false);
          this.next.unshift(...this.current);
          this.current = [];
          continue;
        }
      } catch (error) {
        failure = error as Error;
        this.onError(failure, snapshot);
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
  writeSync(durable = true): void {
    this.generation++;
    this.lastSyncDurable = durable;
    try {
      this.fs.unlinkSync(this.path + ASYNC_TEMP);
    } catch {
      // None under way.
    }
    const snapshot = this.snapshot();
    try {
      writeFileAtomicallySync(this.fs, this.path, snapshot.text, durable);
      if (durable && this.newDirectory) {
        syncDirectorySync(this.fs, this.parent);
        this.newDirectory = false;
      }
    } catch (error) {
      this.onError(error as Error, snapshot);
      throw error;
    }
    this.onWritten(snapshot, durable);
    if (!durable) this.schedule(); // an fsynced copy follows
  }

  /** Resolves when no write is pending or under way. */
  idle(): Promise<void> {
    if (!this.writing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
