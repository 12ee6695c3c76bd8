import { join } from 'node:path';
import type { Attributes, SpanContext } from '@opentelemetry/api';
import { type Compression, METADATA_FILE, STREAMS, type Stream, segmentFileNames } from '../format/fileNames.ts';
import { formatLineOpen, sessionPart } from '../format/formatLine.ts';
import { type SegmentInfo, type SessionMetadata, type StoredSegment, newMetadata, removedEntry } from '../format/sessionMetadata.ts';
import type { BufferPool } from './BufferPool.ts';
import type { FdBudget } from './FdBudget.ts';
import type { FileSystem } from './FileSystem.ts';
import type { GroupCommit } from './GroupCommit.ts';
import { MetadataFile, type MetadataSnapshot, type WriteSlots, metadataText } from './MetadataFile.ts';
import { type RecoveredSession, recoverSession } from './recoverSession.ts';
import { runAsync, runSync } from './recoveryIo.ts';
import { SegmentCompressor } from './SegmentCompressor.ts';
import { SeqReservation } from './SeqReservation.ts';
import { ensureSessionDir, holdsRecords, readMetadataSync } from './sessionDirectory.ts';
import { SessionLock } from './SessionLock.ts';
import { segmentsOverCap } from './sizeCap.ts';
import { StorageError } from './StorageError.ts';
import { StreamWriter } from './StreamWriter.ts';
import type { WriterStats } from './WriterStats.ts';

export type Durability = 'none' | 'audit' | 'all';

export interface StoredSessionConfig {
  maxFileSize: number;
  maxSessionSize: number;
  compression: Compression;
  durability: Durability;
  separateAuditTrail: boolean;
  highWaterMark: number;
  checkIntervalMs: number;
}

/** What the store shares with each of its sessions. */
export interface StoreContext {
  root: string;
  config: StoredSessionConfig;
  fs: FileSystem;
  fds: FdBudget;
  pool: BufferPool;
  stats: WriterStats;
  memory: { buffered: number; limit: number };
  groupCommit: GroupCommit;
  /** Bounds the metadata.json writes under way at once. */
  metadataSlots: WriteSlots;
  clock: () => Date;
  /** One report per fault episode (`error` null ends it); `what` names the file. */
  report(sessionId: string, what: string, error: Error | null): void;
  scheduleSeal(writer: StreamWriter): void;
  hold(writer: StreamWriter): boolean;
}

/** A metadata.json write, the reservation it makes durable and the removed segments that may go once it lands. */
interface Snapshot extends MetadataSnapshot {
  reserved: number;
  unlink: string[];
}


/**
 * One open session of the store: its directory, lock, metadata.json, seq counter and the
 * writers of its two streams. It owns seq: seqs are handed out here, and reserved in
 * metadata.json before any record above the reservation reaches the disk, so after a crash
 * every seq that may have been handed out is on disk or recorded as a crash loss, and a
 * reopen never hands one out twice. Opening takes a few small synchronous steps (directory,
 * lock, metadata.json); the repair of the files runs off the event loop while new records
 * wait in memory.
 */
export class StoredSession {
  readonly id: string;
  readonly dir: string;
  /** `,"session_id":"<id>","event":`, for building this session's lines. */
  readonly sessionJson: string;
  /** Seqs and their reservation in metadata.json. */
  private readonly seqs: SeqReservation;
  /** Highest seq appended to a writer (records behind a batching processor arrive later). */
  private lastAppended: number;
  /** Seq ranges handed out here that later appends passed over (a queue upstream dropped them), oldest first. */
  private skipped: Array<[number, number]> = [];
  private readonly ctx: StoreContext;
  private readonly meta: SessionMetadata;
  private readonly chain = { head: '' };
  private readonly writers: Record<Stream, StreamWriter>;
  private readonly lock: SessionLock;
  private readonly metadataFile: MetadataFile<Snapshot>;
  private readonly compressor: SegmentCompressor | undefined;
  /** Pending while the files are being read back (records wait in memory meanwhile). */
  private recovering: Promise<void> | undefined;
  private recoveryDone: (() => void) | undefined;
  private recoveryInFlight = false;
  private recoveryError: Error | undefined;
  private recoveryAttempts = 0;
  private recoveryTimer: NodeJS.Timeout | undefined;
  private capRun: Promise<void> = Promise.resolve();
  /** Segments recorded as removed whose files are deleted once that record is on disk. */
  private unlinkAfterWrite: string[] = [];
  private unlinking: Promise<void> = Promise.resolve();
  /** flush() calls have asked for every seq up to here. */
  private flushedThrough = 0;
  private closing: Promise<void> | undefined;

