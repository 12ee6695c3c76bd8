import { join } from 'node:path';
import { type Stream, activeFileName, segmentFileName } from '../format/fileNames.ts';
import type { ActiveFileState, SegmentInfo } from '../format/sessionMetadata.ts';
import { ActiveFile } from './ActiveFile.ts';
import type { BufferPool } from './BufferPool.ts';
import type { FdBudget } from './FdBudget.ts';
import type { FileSystem } from './FileSystem.ts';
import type { GroupCommit, SyncTarget } from './GroupCommit.ts';
import { type Builder, CHAIN_SUFFIX_BYTES, type Chunk, DROPPED, type Item, QUEUED, type RotateMarker, WRITTEN, chainLines, encodeChunk, extendChunk, openLinesOf } from './Chunk.ts';
import { ReplacementWatch, type Unverified } from './ReplacementWatch.ts';
import { SeqProgress } from './SeqProgress.ts';
import type { WriterStats } from './WriterStats.ts';

export interface StreamWriterOptions {
  dir: string;
  stream: Stream;
  fs: FileSystem;
  fds: FdBudget;
  pool: BufferPool;
  stats: WriterStats;
  /** Bytes buffered by every writer of the store, and the most they may hold before appends write synchronously. */
  memory: { buffered: number; limit: number };
  maxFileSize: number;
  /** Bytes queued in this writer past which appends write synchronously. */
  highWaterMark: number;
  /** How often (ms) to check that the active file was not deleted or replaced under us. */
  checkIntervalMs: number;
  /** Audit lines: each gets the chain value, computed when its chunk is sealed. */
  chain: { head: string } | undefined;
  /** Files are fdatasync'ed through this group commit (durability `audit` for the audit stream, `all`). */
  groupCommit: GroupCommit | undefined;
  /** Seqs up to this may be written: metadata.json has them reserved. */
  reserved(): number;
  /** Ask for a reservation covering every seq handed out (asynchronously). */
  requestReservation(): void;
  /** Make the reservation cover `seq` now (synchronous paths: backpressure, exit). */
  reserveSync(seq: number): void;
  /** Seal this writer at the end of the current turn of the event loop. */
  scheduleSeal(writer: StreamWriter): void;
  /**
   * Hold this writer's one queued chunk back for more lines (the store calls endHold()
   * within a few ms); false when the store holds as many as it may: write it now.
   */
  hold(writer: StreamWriter): boolean;
  onRotated(segment: SegmentInfo, plainPath: string): void;
  /** `count` records with seqs in first..last could not be written; `episodeStart` opens a new drop entry. */
  onDropped(first: number, last: number, count: number, error: string, chainAfter: string | undefined, episodeStart: boolean): void;
  /** First error of a fault episode, and its end (null). */
  onFault(error: NodeJS.ErrnoException | null): void;
}

/**
 * Lines gathered past this many UTF-16 units are encoded into their chunk at once, not at
 * the end of the turn: a flat-out turn's lines otherwise stay on the JS heap as strings until
 * it ends (~1 MB for a turn of 1,000 records over 16 sessions, surviving every scavenge), and
 * V8 answers that survival by growing the young generation to its largest (128 MiB of new
 * space on this machine: ours peaked at 191-201 MiB of RSS, 134-143 with this; the same CPU).
 */
const ENCODE_CHARS = 4096;

/**
 * Appends the lines of one stream (system or audit) of one session. Lines are encoded into
 * chunks; each chunk gets its file and offset once, when sealed, and one asynchronous pump
 * writes the queue in order. Everything that can move a chunk (the pump, the synchronous
 * path under backpressure or at exit, a fault, a rotation, a file found replaced) goes
 * through this class, so a chunk is written exactly once or counted as dropped.
 */
