import { type Stats, constants } from 'node:fs';
import { dirname } from 'node:path';
import type { BudgetedFile, FdBudget } from './FdBudget.ts';
import type { FileSystem } from './FileSystem.ts';
import { syncDirectory, syncDirectorySync } from './syncDirectory.ts';
import { StorageError } from './StorageError.ts';

const OPEN = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW;
const CREATE = OPEN | constants.O_EXCL;

/** The error of a failed open: a symbolic link where the file should be is named as such. */
function openFailure(path: string, error: NodeJS.ErrnoException): NodeJS.ErrnoException {
  if (error.code === 'ELOOP') return new StorageError('ESESSIONLINK', `${path} is a symbolic link; refusing to write through it`);
  return error;
}

/** Why an opened file must not be written (another name, not a regular file), or undefined. */
function refusal(path: string, stat: Stats): NodeJS.ErrnoException | undefined {
  if (stat.isFile() && stat.nlink === 1) return undefined;
  return new StorageError('ESESSIONLINK', `${path} is ${stat.isFile() ? 'a file with more than one name (a hard link)' : 'not a regular file'}; refusing to write to it`);
}

/**
 * One file of a stream, written with positional writes at offsets the writer assigns once
 * per chunk. Writing a chunk again (synchronously, under backpressure or at exit) puts the
 * same bytes at the same place, so the two paths can never write a chunk twice.
 * It never follows a symbolic link and refuses a file with more than one name.
 */
export class ActiveFile implements BudgetedFile {
  readonly path: string;
  /** Bytes handed out to chunks: the next chunk starts here. */
  end: number;
  /** Bytes of complete chunks known written (lines on disk). */
  written: number;
  /** What the written bytes hold, for the segment entry and metadata.json. */
  lines = 0;
  firstSeq = 0;
  lastSeq = 0;
  lastChain = '';
  /** Bytes fdatasync'ed. */
  synced: number;
  private fd = -1;
  ino = 0;
  /** The file must not exist yet (a new segment, or after ours was deleted or replaced): whatever is there is moved aside. */
  private createNew: boolean;
  /** We created the file and its directory was not fsynced since: an fdatasync alone would not make its lines durable. */
  private entryUnsynced = false;
  /** A descriptor of a file that the path no longer names, closed once nothing uses it. */
  private staleFd = -1;
  /** Callbacks waiting for the asynchronous reopen under way. */
  private reopening: Array<(error: NodeJS.ErrnoException | null) => void> | undefined;
  private busy = 0;
  private closeWhenIdle = false;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly fs: FileSystem;
  private readonly budget: FdBudget;

  constructor(path: string, size: number, fs: FileSystem, budget: FdBudget, createNew: boolean) {
    this.path = path;
    this.createNew = createNew;
    this.end = size;
    this.written = size;
    this.synced = size;
    this.fs = fs;
    this.budget = budget;
  }

  isBusy(): boolean {
    return this.busy > 0;
  }

  /**
   * Give the descriptor back; `closed` runs once it is. The close runs in the libuv pool: on
   * a network file system a close flushes to the server, and the descriptor budget closes
   * files in steady state. Nothing to lose if it fails: every write on it has completed.
   */
  closeIdle(closed?: () => void): void {
    if (this.fd === -1) {
      closed?.();
      return;
    }
    const fd = this.fd;
    this.fd = -1;
    this.fs.close(fd, () => closed?.());
  }

  private descriptor(): number {
    if (this.fd !== -1) return this.fd;
    let fd: number;
    try {
      fd = this.fs.openSync(this.path, this.createNew ? CREATE : OPEN, 0o600);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw openFailure(this.path, error as NodeJS.ErrnoException);
      // Not ours (planted after ours went away): keep it for inspection under another name.
      this.fs.renameSync(this.path, `${this.path}.replaced-${Date.now()}`);
      fd = this.fs.openSync(this.path, CREATE, 0o600);
    }
    if (this.createNew) this.entryUnsynced = true;
    this.createNew = false;
    const stat = this.fs.fstatSync(fd);
    const refused = refusal(this.path, stat);
    if (refused !== undefined) {
      this.fs.closeSync(fd);
      throw refused;
    }
    this.ino = stat.ino;
    this.fd = fd;
    return fd;
  }