  constructor(ctx: StoreContext, sessionId: string, level: string | null, attributes: Record<string, unknown>) {
    this.ctx = ctx;
    this.id = sessionId;
    this.dir = join(ctx.root, sessionId);
    this.sessionJson = sessionPart(sessionId);
    const { fs } = ctx;
    const created = ensureSessionDir(fs, this.dir, sessionId);
    this.lock = SessionLock.acquire(fs, this.dir, sessionId);
    try {
      const now = ctx.clock();
      const read = readMetadataSync(fs, this.dir);
      if (read.kind === 'corrupt') {
        // Kept for inspection; the files are the authority and are read again below.
        fs.renameSync(join(this.dir, METADATA_FILE), join(this.dir, `${METADATA_FILE}.corrupt-${now.getTime()}`));
        ctx.report(sessionId, METADATA_FILE, read.error);
      }
      let meta: SessionMetadata;
      let recovery: 'none' | 'async' | 'sync' = 'none';
      if (read.kind === 'found') {
        meta = read.meta;
        // Written before seqs were reserved and not closed: nothing bounds the seqs it used, so read them now.
        recovery = read.legacy && meta.ended_at === null ? 'sync' : 'async';
        meta.ended_at = null;
        meta.pid = process.pid;
        Object.assign(meta.attributes, attributes);
        if (level !== null) {
          meta.level_history.push({ at: now.toISOString(), from: meta.level, to: level, by: 'reopen' });
          meta.level = level;
        }
      } else {
        meta = newMetadata(sessionId, level, attributes, now);
        // metadata.json lost: the seqs on disk must be known first. (A directory made just now
        // cannot hold records without metadata.json: none is written before its reservation.)
        if (!created && holdsRecords(fs, this.dir)) recovery = 'sync';
      }
      this.meta = meta;
      let lastSeq = Math.max(meta.seq_reserved, meta.last_seq);
      this.writers = { system: this.newWriter('system'), audit: this.newWriter('audit') };
      this.compressor = ctx.config.compression === 'none' ? undefined : new SegmentCompressor({
        fs, compression: ctx.config.compression,
        onCompressed: (plain, compressed, bytes) => this.compressed(plain, compressed, bytes),
        onFailed: (plain, error) => {
          ctx.stats.errors++;
          ctx.report(sessionId, plain.slice(this.dir.length + 1), error);
        },
      });
      this.metadataFile = new MetadataFile(join(this.dir, METADATA_FILE), fs, ctx.metadataSlots, () => this.snapshot(), (snapshot, durable) => this.written(snapshot, durable), (error, snapshot) => this.metadataFailed(error, snapshot), created);
      const found = recovery === 'sync' ? runSync(fs, recoverSession(this.dir, meta, this.compressor !== undefined, lastSeq)) : undefined;
      if (found) lastSeq = Math.max(lastSeq, found.maxSeqOnDisk);
      this.seqs = new SeqReservation({
        record: meta,
        writeNow: (durable) => {
          try {
            this.metadataFile.writeSync(durable);
          } catch {
            // Reported through metadataFailed; records above the reservation on disk will be dropped.
          }
        },
        writeSoon: () => this.writeMetadata(),
        durable: () => {
          for (const stream of STREAMS) this.writers[stream].reservationDurable();
        },
        now: () => ctx.clock().getTime(),
      }, lastSeq);
      this.lastAppended = this.flushedThrough = lastSeq;
      if (recovery === 'async') {
        this.recovering = new Promise((resolve) => (this.recoveryDone = resolve));
        this.recover();
      } else this.recovered(found);
    } catch (error) {
      this.lock.release();
      throw error;
    }
  }

