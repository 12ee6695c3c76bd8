import { join } from 'node:path';
import { ActiveFile } from './ActiveFile.ts';
import type { FdBudget } from './FdBudget.ts';
import type { FileSystem } from './FileSystem.ts';
import type { WriterStats } from './WriterStats.ts';
import { type Stream, activeFileName, segmentFileName } from '../format/fileNames.ts';
import type { DropRange, SegmentInfo } from '../format/sessionMetadata.ts';

export interface SegmentWriterOptions {
  dir: string;
  stream: Stream;
  fs: FileSystem;
  fds: FdBudget;
  stats: WriterStats;
  maxFileSize: number;
  /** fdatasync after every chunk (durability `all`, or `audit` for the audit stream). */
  fsync: boolean;
  /** Bytes buffered before a chunk is handed to the disk. */
  chunkBytes: number;
  /** Buffered bytes past which append() writes synchronously instead of growing memory. */
  highWaterMark: number;
  /** Bytes buffered by every writer of the processor, and the most it may hold before appends write synchronously. */
  memory: { buffered: number; limit: number };
  /** How often (ms) to check that the active file was not deleted or replaced under us. */
  checkIntervalMs: number;
  /** State found on disk when the session was opened. */
  initialSize: number;
  nextSegment: number;
  onRotated(segment: SegmentInfo, plainPath: string, file: ActiveFile): void;
  onDropped(range: DropRange): void;
  /** First error of an episode (one report per episode) and its end. */
  onFault(error: NodeJS.ErrnoException | null): void;
}

interface Chunk {
  data: Buffer;
  file: ActiveFile;
  first: number;
  last: number;
  count: number;
  /** Offset assigned when the chunk starts; fixed from then on. */
  position: number;
  /** Written by the synchronous path; the asynchronous result no longer matters. */
  settled: boolean;
  /** A rotation marker: runs once every chunk before it is written. */
  rotate?: () => void;
}

/**
 * Appends lines for one stream (system or audit) of one session. Lines are gathered into
 * chunks and written asynchronously one chunk at a time, in order; the active file is
 * rotated into a numbered segment at a line boundary when it would pass maxFileSize.
 * Nothing is dropped silently: a failed chunk is counted and its seq range reported.
 */
export class SegmentWriter {
  private readonly options: SegmentWriterOptions;
  private file: ActiveFile;
  /** Bytes given to the active file so far (on disk, queued or pending). */
  private assigned: number;
  private nextSegment: number;
  private pending: string[] = [];
  private pendingBytes = 0;
  private pendingFirst = 0;
  private pendingLast = 0;
  private queue: Chunk[] = [];
  private queuedBytes = 0;
  private inflight: Chunk | undefined;
  private scheduled = false;
  private faulted = false;
  private segFirst = 0;
  private segLast = 0;
  private segLines = 0;
  private idleWaiters: Array<() => void> = [];
  private lastCheck = Date.now();
  /** Records written to the active file since it was last known to be ours. */
  private unverifiedFirst = 0;
  private unverifiedLast = 0;
  private unverifiedCount = 0;
  private readonly sealSoon = () => {
    this.scheduled = false;
    this.seal();
  };

  constructor(options: SegmentWriterOptions) {
    this.options = options;
    this.assigned = options.initialSize;
    this.nextSegment = options.nextSegment;
    this.file = new ActiveFile(this.activePath, options.initialSize, options.fs, options.fds);
  }

  get activePath(): string {
    return join(this.options.dir, activeFileName(this.options.stream));
  }

  /** Bytes of the active file known to be on disk. */
  get activeBytesOnDisk(): number {
    return this.file.size;
  }

  /** Set the seq range already in the active file (found on reopen). */
  resumeSegment(firstSeq: number, lastSeq: number, lines: number): void {
    this.segFirst = firstSeq;
    this.segLast = lastSeq;
    this.segLines = lines;
  }

