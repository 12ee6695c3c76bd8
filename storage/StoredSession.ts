import { join } from 'node:path';
import type { Attributes, HrTime, SpanContext } from '@opentelemetry/api';
import { type Compression, METADATA_FILE, STREAMS, type Stream, parseSegmentFileName, segmentFileNames } from '../format/fileNames.ts';
import { formatLineOpen, sessionPart } from '../format/formatLine.ts';
import { type SegmentInfo, type SessionMetadata, type StoredSegment, newMetadata } from '../format/sessionMetadata.ts';
import type { BufferPool } from './BufferPool.ts';
import type { FdBudget } from './FdBudget.ts';
import type { FileSystem } from './FileSystem.ts';
import type { GroupCommit } from './GroupCommit.ts';
import { MetadataFile, metadataText } from './MetadataFile.ts';
import { type RecoveredSession, recoverSession } from './recoverSession.ts';
import { runAsync, runSync } from './recoveryIo.ts';
import { SegmentCompressor } from './SegmentCompressor.ts';
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
  clock: () => Date;
  /** One report per fault episode (`error` null ends it); `what` names the file. */
  report(sessionId: string, what: string, error: Error | null): void;
  scheduleSeal(writer: StreamWriter): void;
}

/** Seqs reserved per metadata.json write at first; doubled whenever writing had to wait for one. */
const FIRST_RESERVATION = 1024;
const MAX_RESERVATION = 1 << 20;

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
  /** Last seq handed out. */
  private lastSeq: number;
  /** Seqs handed out by this instance start above this (anything at or below came from elsewhere). */
  private readonly openedAt: number;
  /** Highest seq appended to a writer (records behind a batching processor arrive later). */
  private lastAppended: number;
  /** Seq ranges handed out here that later appends passed over (a queue upstream dropped them), oldest first. */
  private skipped: Array<[number, number]> = [];
  private reservedOnDisk: number;
  private reservation = FIRST_RESERVATION;
  private grewForWrite = false;
  private reserveAt: number;
  private readonly ctx: StoreContext;
  private readonly meta: SessionMetadata;
  /** metadata.json as the previous run left it, for recovery. */
  private readonly previousRun: SessionMetadata;
  private readonly chain = { head: '' };
  private readonly writers: Record<Stream, StreamWriter>;
  private readonly lock: SessionLock;
  private readonly metadataFile: MetadataFile;
  private readonly compressor: SegmentCompressor | undefined;
  private recovering: Promise<void> | undefined;
  private writeAfterRecovery = false;
  private capRun: Promise<void> = Promise.resolve();
  /** Segments recorded as removed whose files are deleted once that record is on disk. */
  private unlinkAfterWrite: string[] = [];
  /** How many of unlinkAfterWrite the last metadata.json snapshot records (a write under way may predate the rest). */
  private unlinkRecorded = 0;
  private unlinking: Promise<void> = Promise.resolve();
  private droppedRecords = 0;
  private reportedUnwritable = false;
  private closing: Promise<void> | undefined;

  constructor(ctx: StoreContext, sessionId: string, level: string | null, attributes: Record<string, unknown>) {
    this.ctx = ctx;
    this.id = sessionId;
    this.dir = join(ctx.root, sessionId);
    this.sessionJson = sessionPart(sessionId);
    const { fs } = ctx;
    ensureSessionDir(fs, this.dir, sessionId);
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
        // Recovery judges the previous run: it must not see the reservations this one makes while it runs.
        this.previousRun = structuredClone(meta);
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
        this.previousRun = meta;
        if (holdsRecords(fs, this.dir)) recovery = 'sync'; // metadata.json lost: the seqs on disk must be known first
      }
      this.meta = meta;
      this.lastSeq = Math.max(meta.seq_reserved, meta.last_seq);
      this.reservedOnDisk = this.lastSeq;
      this.writers = { system: this.newWriter('system'), audit: this.newWriter('audit') };
      this.compressor = ctx.config.compression === 'none' ? undefined : new SegmentCompressor({
        fs, compression: ctx.config.compression,
        onCompressed: (plain, compressed, bytes) => this.compressed(plain, compressed, bytes),
        onFailed: (plain, error) => {
          ctx.stats.errors++;
          ctx.report(sessionId, plain.slice(this.dir.length + 1), error);
        },
      });
      this.metadataFile = new MetadataFile(join(this.dir, METADATA_FILE), fs, () => this.snapshot(), (reserved) => this.written(reserved), (error) => this.metadataFailed(error));
      const found = recovery === 'sync' ? runSync(fs, recoverSession(this.dir, this.previousRun, this.compressor !== undefined)) : undefined;
      if (found) this.lastSeq = this.reservedOnDisk = Math.max(this.lastSeq, found.maxSeqOnDisk);
      this.openedAt = this.lastAppended = this.reserveAt = this.lastSeq;
      if (recovery === 'async') {
        this.recovering = runAsync(fs, recoverSession(this.dir, this.previousRun, this.compressor !== undefined)).then(
          (result) => this.recovered(result),
          (error: Error) => this.recoveryFailed(error),
        );
      } else this.recovered(found);
      // Seqs are handed out from now on, before any asynchronous write could land: reserve the first
      // ones now, so a kill before then leaves them recorded, not free for the next run to hand out again.
      this.reserveSync(this.lastSeq);
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
      reserved: () => this.reservedOnDisk,
      requestReservation: () => this.reservationNeeded(),
      reserveSync: (seq) => this.reserveSync(seq),
      scheduleSeal: ctx.scheduleSeal,
      onRotated: (segment, plainPath) => this.rotated(segment, plainPath),
      onDropped: (first, last, count, error, chainAfter, episodeStart) => this.dropped(stream, first, last, count, error, chainAfter, episodeStart),
      onFault: (error) => this.fault(stream, error),
    });
  }

  /** Apply what recovery found, then let the writers go. */
  private recovered(found: RecoveredSession | undefined): void {
    this.recovering = undefined;
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
      if (found.maxSeqOnDisk > this.openedAt) {
        // Cannot happen through this store (nothing is written above the reservation): someone edited the directory.
        this.ctx.report(this.id, METADATA_FILE, new Error(`the files hold seq ${found.maxSeqOnDisk}, above the ${this.openedAt} that metadata.json reserved; seqs handed out since opening may repeat`));
        this.lastSeq = Math.max(this.lastSeq, found.maxSeqOnDisk);
      }
      this.chain.head = found.chainHead;
      for (const stream of STREAMS) this.writers[stream].resume(found.active[stream].state, found.active[stream].size, found.nextSegment[stream]);
      for (const plain of found.toCompress) this.compressor?.add(plain);
    } else {
      for (const stream of STREAMS) this.writers[stream].resume(meta.active[stream], 0, 1);
    }
    this.reservationNeeded();
    this.writeMetadata();
    if (found && found.segments.length > 0) this.enforceCap();
  }

  private recoveryFailed(error: Error): void {
    this.ctx.stats.errors++;
    this.ctx.report(this.id, 'recovery', error);
    // The files could not be read back; write on after what metadata.json knew.
    const nextSegment = { system: 1, audit: 1 };
    for (const entry of [...this.meta.segments, ...this.meta.removed]) nextSegment[entry.stream] = Math.max(nextSegment[entry.stream], (parseSegmentFileName(entry.file)?.number ?? 0) + 1);
    this.recovered({
      segments: this.meta.segments, nextSegment,
      active: { system: { state: this.meta.active.system, size: this.meta.active.system.bytes, tornBytes: 0 }, audit: { state: this.meta.active.audit, size: this.meta.active.audit.bytes, tornBytes: 0 } },
      maxSeqOnDisk: 0, chainHead: this.meta.chain_head, toCompress: [], crashLosses: [],
    });
  }

  get level(): string | null {
    return this.meta.level;
  }

  /** Last seq handed out. */
  get seq(): number {
    return this.lastSeq;
  }

  /** The next seq; asks for a larger reservation in metadata.json well before it runs out. */
  nextSeq(): number {
    const seq = ++this.lastSeq;
    if (seq >= this.reserveAt) this.reservationNeeded();
    return seq;
  }

  /** Was `seq` handed out by this session (and not by a counter elsewhere)? */
  handedOut(seq: number): boolean {
    return seq > this.openedAt && seq <= this.lastSeq;
  }

  private reservationNeeded(): void {
    if (this.meta.seq_reserved >= this.lastSeq + this.reservation / 2 && this.reservedOnDisk >= this.lastSeq) return;
    if (this.reservedOnDisk < this.lastSeq && this.meta.seq_reserved >= this.lastSeq && !this.grewForWrite) {
      // A writer waits for a reservation already asked for: the next ones are larger (once per write).
      this.reservation = Math.min(this.reservation * 2, MAX_RESERVATION);
      this.grewForWrite = true;
    }
    this.meta.seq_reserved = Math.max(this.meta.seq_reserved, this.lastSeq + this.reservation);
    this.reserveAt = this.meta.seq_reserved - this.reservation / 2;
    this.writeMetadata();
  }

  private reserveSync(seq: number): void {
    this.meta.seq_reserved = Math.max(this.meta.seq_reserved, seq, this.lastSeq + this.reservation);
    try {
      this.metadataFile.writeSync();
    } catch (error) {
      this.metadataFailed(error as Error);
    }
  }

  /** A metadata.json write finished: what it reserved may be written now, what it recorded as removed may go. */
  private written(reserved: number): void {
    this.grewForWrite = false;
    if (this.metadataError !== undefined) {
      this.metadataError = undefined;
      this.ctx.report(this.id, METADATA_FILE, null);
    }
    if (reserved > this.reservedOnDisk) {
      this.reservedOnDisk = reserved;
      for (const stream of STREAMS) this.writers[stream].reservationDurable();
    }
    const files = this.unlinkAfterWrite.splice(0, this.unlinkRecorded).flatMap(segmentFileNames);
    this.unlinkRecorded = 0;
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
  private metadataFailed(error: Error): void {
    this.ctx.stats.errors++;
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
    if (this.recovering) {
      this.writeAfterRecovery = true;
      return;
    }
    this.metadataFile.schedule();
  }

  private snapshot(): { text: string; reserved: number } {
    if (this.recovering) {
      // What recovery is finding is not known yet: the previous run's state, with this run's reservation.
      const previous = { ...this.previousRun, ended_at: null, pid: process.pid, seq_reserved: Math.max(this.previousRun.seq_reserved, this.meta.seq_reserved) };
      return { text: metadataText(previous), reserved: previous.seq_reserved };
    }
    const meta = this.meta;
    this.unlinkRecorded = this.unlinkAfterWrite.length;
    meta.last_seq = this.lastSeq;
    let firstOpen = this.skipped.length > 0 ? this.skipped[0]![0] : this.lastAppended + 1;
    for (const stream of STREAMS) firstOpen = Math.min(firstOpen, this.writers[stream].firstUnsettledSeq());
    meta.written_through = Math.max(meta.written_through, firstOpen - 1);
    meta.chain_head = this.chain.head;
    meta.active = { system: this.writers.system.activeState(), audit: this.writers.audit.activeState() };
    return { text: metadataText(meta), reserved: meta.seq_reserved };
  }

  /** Write one line; `eventJson` is eventPart(event, category, tier, severity). */
  append(seq: number, hrTime: HrTime, eventJson: string, audit: boolean, body: unknown, attributes: Attributes | undefined, span: SpanContext | undefined): void {
    if (seq > this.lastAppended) {
      if (seq > this.lastAppended + 1) this.skipped.push([this.lastAppended + 1, seq - 1]);
      this.lastAppended = seq;
    } else if (this.skipped.length > 0) this.arrivedLate(seq);
    let open: string;
    try {
      open = formatLineOpen(hrTime, seq, this.sessionJson, eventJson, body, attributes, span);
    } catch (error) {
      this.unwritable(seq, audit, error as Error);
      return;
    }
    if (audit && this.ctx.config.separateAuditTrail) this.writers.audit.append(open, seq);
    else this.writers.system.append(open + '}', seq);
  }

  /**
   * A record JSON cannot hold (a cycle or a BigInt in its body): counted and ranged as dropped,
   * reported once per session, never thrown into the caller's emit.
   */
  private unwritable(seq: number, audit: boolean, error: Error): void {
    this.ctx.stats.dropped++;
    this.dropped(audit && this.ctx.config.separateAuditTrail ? 'audit' : 'system', seq, seq, 1, 'EUNSERIALIZABLE', undefined, false);
    if (this.reportedUnwritable) return;
    this.reportedUnwritable = true;
    this.ctx.report(this.id, `the record with seq ${seq}`, Object.assign(new Error(`a record of session ${this.id} cannot be written as JSON (${error.message}); it is counted and recorded as dropped`), { code: 'EUNSERIALIZABLE' }));
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
    this.droppedRecords += count;
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
        this.meta.removed.push({
          file: segment.file, stream: segment.stream, first_seq: segment.first_seq, last_seq: segment.last_seq, lines: segment.lines, reason: 'cap', at,
          ...(segment.last_chain !== undefined ? { chain_after: segment.last_chain } : {}),
        });
        this.compressor?.forget(join(this.dir, segment.file));
        this.unlinkAfterWrite.push(segment.file);
      }
      await this.metadataFile.write().catch(() => {});
    });
  }

  /** Retention for this open session: rotated segments last written before `cutoff`, recorded then removed. */
  async pruneSegmentsBefore(cutoff: number, dryRun: boolean): Promise<StoredSegment[]> {
    if (this.recovering) await this.recovering; // recovery sets the segment list; until then writes hold the previous run's
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
      this.meta.removed.push({
        file: segment.file, stream: segment.stream, first_seq: segment.first_seq, last_seq: segment.last_seq, lines: segment.lines, reason: 'retention', at,
        ...(segment.last_chain !== undefined ? { chain_after: segment.last_chain } : {}),
      });
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
    if (this.recovering) await this.recovering;
    const droppedBefore = this.droppedRecords;
    const { durability } = this.ctx.config;
    await Promise.all([this.writers.system.waitFor(durability === 'all'), this.writers.audit.waitFor(durability !== 'none')]);
    if (this.droppedRecords > droppedBefore) {
      throw new StorageError('EDROPPED', `session ${this.id}: ${this.droppedRecords - droppedBefore} records could not be written (see drops in metadata.json)`);
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
      this.recovered(runSync(this.ctx.fs, recoverSession(this.dir, this.previousRun, this.compressor !== undefined)));
    }
    this.reserveSync(this.lastSeq);
    for (const stream of STREAMS) this.writers[stream].flushSync(true);
    try {
      this.metadataFile.writeSync();
    } catch (error) {
      this.ctx.report(this.id, METADATA_FILE, error as Error);
    }
  }

  /** Write what is buffered, finish compressions, write ended_at, release the lock. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.recovering) await this.recovering;
      if (this.reservedOnDisk < this.lastSeq) {
        // Records above the reservation wait for it; if it cannot be written, neither can they.
        const error = await this.metadataFile.write().then(() => undefined, (failure: NodeJS.ErrnoException) => failure);
        if (error) for (const stream of STREAMS) this.writers[stream].dropAbove(error);
      }
      await Promise.all(STREAMS.map((stream) => this.writers[stream].close()));
      await this.compressor?.close();
      await this.capRun;
      // Handed out but never delivered (a queue in the pipeline dropped them): a recorded loss, not a silent one.
      const undelivered = this.lastAppended < this.lastSeq ? [...this.skipped, [this.lastAppended + 1, this.lastSeq] as [number, number]] : this.skipped;
      undelivered.forEach(([first, last], i) => {
        this.dropped('system', first, last, last - first + 1, 'ENOTDELIVERED', undefined, i === 0);
        this.ctx.stats.dropped += last - first + 1;
      });
      this.skipped = [];
      this.meta.ended_at = this.ctx.clock().toISOString();
      // Everything handed out is written or recorded: the reservation ends at the last seq.
      this.meta.seq_reserved = this.lastSeq;
      await this.metadataFile.write().catch(() => {});
      await this.metadataFile.idle();
      await this.unlinking;
      this.lock.release();
    })();
    return this.closing;
  }

  /** Seqs were handed out that have not reached the store yet (they are in a queue downstream of the level processor). */
  get inFlight(): boolean {
    return this.lastAppended < this.lastSeq;
  }
}