  private newWriter(stream: Stream): StreamWriter {
    const { ctx } = this;
    const { config } = ctx;
    const fsync = config.durability === 'all' || (config.durability === 'audit' && stream === 'audit');
    return new StreamWriter({
      dir: this.dir, stream, fs: ctx.fs, fds: ctx.fds, pool: ctx.pool, stats: ctx.stats, memory: ctx.memory,
      maxFileSize: config.maxFileSize, highWaterMark: config.highWaterMark, checkIntervalMs: config.checkIntervalMs,
      chain: stream === 'audit' ? this.chain : undefined,
      groupCommit: fsync ? ctx.groupCommit : undefined,
      reserved: () => this.seqs.onDisk,
      requestReservation: () => this.seqs.needed(),
      reserveSync: (seq) => this.reserveSync(seq),
      scheduleSeal: ctx.scheduleSeal,
      hold: ctx.hold,
      onRotated: (segment, plainPath) => this.rotated(segment, plainPath),
      onDropped: (first, last, count, error, chainAfter, episodeStart) => this.dropped(stream, first, last, count, error, chainAfter, episodeStart),
      onFault: (error) => this.fault(stream, error),
    });
  }

  /** Apply what recovery found, then let the writers go. */
  /** Run recovery off the event loop; a failure is tried again (the disk may be back). */
  private recover(): void {
    this.recoveryInFlight = true;
    runAsync(this.ctx.fs, recoverSession(this.dir, this.meta, this.compressor !== undefined, this.seqs.openedAt)).then(
      (result) => {
        this.recoveryInFlight = false;
        this.recovered(result);
      },
      (error: Error) => {
        this.recoveryInFlight = false;
        this.recoveryFailed(error);
      },
    );
  }

  private recoveryFailed(error: Error): void {
    this.ctx.stats.errors++;
    if (this.recoveryError === undefined) this.ctx.report(this.id, 'recovery', error);
    this.recoveryError = error;
    if (this.closing) return this.giveUpRecovery(error);
    this.recoveryTimer = setTimeout(() => this.recover(), Math.min(100 * 2 ** this.recoveryAttempts++, 10_000));
    this.recoveryTimer.unref();
  }

  /**
   * Closing while the files cannot be read back: nothing can be written safely (where the
   * active files end is unknown), so what waits is dropped, counted and ranged.
   */
  private giveUpRecovery(error: Error): void {
    for (const stream of STREAMS) this.writers[stream].abandon(error as NodeJS.ErrnoException);
    this.recovering = undefined;
    this.recoveryDone?.();
  }

  private recovered(found: RecoveredSession | undefined): void {
    this.recovering = undefined;
    this.recoveryDone?.();
    if (this.recoveryError !== undefined) {
      this.recoveryError = undefined;
      this.ctx.report(this.id, 'recovery', null);
    }
    const meta = this.meta;
    const at = this.ctx.clock().toISOString();
    if (found) {
      meta.segments = found.segments;
      for (const stream of STREAMS) {
        const { tornBytes } = found.active[stream];
        if (tornBytes > 0) {
          meta.repairs.push({ file: `${stream}.jsonl`, bytes: tornBytes, at });
          this.ctx.stats.repairs++;
        }
      }
      for (const [first, last] of found.crashLosses) meta.crash_losses.push({ first_seq: first, last_seq: last, at });
      const { seqs } = this;
      if (found.maxSeqOnDisk > seqs.openedAt) {
        // Cannot happen through this store (nothing is written above the reservation): someone edited the directory.
        this.ctx.report(this.id, METADATA_FILE, new Error(`the files hold seq ${found.maxSeqOnDisk}, above the ${seqs.openedAt} that metadata.json reserved; seqs handed out since opening may repeat`));
        seqs.last = Math.max(seqs.last, found.maxSeqOnDisk);
      }
      this.chain.head = meta.chain_head = found.chainHead;
      for (const stream of STREAMS) this.writers[stream].resume(found.active[stream].state, found.active[stream].size, found.nextSegment[stream]);
      for (const plain of found.toCompress) this.compressor?.add(plain);
    } else {
      for (const stream of STREAMS) this.writers[stream].resume(meta.active[stream], 0, 1);
    }
    this.seqs.start(); // writes metadata.json: the reservation and what recovery found
    if (found && found.segments.length > 0) this.enforceCap();
  }

  get level(): string | null {
    return this.meta.level;
  }

  /** Last seq handed out. */
  get seq(): number {
    return this.seqs.last;
  }

  /** The next seq (see SeqReservation). */
  nextSeq(): number {
    return this.seqs.next();
  }

  /** Was `seq` handed out by this session (and not by a counter elsewhere)? */
  handedOut(seq: number): boolean {
    return this.seqs.handedOut(seq);
  }