  append(line: string, seq: number): void {
    const bytes = Buffer.byteLength(line) + 1;
    if (this.assigned > 0 && this.assigned + bytes > this.options.maxFileSize) this.rotate();
    if (this.pendingBytes === 0) this.pendingFirst = seq;
    this.pendingLast = seq;
    this.pending.push(line);
    this.pendingBytes += bytes;
    this.options.memory.buffered += bytes;
    this.assigned += bytes;
    if (this.segLines === 0) this.segFirst = seq;
    this.segLast = seq;
    this.segLines++;
    if (this.pendingBytes >= this.options.chunkBytes) this.seal();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.sealSoon);
    }
    if (this.queuedBytes + this.pendingBytes > this.options.highWaterMark || this.options.memory.buffered > this.options.memory.limit) {
      this.options.stats.backpressure++;
      this.flushSync();
    }
  }

  /** Turn pending lines into a chunk and start writing. */
  private seal(): void {
    if (this.pendingBytes === 0) return;
    // One copy: encode each line straight into the chunk (its byte length is known).
    const data = Buffer.allocUnsafe(this.pendingBytes);
    let offset = 0;
    for (const line of this.pending) {
      offset += data.write(line, offset);
      data[offset++] = 0x0a;
    }
    this.queue.push({ data, file: this.file, first: this.pendingFirst, last: this.pendingLast, count: this.pending.length, position: -1, settled: false });
    this.queuedBytes += data.length;
    this.pending = [];
    this.pendingBytes = 0;
    this.pump();
  }

  /** Start the next chunk if none is under way. */
  private pump(): void {
    if (this.inflight) return;
    let chunk = this.queue.shift();
    while (chunk?.rotate) {
      chunk.rotate();
      chunk = this.queue.shift();
    }
    if (!chunk) {
      for (const waiter of this.idleWaiters.splice(0)) waiter();
      return;
    }
    this.inflight = chunk;
    if (Date.now() - this.lastCheck >= this.options.checkIntervalMs && chunk.file === this.file) {
      this.lastCheck = Date.now();
      chunk.file.checkStillOurs((replaced) => {
        if (replaced) this.fileReplaced();
        else this.unverifiedCount = 0;
        this.writeChunk(chunk);
      });
      return;
    }
    this.writeChunk(chunk);
  }

  /** The active file was deleted or replaced: what we wrote since the last check may be gone. */
  private fileReplaced(): void {
    const error = Object.assign(new Error(`${this.activePath} was deleted or replaced while being written`), { code: 'EREPLACED' });
    if (this.unverifiedCount > 0) {
      this.options.stats.dropped += this.unverifiedCount;
      this.options.onDropped({ stream: this.options.stream, first_seq: this.unverifiedFirst, last_seq: this.unverifiedLast, count: this.unverifiedCount, error: 'EREPLACED' });
    }
    this.unverifiedCount = 0;
    this.assigned = this.queuedBytes + this.pendingBytes;
    this.segLines = 0;
    this.options.stats.errors++;
    this.options.onFault(error);
  }

  private writeChunk(chunk: Chunk): void {
    chunk.position = chunk.file.size;
    chunk.file.writeAt(chunk.data, chunk.position, this.options.fsync, (error) => {
      this.inflight = undefined;
      this.queuedBytes -= chunk.data.length;
      this.options.memory.buffered -= chunk.data.length;
      if (!chunk.settled) this.settle(chunk, error);
      this.pump();
    });
  }

  private settle(chunk: Chunk, error: NodeJS.ErrnoException | null): void {
    chunk.settled = true;
    const { stats } = this.options;
    if (error === null) {
      chunk.file.size = chunk.position + chunk.data.length;
      if (this.unverifiedCount === 0) this.unverifiedFirst = chunk.first;
      this.unverifiedLast = chunk.last;
      this.unverifiedCount += chunk.count;
      stats.records += chunk.count;
      stats.bytes += chunk.data.length;
      if (this.faulted) {
        this.faulted = false;
        this.options.onFault(null);
      }
      return;
    }
    // Nothing after the last good byte may stay behind, or a torn line would sit mid-file.
    chunk.file.truncateTo(chunk.position);
    stats.dropped += chunk.count;
    stats.errors++;
    this.options.onDropped({ stream: this.options.stream, first_seq: chunk.first, last_seq: chunk.last, count: chunk.count, error: error.code ?? error.message });
    if (!this.faulted) {
      this.faulted = true;
      this.options.onFault(error);
    }
  }

  /** Close the active file as a numbered segment and start a new one. */
  rotate(): void {
    if (this.assigned === 0) return;
    this.seal();
    const number = this.nextSegment++;
    const name = segmentFileName(this.options.stream, number);
    const segment: SegmentInfo = { file: name, stream: this.options.stream, number, first_seq: this.segFirst, last_seq: this.segLast, lines: this.segLines, bytes: this.assigned };
    const old = this.file;
    // Rename once every chunk of the old file has been written; later chunks go to the new file.
    const renameWhenWritten = () => {
      const plainPath = join(this.options.dir, name);
      try {
        this.options.fs.renameSync(old.path, plainPath);
      } catch (error) {
        this.options.stats.errors++;
        this.options.onFault(error as NodeJS.ErrnoException);
        return;
      }
      this.options.stats.rotations++;
      this.unverifiedCount = 0; // we renamed it ourselves
      this.options.onRotated(segment, plainPath, old);
    };
    this.file = new ActiveFile(this.activePath, 0, this.options.fs, this.options.fds);
    this.queue.push({ data: Buffer.alloc(0), file: old, first: 0, last: 0, count: 0, position: -1, settled: true, rotate: renameWhenWritten });
    this.assigned = 0;
    this.segLines = 0;
    this.pump();
  }

  /** Write everything buffered now, in order (backpressure and exit). */
  flushSync(): void {
    this.seal();
    const chunks = this.inflight ? [this.inflight, ...this.queue] : this.queue.slice();
    for (const chunk of chunks) {
      if (chunk.rotate) {
        chunk.rotate();
        continue;
      }
      if (chunk.settled) continue;
      if (chunk.position === -1) chunk.position = chunk.file.size;
      try {
        chunk.file.writeAtSync(chunk.data, chunk.position, this.options.fsync);
        this.settle(chunk, null);
      } catch (error) {
        this.settle(chunk, error as NodeJS.ErrnoException);
      }
    }
    // The chunk under way stays until its callback; the rest are done.
    for (const chunk of this.queue) {
      this.queuedBytes -= chunk.data.length;
      this.options.memory.buffered -= chunk.data.length;
    }
    this.queue = [];
  }

  /** Resolves when everything appended so far has been written (or counted as dropped). */
  flush(): Promise<void> {
    this.seal();
    if (!this.inflight && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.flush();
    await this.file.close();
  }
}