  /**
   * Open again a file the descriptor budget closed, in the libuv pool (open, fstat): with
   * more busy sessions than descriptors this happens on every write, and must not hold the
   * event loop. Writes that need the descriptor meanwhile wait for the same open. A new file
   * (`createNew`: O_EXCL, a planted file moved aside) is still created synchronously, once
   * per segment, so that O_EXCL never races a synchronous open of the same path. The writer
   * has checked just before that the path still names our file (`closedUnchecked`).
   */
  private reopen(done: (error: NodeJS.ErrnoException | null) => void): void {
    if (this.reopening !== undefined) {
      this.reopening.push(done);
      return;
    }
    const waiters = [done];
    this.reopening = waiters;
    const settle = (error: NodeJS.ErrnoException | null) => {
      this.reopening = undefined;
      for (const waiter of waiters) waiter(error);
    };
    this.fs.open(this.path, OPEN, 0o600, (openError, fd) => {
      if (openError) return settle(this.fd !== -1 ? null : openFailure(this.path, openError));
      this.fs.fstat(fd, (statError, stat) => {
        const refused = statError ?? refusal(this.path, stat);
        // Opened synchronously meanwhile (backpressure, exit), forgotten as replaced, or refused.
        if (this.fd !== -1 || this.createNew || refused !== undefined) {
          this.fs.close(fd, () => {});
          if (this.fd !== -1) return settle(null);
          if (refused !== undefined) return settle(refused);
          try {
            this.descriptor();
          } catch (error) {
            return settle(error as NodeJS.ErrnoException);
          }
          return settle(null);
        }
        this.ino = stat.ino;
        this.fd = fd;
        settle(null);
      });
    });
  }

  /**
   * The file was written and its descriptor is closed (by the budget, or not yet opened after
   * a restart): opening it by path again could open another file that took its place, or
   * create an empty one where it was deleted, so it is checked first.
   */
  get closedUnchecked(): boolean {
    return this.fd === -1 && this.ino !== 0 && !this.createNew;
  }

  /** Open now (to learn the inode, or fail early). */
  openNow(): void {
    this.budget.acquireNow(this);
    this.descriptor();
  }

  /**
   * Asks whether the path still names the file we write (someone may have deleted or
   * replaced it). `replaced` is true when it does not; the descriptor is then forgotten.
   */
  checkStillOurs(done: (replaced: boolean) => void): void {
    if (this.ino === 0) return done(false);
    this.busy++;
    this.fs.lstat(this.path, (error, stat) => {
      this.busy--;
      const replaced = error ? error.code === 'ENOENT' : stat.ino !== this.ino;
      if (replaced) this.forgetFile();
      if (this.busy === 0) this.onIdle();
      done(replaced);
    });
  }

  /**
   * The path no longer names the file we wrote: forget it (its descriptor is closed once
   * idle) and start over at offset 0 with a new file; the caller moves queued chunks back.
   */
  private forgetFile(): void {
    this.ino = 0;
    if (this.fd !== -1) this.staleFd = this.fd;
    this.fd = -1;
    this.createNew = true;
    this.end -= this.written;
    this.written = 0;
    this.synced = 0;
    this.lines = 0;
    this.firstSeq = 0;
    this.lastSeq = 0;
    this.lastChain = '';
  }

