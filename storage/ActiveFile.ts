import { constants } from 'node:fs';
import type { BudgetedFile, FdBudget } from './FdBudget.ts';
import type { FileSystem } from './FileSystem.ts';

const OPEN_FLAGS = constants.O_WRONLY | constants.O_CREAT;

/**
 * One file written with positional writes at offsets we track ourselves. Because every
 * chunk has a fixed offset, a chunk can be written again synchronously while its
 * asynchronous write is still under way (backpressure) without reordering the file.
 */
export class ActiveFile implements BudgetedFile {
  readonly path: string;
  /** Bytes known to be on disk. */
  size: number;
  private fd = -1;
  /** Inode of the file we opened, to notice it being deleted or replaced under us. */
  private inode = -1;
  private busy = 0;
  private closeWhenIdle = false;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly fs: FileSystem;
  private readonly budget: FdBudget;

  constructor(path: string, size: number, fs: FileSystem, budget: FdBudget) {
    this.path = path;
    this.size = size;
    this.fs = fs;
    this.budget = budget;
  }

  isBusy(): boolean {
    return this.busy > 0;
  }

  closeIdle(): void {
    if (this.fd === -1) return;
    const fd = this.fd;
    this.fd = -1;
    try {
      this.fs.closeSync(fd); // a close without fsync does not wait for the disk
    } catch {
      // Nothing to lose: every write on it has completed.
    }
  }

  private descriptor(): number {
    if (this.fd === -1) {
      this.fd = this.fs.openSync(this.path, OPEN_FLAGS, 0o600);
      this.inode = this.fs.fstatSync(this.fd).ino;
    }
    return this.fd;
  }

  /**
   * Asks whether the path still names the file we write (someone may have deleted or
   * replaced it). If not, forgets the old descriptor so the next write creates a new file.
   */
  checkStillOurs(done: (replaced: boolean) => void): void {
    if (this.fd === -1) return done(false);
    this.fs.stat(this.path, (error, stat) => {
      const replaced = error ? error.code === 'ENOENT' : stat.ino !== this.inode;
      if (replaced && this.fd !== -1 && this.busy === 0) {
        this.closeIdle();
        this.budget.release(this);
        this.size = 0;
      }
      done(replaced);
    });
  }

  /** Write `data` at `position` asynchronously, then fdatasync when asked. */
  writeAt(data: Buffer, position: number, sync: boolean, done: (error: NodeJS.ErrnoException | null) => void): void {
    this.busy++; // holds the slot while waiting for it, so it is not evicted once granted
    this.budget.acquire(this, () => this.writeWithSlot(data, position, sync, done));
  }

  private writeWithSlot(data: Buffer, position: number, sync: boolean, done: (error: NodeJS.ErrnoException | null) => void): void {
    // `done` runs while the descriptor is still held, so the caller can cut back a failed
    // write (truncateTo) or start the next chunk without giving up the slot in between.
    const finish = (error: NodeJS.ErrnoException | null) => {
      try {
        done(error);
      } finally {
        this.busy--;
        if (this.busy === 0) this.onIdle();
      }
    };
    let fd: number;
    try {
      fd = this.descriptor();
    } catch (error) {
      finish(error as NodeJS.ErrnoException);
      return;
    }
    const writeFrom = (offset: number) => {
      this.fs.write(fd, data, offset, data.length - offset, position + offset, (error, written) => {
        if (error) return finish(error);
        if (offset + written < data.length) return writeFrom(offset + written);
        if (!sync) return finish(null);
        this.fs.fdatasync(fd, finish);
      });
    };
    writeFrom(0);
  }

  /** Synchronous write, used only under backpressure and at exit. */
  writeAtSync(data: Buffer, position: number, sync: boolean): void {
    this.budget.acquireNow(this);
    const fd = this.descriptor();
    let offset = 0;
    while (offset < data.length) offset += this.fs.writeSync(fd, data, offset, data.length - offset, position + offset);
    if (sync) this.fs.fdatasyncSync(fd);
  }

  /** Cut the file back to `size` after a failed write left part of a chunk behind. */
  truncateTo(size: number): void {
    try {
      if (this.fd === -1) this.budget.acquireNow(this);
      this.fs.ftruncateSync(this.descriptor(), size);
    } catch {
      // The fault that broke the write may still be there; the next write tries again.
    }
  }

  /** Close once no write is under way; resolves when closed. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.closeWhenIdle = true;
      this.idleWaiters.push(resolve);
      if (this.busy === 0) this.onIdle();
    });
  }

  private onIdle(): void {
    if (!this.closeWhenIdle) return this.budget.idle(this);
    this.budget.release(this);
    if (this.fd !== -1) {
      try {
        this.fs.closeSync(this.fd);
      } catch {
        // Closing cannot lose data we have not already counted.
      }
      this.fd = -1;
    }
    for (const waiter of this.idleWaiters.splice(0)) waiter();
  }
}