export class StreamWriter implements SyncTarget {
  readonly stream: Stream;
  private readonly o: StreamWriterOptions;
  /** The file new chunks go to; undefined while the session is being recovered. */
  private file: ActiveFile | undefined;
  private nextSegment = 1;
  private builder: Builder | undefined;
  /** Builders sealed while recovering: they get their chain and offset once recovery is done. */
  private unsealed: Builder[] = [];
  private queue: Item[] = [];
  private queuedBytes = 0;
  private inflight: Item | 'check' | undefined;
  private waitingForReservation = false;
  /** Records above the reservation on disk are to be dropped (it could not be written), once nothing is under way. */
  private pendingDrop: NodeJS.ErrnoException | undefined;
  private faulted = false;
  private readonly watch: ReplacementWatch;
  /** Files with written data not yet fdatasync'ed (the active file, and one being rotated). */
  private readonly unsynced = new Set<ActiveFile>();
  private lastAppended = 0;
  private readonly progress: SeqProgress;
  /**
   * Chained streams: the chain value after the last line written (what metadata.json records
   * as chain_head). Lines lost with a replaced file stay in it: they were written.
   */
  writtenChain = '';
  private idleWaiters: Array<() => void> = [];
  /** Gathered lines are encoded into their chunk once they hold this many UTF-16 units (ENCODE_CHARS, or a smaller pooled buffer). */
  private readonly encodeAt: number;
  /** The store holds the chunk at the head of the queue back for more lines ... */
  private held = false;
  /** ... and has let it go: the next write is not held again. */
  private released = false;

  constructor(options: StreamWriterOptions) {
    this.o = options;
    this.encodeAt = Math.min(ENCODE_CHARS, options.pool.size);
    this.watch = new ReplacementWatch(options.checkIntervalMs);
    this.stream = options.stream;
    this.progress = new SeqProgress(options.groupCommit !== undefined);
  }

  get activePath(): string {
    return join(this.o.dir, activeFileName(this.stream));
  }

  get recovering(): boolean {
    return this.file === undefined;
  }

  /** Recovery is done: the active file holds `state` and segments continue at `nextSegment`. */
  resume(state: ActiveFileState, size: number, nextSegment: number): void {
    const file = new ActiveFile(this.activePath, size, this.o.fs, this.o.fds, size === 0);
    file.lines = state.lines;
    file.firstSeq = state.first_seq;
    file.lastSeq = state.last_seq;
    file.lastChain = state.last_chain;
    if (this.o.chain) this.writtenChain = this.o.chain.head;
    file.ino = state.ino;
    this.file = file;
    this.nextSegment = nextSegment;
    this.progress.resume(state.last_seq);
    for (const builder of this.unsealed.splice(0)) this.enqueue(builder);
    this.pump();
  }

  /** What metadata.json records of the active file: only lines known written. */
  activeState(): ActiveFileState {
    const file = this.file;
    if (!file) return { bytes: 0, lines: 0, first_seq: 0, last_seq: 0, last_chain: '', ino: 0 };
    return { bytes: file.written, lines: file.lines, first_seq: file.firstSeq, last_seq: file.lastSeq, last_chain: file.lastChain, ino: file.ino };
  }

  /** Bytes of the active file on disk. */
  get activeBytes(): number {
    return this.file?.written ?? 0;
  }

  /** Lowest seq of this stream not yet written or dropped (Infinity when none waits). */
  firstUnsettledSeq(): number {
    for (const item of this.queue) if (!item.rotate && item.state === QUEUED) return item.first;
    const waiting = this.unsealed[0] ?? this.builder;
    return waiting && waiting.count > 0 ? waiting.first : Infinity;
  }

  /** Append one line (without its closing brace when the stream is chained). */
  append(line: string, seq: number): void {
    this.lastAppended = seq;
    const builder = this.builder;
    const file = this.file;
    if (builder !== undefined && builder.lines === undefined && builder.bytes === undefined && file !== undefined) {
      const chars = line.length + 1;
      const after = builder.chars + chars;
      // Fits the pool's buffer if ASCII (else the chunk gets a buffer of its own), and the file even if every unit took 3 bytes.
      if (after <= this.o.pool.size && file.end + 3 * after <= this.o.maxFileSize) {
        builder.text += line + '\n';
        builder.chars = after;
        builder.count++;
        builder.last = seq;
        this.o.memory.buffered += chars;
        if (this.queuedBytes + after > this.o.highWaterMark || this.o.memory.buffered > this.o.memory.limit) this.backpressure();
        else if (after >= this.encodeAt) this.seal();
        return;
      }
    }
    this.appendSlow(line, seq);
  }