  /**
   * Run `work` with the descriptor once the budget grants a slot; `done` runs while the
   * slot is still held (so the caller can cut back a failed write or start the next one).
   */
  private withDescriptor(work: (fd: number, finish: (error: NodeJS.ErrnoException | null) => void) => void, done: (error: NodeJS.ErrnoException | null) => void): void {
    this.busy++; // holds the slot while waiting for it, so it is not evicted once granted
    this.budget.acquire(this, () => {
      const finish = (error: NodeJS.ErrnoException | null) => {
        try {
          done(error);
        } finally {
          this.busy--;
          if (this.busy === 0) this.onIdle();
        }
      };
      const start = () => {
        let fd: number;
        try {
          fd = this.descriptor();
        } catch (error) {
          finish(error as NodeJS.ErrnoException);
          return;
        }
        work(fd, finish);
      };
      if (this.fd === -1 && !this.createNew) this.reopen((error) => (error ? finish(error) : start()));
      else start();
    });
  }

  /** Write `data` at `position` asynchronously. */
  writeAt(data: Buffer, position: number, done: (error: NodeJS.ErrnoException | null) => void): void {
    this.withDescriptor((fd, finish) => {
      const writeFrom = (offset: number) => {
        this.fs.write(fd, data, offset, data.length - offset, position + offset, (error, written) => {
          if (error) return finish(error);
          if (offset + written < data.length) return writeFrom(offset + written);
          finish(null);
        });
      };
      writeFrom(0);
    }, done);
  }

  /** Synchronous write: under backpressure and at exit only. */
  writeAtSync(data: Buffer, position: number): void {
    this.budget.acquireNow(this);
    const fd = this.descriptor();
    let offset = 0;
    while (offset < data.length) offset += this.fs.writeSync(fd, data, offset, data.length - offset, position + offset);
  }

  /**
   * fdatasync what is written so far; `done` gets the bytes it covers. The first one after
   * we created the file also fsyncs its directory: until then a power cut can lose the file's
   * name, and with it the lines the fdatasync made durable.
   */
  sync(done: (error: NodeJS.ErrnoException | null, bytes: number) => void): void {
    const bytes = this.written;
    if (bytes <= this.synced || this.ino === 0) return done(null, bytes);
    const entry = this.entryUnsynced;
    this.withDescriptor((fd, finish) => this.fs.fdatasync(fd, (error) => {
      if (error || !entry) return finish(error);
      syncDirectory(this.fs, dirname(this.path)).then(() => finish(null), (dirError: NodeJS.ErrnoException) => finish(dirError));
    }), (error) => {
      if (!error && bytes > this.synced) this.synced = bytes;
      if (!error && entry) this.entryUnsynced = false;
      done(error, bytes);
    });
  }

  syncSync(): void {
    if (this.written <= this.synced || this.ino === 0) return;
    this.budget.acquireNow(this);
    this.fs.fdatasyncSync(this.descriptor());
    if (this.entryUnsynced) {
      syncDirectorySync(this.fs, dirname(this.path));
      this.entryUnsynced = false;
    }
    this.synced = this.written;
  }

  /** Cut the file back to `size` after a failed write left part of a chunk behind. */
  truncateTo(size: number): void {
    try {
      this.budget.acquireNow(this);
      this.fs.ftruncateSync(this.descriptor(), size);
    } catch {
      // The fault that broke the write may still be there; the next write at this offset overwrites it.
    }
  }

  /** Close once nothing is under way; resolves when closed. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.closeWhenIdle = true;
      this.idleWaiters.push(resolve);
      if (this.busy === 0) this.onIdle();
    });
  }

  private onIdle(): void {
    if (this.staleFd !== -1) {
      this.fs.close(this.staleFd, () => {}); // its writes have completed; the file is gone or replaced anyway
      this.staleFd = -1;
    }
    if (!this.closeWhenIdle) {
      // Refused, failed to open, or forgotten as replaced: it holds no descriptor, so no slot either.
      if (this.fd === -1) return this.budget.release(this);
      return this.budget.idle(this);
    }
    this.budget.release(this);
    const waiters = this.idleWaiters.splice(0);
    this.closeIdle(() => {
      for (const waiter of waiters) waiter();
    });
  }
}
