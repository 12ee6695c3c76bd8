import type { Compression } from '../format/fileNames.ts';
import { CompressionError, compressSegment, compressionTempPath } from './compressSegment.ts';
import type { FileSystem } from './FileSystem.ts';

export interface SegmentCompressorOptions {
  fs: FileSystem;
  compression: Exclude<Compression, 'none'>;
  onCompressed(plainPath: string, compressedPath: string, bytes: number): void;
  /** A compression failed (the plain segment stays and is tried again). */
  onFailed(plainPath: string, error: Error): void;
  /** First retry after this many ms, doubling up to a minute. */
  retryDelayMs?: number;
}

const MAX_RETRY_DELAY_MS = 60_000;

/**
 * Compresses one session's rotated segments, one at a time, off the hot path. A segment
 * that fails (a full disk) stays plain and is tried again later: after a delay that doubles
 * up to a minute, or at once when retryNow() says space may be back.
 */
export class SegmentCompressor {
  private readonly o: SegmentCompressorOptions;
  private readonly queue: string[] = [];
  private readonly failed: string[] = [];
  /** Temp files of failed compressions that could not be removed then (a full disk fails unlink too, here and in fault tests). */
  private readonly strays = new Set<string>();
  private running: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private delay: number;
  private idleWaiters: Array<() => void> = [];
  private closed = false;

  constructor(options: SegmentCompressorOptions) {
    this.o = options;
    this.delay = options.retryDelayMs ?? 1000;
  }

  add(plainPath: string): void {
    this.queue.push(plainPath);
    this.run();
  }

  /** Is this plain segment being compressed right now (the cap must not remove it under us)? */
  isCompressing(plainPath: string): boolean {
    return this.running === plainPath;
  }

  /** Try the segments that failed again now. */
  retryNow(): void {
    if (this.failed.length === 0) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.queue.push(...this.failed.splice(0));
    this.run();
  }

  /** The cap removed a segment: forget it (and a temp file a failed compression of it left). */
  forget(plainPath: string): void {
    for (const list of [this.queue, this.failed]) {
      const at = list.indexOf(plainPath);
      if (at !== -1) list.splice(at, 1);
    }
    const tmp = compressionTempPath(plainPath, this.o.compression);
    if (this.strays.has(tmp)) void this.removeStrays([tmp]);
  }

  private run(): void {
    if (this.running !== undefined) return;
    const next = this.queue.shift();
    if (next === undefined) {
      for (const waiter of this.idleWaiters.splice(0)) waiter();
      return;
    }
    this.running = next;
    compressSegment(this.o.fs, next, this.o.compression).then(
      (result) => {
        this.delay = this.o.retryDelayMs ?? 1000;
        this.running = undefined;
        this.o.onCompressed(next, result.path, result.bytes);
        this.run();
      },
      (error: Error) => {
        this.running = undefined;
        if (error instanceof CompressionError) this.strays.add(error.tmpLeft);
        this.failed.push(next);
        this.o.onFailed(next, error);
        this.scheduleRetry();
        this.run();
      },
    );
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== undefined || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retryNow();
    }, this.delay);
    this.retryTimer.unref();
    this.delay = Math.min(this.delay * 2, MAX_RETRY_DELAY_MS);
  }

  /** Resolves when no compression is queued or running (failed ones wait for their retry). */
  idle(): Promise<void> {
    if (this.running === undefined && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Try every failed segment once more, wait, and stop retrying (reopening tries again). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.queue.push(...this.failed.splice(0));
    this.run();
    await this.idle();
    await this.removeStrays();
  }

  /**
   * Remove temp files left by failed compressions of segments no longer tried (a retry
   * writes its temp file over the old one): one that cannot go yet stays listed, and
   * reopening removes any .tmp too.
   */
  private async removeStrays(paths: Iterable<string> = this.strays): Promise<void> {
    await Promise.all([...paths].map((tmp) => this.o.fs.promises.unlink(tmp).then(
      () => this.strays.delete(tmp),
      (error: NodeJS.ErrnoException) => error.code === 'ENOENT' && this.strays.delete(tmp),
    )));
  }
}