  private appendSlow(line: string, seq: number): void {
    const chained = this.o.chain !== undefined;
    const added = (chained ? CHAIN_SUFFIX_BYTES : 0) + 1; // the chain value (ASCII) and the newline
    const chars = line.length + added;
    let bytes: number | undefined;
    const file = this.file;
    if (file !== undefined && file.end + 3 * ((this.builder?.chars ?? 0) + chars) > this.o.maxFileSize) {
      // Near maxFileSize: count bytes exactly, from a chunk that starts here (the one
      // gathered so far is sealed, which fixes file.end), and rotate before the line that
      // would pass it.
      if (this.builder !== undefined && this.builder.bytes === undefined) this.seal();
      bytes = Buffer.byteLength(line) + added;
      const assigned = file.end + (this.builder?.bytes ?? 0);
      if (assigned > 0 && assigned + bytes > this.o.maxFileSize) this.rotate();
    }
    let builder = this.builder;
    // A chunk fills one pooled buffer at most (a longer line is a chunk of its own).
    if (builder !== undefined && builder.count > 0 && builder.chars + chars > this.o.pool.size) {
      this.seal();
      builder = undefined;
    }
    if (builder === undefined) {
      builder = { text: '', lines: chained ? [] : undefined, chars: 0, bytes: bytes === undefined ? undefined : 0, count: 0, first: seq, last: seq };
      this.builder = builder;
      this.o.scheduleSeal(this);
    }
    if (builder.lines !== undefined) builder.lines.push(line);
    else builder.text += line + '\n';
    builder.chars += chars;
    if (builder.bytes !== undefined) builder.bytes += bytes ?? Buffer.byteLength(line) + added;
    builder.count++;
    builder.last = seq;
    this.o.memory.buffered += chars;
    if (builder.chars >= this.encodeAt) this.seal();
    if (this.queuedBytes + (this.builder?.chars ?? 0) > this.o.highWaterMark || this.o.memory.buffered > this.o.memory.limit) this.backpressure();
  }

  private backpressure(): void {
    if (this.file === undefined) return; // recovering: records wait in memory until it is done
    this.o.stats.backpressure++;
    this.flushSync(false);
  }

  /** Turn the lines gathered so far into a chunk and start writing. */
  seal(): void {
    const builder = this.builder;
    if (builder === undefined) return;
    this.builder = undefined;
    if (builder.count === 0) return;
    if (this.file === undefined) this.unsealed.push(builder);
    else {
      this.enqueue(builder);
      this.pump();
    }
  }

  private enqueue(builder: Builder): void {
    const file = this.file!;
    let lastChain = '';
    const base = this.o.chain?.head ?? '';
    let text = builder.text;
    if (builder.lines !== undefined) {
      // The chain runs in seq order: computed here, where chunks are sealed in append order.
      ({ text, lastChain } = chainLines(builder.lines, base));
      this.o.chain!.head = lastChain;
    }
    if (this.appendToQueued(file, builder, text, base, lastChain)) return;
    const { data, pooled } = encodeChunk(this.o.pool, text, builder.chars);
    this.o.memory.buffered += data.length - builder.chars;
    this.queue.push({
      rotate: false, data, pooled, file, position: file.end,
      first: builder.first, last: builder.last, count: builder.count, lastChain, chained: builder.lines !== undefined, base, state: QUEUED, writing: 0, tried: false,
    });
    file.end += data.length;
    this.queuedBytes += data.length;
  }