  private reserveSync(seq: number): void {
    if (this.recovering) return; // a snapshot would not hold what recovery is finding
    this.seqs.reserveSync(seq);
  }

  /** A metadata.json write finished: what it reserved may be written now, what it recorded as removed may go. */
  private written({ reserved, unlink }: Snapshot, durable: boolean): void {
    if (!durable) {
      this.seqs.landed(reserved, false);
      this.unlinkAfterWrite.unshift(...unlink); // removals wait for an fsynced record
      return;
    }
    if (this.metadataError !== undefined) {
      this.metadataError = undefined;
      this.ctx.report(this.id, METADATA_FILE, null);
    }
    this.seqs.landed(reserved, true);
    const files = unlink.flatMap(segmentFileNames);
    if (files.length === 0) return;
    const unlinks = files.map((file) => this.ctx.fs.promises.unlink(join(this.dir, file)).then(
      () => {
        this.ctx.stats.removedSegments++;
      },
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') this.ctx.report(this.id, file, error); // reopening finishes it (it is recorded)
      },
    ));
    this.unlinking = Promise.all([this.unlinking, ...unlinks]).then(() => {});
  }

  /** The last metadata.json write failed with this (cleared by the next one that works). */
  private metadataError: NodeJS.ErrnoException | undefined;
  private dropScheduled = false;

  /**
   * A metadata.json write failed: report it (once per episode). Records above the seqs
   * reserved on disk cannot be written (a crash could not account for them), so they are
   * dropped, counted and ranged, rather than held without bound while the disk is failing.
   */
  private metadataFailed(error: Error, snapshot: Snapshot): void {
    this.unlinkAfterWrite.unshift(...snapshot.unlink); // for the next write that lands
    this.ctx.stats.errors++;
    this.seqs.failed();
    if (this.metadataError === undefined) this.ctx.report(this.id, METADATA_FILE, error);
    this.metadataError = error as NodeJS.ErrnoException;
    this.dropHeldSoon();
  }

  private dropHeldSoon(): void {
    if (this.dropScheduled) return;
    this.dropScheduled = true;
    setImmediate(() => {
      this.dropScheduled = false;
      if (this.metadataError === undefined) return;
      for (const stream of STREAMS) this.writers[stream].dropAbove(this.metadataError);
    });
  }

  private writeMetadata(): void {
    if (this.recovering) return; // recovered() writes it
    this.metadataFile.schedule();
  }

  private snapshot(): Snapshot {
    const meta = this.meta;
    meta.last_seq = this.seqs.last;
    // While recovering, what metadata.json says of the files stays as read (only the reservation moves).
    if (this.recovering) return { text: metadataText(meta), reserved: meta.seq_reserved, unlink: [] };
    let firstOpen = this.skipped.length > 0 ? this.skipped[0]![0] : this.lastAppended + 1;
    for (const stream of STREAMS) firstOpen = Math.min(firstOpen, this.writers[stream].firstUnsettledSeq());
    meta.written_through = Math.max(meta.written_through, firstOpen - 1);
    // The chain after what is written, not after lines still waiting to be written.
    meta.chain_head = this.writers.audit.writtenChain;
    meta.active = { system: this.writers.system.activeState(), audit: this.writers.audit.activeState() };
    // Segments recorded as removed are deleted once this write (holding the record) lands.
    return { text: metadataText(meta), reserved: meta.seq_reserved, unlink: this.unlinkAfterWrite.splice(0) };
  }

  /** Write one line; `ts` is formatTimestamp(...), `eventJson` eventPart(event, category, tier, severity). */
  append(seq: number, ts: string, eventJson: string, audit: boolean, body: unknown, attributes: Attributes | undefined, span: SpanContext | undefined): void {
    if (seq > this.lastAppended) {
      if (seq > this.lastAppended + 1) this.skipped.push([this.lastAppended + 1, seq - 1]);
      this.lastAppended = seq;
    } else if (this.skipped.length > 0) this.arrivedLate(seq);
    const open = formatLineOpen(ts, seq, this.sessionJson, eventJson, body, attributes, span);
    if (audit && this.ctx.config.separateAuditTrail) this.writers.audit.append(open, seq);
    else this.writers.system.append(open + '}', seq);
  }

  /** A seq passed over earlier arrived after all (out of order): it is no longer missing. */
  private arrivedLate(seq: number): void {
    const at = this.skipped.findIndex(([first, last]) => seq >= first && seq <= last);
    if (at === -1) return;
    const [first, last] = this.skipped[at]!;
    const rest: Array<[number, number]> = [];
    if (first < seq) rest.push([first, seq - 1]);
    if (seq < last) rest.push([seq + 1, last]);
    this.skipped.splice(at, 1, ...rest);
  }

  levelChanged(from: string | null, to: string, by: string): void {
    this.meta.level = to;
    this.meta.level_history.push({ at: this.ctx.clock().toISOString(), from, to, by });
    this.writeMetadata();
  }

  /** Merge into metadata.json's `attributes`. */
  setAttributes(attributes: Record<string, unknown>): void {
    Object.assign(this.meta.attributes, attributes);
    this.writeMetadata();
  }

  get segments(): readonly StoredSegment[] {
    return this.meta.segments;
  }

  private rotated(segment: SegmentInfo, plainPath: string): void {
    this.meta.segments.push({ ...segment, compression: 'none', stored_bytes: segment.bytes });
    this.writeMetadata();
    this.compressor?.add(plainPath);
    this.enforceCap();
  }

  private compressed(plainPath: string, compressedPath: string, bytes: number): void {
    const name = plainPath.slice(this.dir.length + 1);
    const segment = this.meta.segments.find((s) => s.file === name);
    if (segment) {
      segment.file = compressedPath.slice(this.dir.length + 1);
      segment.compression = this.ctx.config.compression;
      segment.stored_bytes = bytes;
    }
    this.ctx.stats.compressions++;
    this.writeMetadata();
    this.enforceCap();
  }

  private dropped(stream: Stream, first: number, last: number, count: number, error: string, chainAfter: string | undefined, episodeStart: boolean): void {
    const drops = this.meta.drops;
    let open: (typeof drops)[number] | undefined;
    if (!episodeStart) for (let i = drops.length - 1; i >= 0 && open === undefined; i--) if (drops[i]!.stream === stream) open = drops[i];
    if (open && open.error === error && open.last_seq < first) {
      open.last_seq = last;
      open.count += count;
      if (chainAfter !== undefined) open.chain_after = chainAfter;
    } else {
      drops.push({ stream, first_seq: first, last_seq: last, count, error, at: this.ctx.clock().toISOString(), ...(chainAfter !== undefined ? { chain_after: chainAfter } : {}) });
    }
    this.writeMetadata();
  }

  private fault(stream: Stream, error: NodeJS.ErrnoException | null): void {
    this.ctx.report(this.id, `${stream}.jsonl`, error);
    if (error === null) {
      this.compressor?.retryNow(); // space may be back
      this.writeMetadata(); // the drops of the episode
    }
  }

  /** Remove the oldest segments while the session is over max_session_size: recorded first, deleted once the record is on disk. */
  private enforceCap(): void {
    this.capRun = this.capRun.then(async () => {
      const active = this.writers.system.activeBytes + this.writers.audit.activeBytes;
      const remove = segmentsOverCap(this.meta.segments, active, this.ctx.config.maxSessionSize, (s) => this.compressor?.isCompressing(join(this.dir, s.file)) ?? false);
      if (remove.length === 0) return;
      const at = this.ctx.clock().toISOString();
      for (const segment of remove) {
        this.meta.segments.splice(this.meta.segments.indexOf(segment), 1);
        this.meta.removed.push(removedEntry(segment, 'cap', at));
        this.compressor?.forget(join(this.dir, segment.file));
        this.unlinkAfterWrite.push(segment.file);
      }
      await this.metadataFile.write().catch(() => {});
    });
  }

  /** Retention for this open session: rotated segments last written before `cutoff`, recorded then removed. */
  async pruneSegmentsBefore(cutoff: number, dryRun: boolean): Promise<StoredSegment[]> {
    if (this.recovering) await this.recovering; // recovery sets the segment list from the directory: decide after it
    const old: StoredSegment[] = [];
    for (const segment of this.meta.segments) {
      if (this.compressor?.isCompressing(join(this.dir, segment.file))) continue;
      const stat = await this.ctx.fs.promises.stat(join(this.dir, segment.file)).catch(() => undefined);
      if (stat && stat.mtimeMs < cutoff) old.push(segment);
    }
    if (dryRun || old.length === 0) return old;
    const at = this.ctx.clock().toISOString();
    for (const segment of old) {
      this.meta.segments.splice(this.meta.segments.indexOf(segment), 1);
      this.meta.removed.push(removedEntry(segment, 'retention', at));
      this.unlinkAfterWrite.push(segment.file);
    }
    await this.metadataFile.write();
    return old;
  }

  /**
   * Resolves when every record handed to this session so far is on disk as the durability
   * mode promises (audit lines fdatasync'ed in `audit`, every line in `all`). Rejects with
   * EDROPPED when records could not be written meanwhile (they are counted and ranged).
   */
  async flush(): Promise<void> {
    // Each call answers for the records handed out since the call before it.
    const from = this.flushedThrough;
    const upTo = (this.flushedThrough = Math.max(this.flushedThrough, this.seqs.last));
    if (this.recovering) await this.recovering;
    const { durability } = this.ctx.config;
    await Promise.all([this.writers.system.waitFor(durability === 'all'), this.writers.audit.waitFor(durability !== 'none')]);
    const lost = this.meta.drops.filter((drop) => drop.last_seq > from && drop.first_seq <= upTo);
    if (lost.length > 0) {
      throw new StorageError('EDROPPED', `session ${this.id}: records between seq ${from + 1} and ${upTo} could not be written (${lost.map((d) => `${d.count} ${d.stream}, ${d.error}`).join('; ')}; recorded in metadata.json drops)`);
    }
  }

  /** Everything written and metadata.json up to date (no rejection for drops: they are recorded). */
  async drain(): Promise<void> {
    if (this.recovering) await this.recovering;
    await Promise.all(STREAMS.map((stream) => this.writers[stream].idle()));
    await this.capRun;
    this.writeMetadata();
    await this.metadataFile.idle();
    await this.unlinking;
  }

  /** At process exit: write everything now. */
  flushSync(): void {
    if (this.closing) return;
    if (this.recovering) {
      // Recovery is idempotent: finish it here, synchronously (no callback will run again).
      try {
        this.recovered(runSync(this.ctx.fs, recoverSession(this.dir, this.meta, this.compressor !== undefined, this.seqs.openedAt)));
      } catch (error) {
        this.ctx.report(this.id, 'recovery', error as Error);
        return;
      }
    }
    this.reserveSync(this.seqs.last);
    for (const stream of STREAMS) this.writers[stream].flushSync(true);
    try {
      this.metadataFile.writeSync();
    } catch {
      // Reported through metadataFailed.
    }
  }

  /** Write what is buffered, finish compressions, write ended_at, release the lock. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.recovering && this.recoveryError !== undefined && !this.recoveryInFlight) {
        clearTimeout(this.recoveryTimer);
        this.recover(); // one more try now; if it fails, what waits is given up
      }
      if (this.recovering) await this.recovering;
      if (this.seqs.onDisk < this.seqs.last) {
        // Records above the reservation wait for it; if it cannot be written, neither can they.
        const error = await this.metadataFile.write().then(() => undefined, (failure: NodeJS.ErrnoException) => failure);
        if (error) for (const stream of STREAMS) this.writers[stream].dropAbove(error);
      }
      await Promise.all(STREAMS.map((stream) => this.writers[stream].close()));
      await this.compressor?.close();
      await this.capRun;
      // Handed out but never delivered (a queue in the pipeline dropped them): a recorded loss, not a silent one.
      const last = this.seqs.last;
      const undelivered = this.lastAppended < last ? [...this.skipped, [this.lastAppended + 1, last] as [number, number]] : this.skipped;
      undelivered.forEach(([first, last], i) => {
        this.dropped('system', first, last, last - first + 1, 'ENOTDELIVERED', undefined, i === 0);
        this.ctx.stats.dropped += last - first + 1;
      });
      this.skipped = [];
      this.meta.ended_at = this.ctx.clock().toISOString();
      this.seqs.end();
      await this.metadataFile.write().catch(() => {});
      await this.metadataFile.idle();
      await this.unlinking;
      this.lock.release();
    })();
    return this.closing;
  }

  /** Seqs were handed out that have not reached the store yet (they are in a queue downstream of the level processor). */
  get inFlight(): boolean {
    return this.lastAppended < this.seqs.last;
  }
}