  /**
   * Lines sealed while the chunk before them still waits go into that chunk when its buffer
   * has room: one write instead of one per turn of the event loop for a busy session. Only a
   * chunk no write has touched, at the end of the queue and of its file, takes more lines.
   */
  private appendToQueued(file: ActiveFile, builder: Builder, text: string, base: string, lastChain: string): boolean {
    const tail = this.queue.at(-1);
    if (tail === undefined || tail.rotate || tail.file !== file || tail.state !== QUEUED || tail.tried || tail.writing > 0 || tail.pooled === undefined) return false;
    if (tail.chained && base !== tail.lastChain) return false; // chained from elsewhere (a drop reset the head): kept apart
    if (tail.position + tail.data.length !== file.end) return false;
    // Lines the fsynced reservation does not cover yet do not join a chunk it covers: if that
    // reservation cannot be written, they are dropped, and the chunk would go with them.
    const reserved = this.o.reserved();
    if (builder.last > reserved && tail.last <= reserved) return false;
    const written = extendChunk(tail, builder, text, lastChain);
    if (written === undefined) return false;
    this.o.memory.buffered += written - builder.chars;
    file.end += written;
    this.queuedBytes += written;
    return true;
  }

  /** Close the active file as the next numbered segment (once its chunks are written) and start a new one. */
  rotate(): void {
    const old = this.file;
    if (old === undefined) return;
    this.seal();
    if (old.end === 0) return;
    const next = new ActiveFile(this.activePath, 0, this.o.fs, this.o.fds, true);
    this.queue.push({ rotate: true, done: false, file: old, next, number: this.nextSegment++ });
    this.file = next;
    this.pump();
  }

  /** Start the next step if none is under way. */
  private pump(): void {
    if (this.pendingDrop !== undefined && this.inflight === undefined && this.file !== undefined && !this.reservedChunkWaits()) this.applyPendingDrop();
    while (this.inflight === undefined && this.file !== undefined) {
      const item = this.queue[0];
      if (item === undefined) {
        for (const waiter of this.idleWaiters.splice(0)) waiter();
        return;
      }
      if (item.rotate) {
        if (item.done) {
          this.queue.shift();
          continue;
        }
        this.inflight = item;
        this.finishRotation(item);
        return;
      }
      if (item.state !== QUEUED) {
        this.queue.shift();
        this.release(item);
        continue;
      }
      if (item.last > this.o.reserved()) {
        this.waitingForReservation = true;
        this.o.requestReservation();
        return;
      }
      if (item.file === this.file && this.watch.due(item.file)) {
        this.inflight = 'check';
        item.file.checkStillOurs((replaced) => {
          this.inflight = undefined;
          const lost = this.watch.checked(replaced);
          if (lost) this.fileReplaced(item.file, lost);
          this.pump();
        });
        return;
      }
      if (this.holdBack(item)) return;
      this.watch.writing();
      this.held = this.released = false;
      this.rechain(item);
      this.inflight = item;
      item.writing++;
      item.tried = true;
      item.file.writeAt(item.data, item.position, (error) => {
        item.writing--;
        this.inflight = undefined;
        if (item.state === QUEUED) this.settle(item, error);
        this.pump();
      });
      return;
    }
  }

  /**
   * A chunk whose buffer has room waits a few ms for the next turns' lines to join it when
   * nobody waits for it: a busy file is written in ~64 KiB writes rather than one per turn of
   * the event loop (each write costs the libuv pool a system call and the event loop a
   * request, whatever its size). Lines still reach the OS within the store's hold time.
   */
  private holdBack(chunk: Chunk): boolean {
    if (this.released || chunk.tried || chunk.pooled === undefined || this.queue.length !== 1) return false;
    if (chunk.data.length > chunk.pooled.length - (chunk.pooled.length >> 4) || this.idleWaiters.length > 0 || this.progress.waiting) return false;
    if (this.faulted || this.pendingDrop !== undefined) return false; // tried at once: the fault ends, or its drops stay in order
    if (this.held) return true;
    this.held = this.o.hold(this);
    return this.held;
  }

  /** The store's hold is over: write what waits. */
  endHold(): void {
    if (!this.held) return;
    this.held = false;
    this.released = true;
    this.pump();
  }

  /**
   * The audit chain runs over the lines written: a chunk chained after lines that were then
   * dropped is chained again from the last line written, before its first write (the chain
   * values have a fixed length, so its size and offset stay).
   */
  private rechain(chunk: Chunk): void {
    if (!chunk.chained || chunk.tried || chunk.base === this.writtenChain) return;
    const { text, lastChain } = chainLines(openLinesOf(chunk.data), this.writtenChain);
    chunk.data.write(text, 0); // the same length: chain values have a fixed size
    chunk.lastChain = lastChain;
    chunk.base = this.writtenChain;
  }

  /** The reservation that was missing is on disk: writing goes on. */
  reservationDurable(): void {
    if (!this.waitingForReservation) return;
    this.waitingForReservation = false;
    this.pump();
  }

  private release(chunk: Chunk): void {
    if (chunk.pooled !== undefined && chunk.writing === 0) {
      this.o.pool.give(chunk.pooled);
      chunk.pooled = undefined;
    }
  }

  private settle(chunk: Chunk, error: NodeJS.ErrnoException | null): void {
    const { stats } = this.o;
    const file = chunk.file;
    this.queuedBytes -= chunk.data.length;
    this.o.memory.buffered -= chunk.data.length;
    if (error === null) {
      chunk.state = WRITTEN;
      file.written = chunk.position + chunk.data.length;
      if (file.lines === 0) file.firstSeq = chunk.first;
      file.lines += chunk.count;
      file.lastSeq = chunk.last;
      if (chunk.chained) file.lastChain = this.writtenChain = chunk.lastChain;
      this.watch.wrote(chunk.first, chunk.last, chunk.count, chunk.lastChain);
      stats.records += chunk.count;
      stats.bytes += chunk.data.length;
      if (this.o.groupCommit) this.unsynced.add(file);
      if (this.faulted) {
        this.faulted = false;
        this.o.onFault(null);
      }
    } else {
      chunk.state = DROPPED;
      // Nothing after the last good byte may stay behind, or a torn line would sit mid-file;
      // the chunks after this one move back into its place.
      if (chunk.tried) file.truncateTo(chunk.position);
      this.shiftQueued(file, chunk.data.length);
      stats.dropped += chunk.count;
      stats.errors++;
      this.o.onDropped(chunk.first, chunk.last, chunk.count, error.code ?? error.message, undefined, !this.faulted);
      // New chunks chain from what is written; chunks sealed meanwhile are chained again before they are written.
      if (this.o.chain) this.o.chain.head = this.writtenChain;
      if (!this.faulted) {
        this.faulted = true;
        this.o.onFault(error);
      }
    }
    // Dropped records are settled too: their durability waiters learn of them through the next wave.
    this.o.groupCommit?.mark(this);
    this.progress.settle(chunk.last);
  }

  /** Queued chunks of `file` start `bytes` earlier (a chunk before them was dropped, or the file was lost). */
  private shiftQueued(file: ActiveFile, bytes: number): void {
    file.end -= bytes;
    for (const item of this.queue) if (!item.rotate && item.file === file && item.state === QUEUED) item.position -= bytes;
  }

  /** The active file was deleted or replaced: what we wrote to it since the last check may be gone. */
  private fileReplaced(file: ActiveFile, lost: Unverified): void {
    if (lost.count > 0) {
      this.o.stats.dropped += lost.count;
      this.o.stats.records -= lost.count;
      this.o.onDropped(lost.first, lost.last, lost.count, 'EREPLACED', this.o.chain ? lost.chain : undefined, true);
    }
    this.o.stats.errors++;
    // ActiveFile forgot the old file and starts over at 0 (its `end` moved back by what was
    // written); queued chunks move back by the same amount.
    const firstQueued = this.queue.find((item): item is Chunk => !item.rotate && item.file === file && item.state === QUEUED);
    if (firstQueued) {
      const delta = firstQueued.position;
      for (const item of this.queue) if (!item.rotate && item.file === file && item.state === QUEUED) item.position -= delta;
    }
    this.unsynced.delete(file);
    this.o.onFault(Object.assign(new Error(`${file.path} was deleted or replaced while being written`), { code: 'EREPLACED' }));
  }

  private finishRotation(marker: RotateMarker): void {
    const old = marker.file;
    const done = () => {
      this.inflight = undefined;
      this.queue.shift();
      this.pump();
    };
    const rename = () => {
      if (old.written === 0) {
        // Nothing of it reached the disk: no segment. The new file takes the path once the empty one is gone.
        this.unsynced.delete(old);
        void old.close();
        if (old.ino === 0) return done();
        this.o.fs.unlink(old.path, () => done());
        return;
      }
      const name = segmentFileName(this.stream, marker.number);
      const plainPath = join(this.o.dir, name);
      this.o.fs.rename(old.path, plainPath, (error) => {
        if (error) this.cancelRotation(marker, error);
        else this.rotated(marker, name, plainPath);
        done();
      });
    };
    if (this.o.groupCommit && old.written > old.synced) {
      old.sync(() => rename());
    } else rename();
  }

  private rotated(marker: RotateMarker, name: string, plainPath: string): void {
    const old = marker.file;
    this.unsynced.delete(old);
    this.watch.forget(); // we renamed it ourselves
    this.o.stats.rotations++;
    const segment: SegmentInfo = {
      file: name, stream: this.stream, number: marker.number, first_seq: old.firstSeq, last_seq: old.lastSeq, lines: old.lines, bytes: old.written,
      ...(this.o.chain ? { last_chain: old.lastChain } : {}),
    };
    void old.close();
    this.o.onRotated(segment, plainPath);
  }

  /** The rename failed: the old file stays active and takes back the chunks queued for the new one. */
  private cancelRotation(marker: RotateMarker, error: NodeJS.ErrnoException): void {
    const { file: old, next } = marker;
    for (const item of this.queue) {
      if (item.rotate) {
        if (item.file === next) item.file = old;
      } else if (item.file === next) {
        item.file = old;
        item.position += old.end;
      }
    }
    old.end += next.end;
    if (this.file === next) this.file = old;
    this.o.stats.errors++;
    if (!this.faulted) {
      this.faulted = true;
      this.o.onFault(error);
    }
  }

  /** SyncTarget: fdatasync every file with written data, then count what it covers as durable. */
  syncWave(done: () => void): void {
    const target = this.progress.settled;
    const files = [...this.unsynced];
    this.unsynced.clear();
    let left = files.length;
    let failed: NodeJS.ErrnoException | null = null;
    const finish = () => {
      if (failed) {
        // After a failed fdatasync the kernel may have dropped the dirty pages: a retry could
        // succeed without the data. Those waiting are told; the lines stay counted as written.
        this.o.stats.errors++;
        this.o.onFault(failed);
      }
      this.progress.syncedThrough(target, failed);
      done();
    };
    if (left === 0) return finish();
    for (const file of files) {
      file.sync((error) => {
        if (error) failed = error;
        if (--left === 0) finish();
      });
    }
  }

  /**
   * Write everything buffered now, in order: under backpressure (`exiting` false) and at
   * process exit (true), when no asynchronous callback will run again. A chunk the pump is
   * writing is written again at its own offset (same bytes, same place).
   */
  flushSync(exiting: boolean): void {
    this.seal();
    if (this.file === undefined) return; // recovering: nothing has an offset yet
    let last = 0;
    for (const item of this.queue) if (!item.rotate && item.state === QUEUED) last = item.last;
    if (last > this.o.reserved()) this.o.reserveSync(last);
    // The synchronous write of metadata.json may have failed: records above the reservation on disk wait.
    const reserved = this.o.reserved();
    for (const item of this.queue) {
      if (item.rotate) {
        if (item.done) continue;
        if (this.inflight === item && !exiting) return; // its rename is under way: the rest waits for it
        item.done = true;
        this.rotateSync(item);
        continue;
      }
      if (item.state !== QUEUED) continue;
      if (item.last > reserved) {
        this.waitingForReservation = true;
        this.o.requestReservation();
        break;
      }
      try {
        this.rechain(item);
        item.tried = true;
        item.file.writeAtSync(item.data, item.position);
        this.settle(item, null);
      } catch (error) {
        // A failure of the chunk the pump is writing is for the pump to settle (it may still succeed).
        if (this.inflight === item && !exiting) break;
        this.settle(item, error as NodeJS.ErrnoException);
      }
    }
    if (!exiting) this.pump(); // drops what the synchronous path settled from the queue
    if (exiting && this.o.groupCommit) {
      for (const file of this.unsynced) {
        try {
          file.syncSync();
        } catch {
          // Written but not synced: the OS still has it unless the machine goes down.
        }
      }
      this.unsynced.clear();
    }
  }

  private rotateSync(marker: RotateMarker): void {
    const old = marker.file;
    if (old.written === 0) return;
    const name = segmentFileName(this.stream, marker.number);
    const plainPath = join(this.o.dir, name);
    try {
      if (this.o.groupCommit) old.syncSync();
      // At exit the pump's own rename may have happened already.
      if (this.o.fs.lstatSync(old.path, { throwIfNoEntry: false })?.ino !== old.ino) return;
      this.o.fs.renameSync(old.path, plainPath);
      this.rotated(marker, name, plainPath);
    } catch (error) {
      this.cancelRotation(marker, error as NodeJS.ErrnoException);
    }
  }

  /** The session's files could not be read back: every record waiting for that is dropped, counted and ranged. */
  abandon(error: NodeJS.ErrnoException): void {
    if (this.file !== undefined) return;
    this.seal();
    for (const builder of this.unsealed.splice(0)) {
      this.o.memory.buffered -= builder.chars;
      this.o.stats.dropped += builder.count;
      this.o.onDropped(builder.first, builder.last, builder.count, error.code ?? error.message, undefined, !this.faulted);
      this.faulted = true;
      this.progress.settle(builder.last);
    }
  }

  /** Give up on the records above the reservation on disk (it could not be written): counted and ranged as dropped. */
  dropAbove(error: NodeJS.ErrnoException): void {
    this.seal();
    this.pendingDrop = error;
    this.pump();
  }

  /** A chunk the reservation covers waits to be written: a pending drop (of what it does not cover) comes after it. */
  private reservedChunkWaits(): boolean {
    const reserved = this.o.reserved();
    for (const item of this.queue) if (!item.rotate && item.state === QUEUED) return item.last <= reserved;
    return false;
  }

  /**
   * Settle in queue order: a drop waits for the step under way and for the chunks the
   * reservation covers before it, so drop ranges and the chain stay in order; what is
   * reserved by then is written after all. The chunks above the
   * reservation are the end of the queue and were never tried: nothing of them is on disk.
   */
  private applyPendingDrop(): void {
    const error = this.pendingDrop!;
    this.pendingDrop = undefined;
    const reserved = this.o.reserved();
    for (const item of this.queue) if (!item.rotate && item.state === QUEUED && item.last > reserved) this.settle(item, error);
  }

  /** Resolves when every line appended so far is written or dropped (and fdatasync'ed when `durable`). */
  waitFor(durable: boolean): Promise<void> {
    this.seal();
    const done = this.progress.waitFor(this.lastAppended, durable);
    this.endHold(); // somebody waits: no holding back
    return done;
  }

  /** Resolves when nothing is queued or under way. */
  idle(): Promise<void> {
    this.seal();
    if (this.inflight === undefined && this.queue.length === 0 && this.unsealed.length === 0) return Promise.resolve();
    const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.endHold();
    return idle;
  }

  /** Write what is queued, wait for its fdatasync (a failure was reported), close the file. */
  async close(): Promise<void> {
    await this.idle();
    await this.waitFor(true).catch(() => {});
    await this.file?.close();
  }
}
