import { join } from 'node:path';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { ATTR_CATEGORY } from '../src/attributes.ts';
import type { SessionLoggingConfig } from '../src/config/defaults.ts';
import type { Level } from '../src/levels.ts';
import { appendChain, nextChain } from '../format/auditChain.ts';
import { compressSegment } from './compressSegment.ts';
import type { FdBudget } from './FdBudget.ts';
import type { FileSystem } from './FileSystem.ts';
import { formatLineOpen } from '../format/formatLine.ts';
import { recoverSessionState } from './recoverSessionState.ts';
import { SegmentWriter } from './SegmentWriter.ts';
import { type DropRange, type SegmentInfo, type SessionMetadata, type StoredSegment, newMetadata, parseMetadata } from '../format/sessionMetadata.ts';
import { MetadataFile } from './MetadataFile.ts';
import type { Stream } from '../format/fileNames.ts';
import type { WriterStats } from './WriterStats.ts';

export type DirectoryConfig = Pick<SessionLoggingConfig, 'maxFileSize' | 'maxSessionSize' | 'compression' | 'durability' | 'separateAuditTrail'>;

export interface SessionDirectoryOptions {
  root: string;
  sessionId: string;
  level: Level;
  attributes: Record<string, unknown>;
  config: DirectoryConfig;
  fs: FileSystem;
  fds: FdBudget;
  stats: WriterStats;
  clock: () => Date;
  chunkBytes: number;
  highWaterMark: number;
  memory: { buffered: number; limit: number };
  checkIntervalMs: number;
  /** One report per fault episode; `error === null` ends the episode. */
  report: (sessionId: string, what: string, error: Error | null) => void;
}

/**
 * One session's directory: metadata.json and the system/audit writers. Opening it repairs
 * what a crash left behind; every line it writes keeps the seq and audit chain it was given.
 */
export class SessionDirectory {
  readonly sessionId: string;
  readonly dir: string;
  /** Last seq found on disk when opened; numbering continues after it. */
  readonly recoveredSeq: number;
  private readonly options: SessionDirectoryOptions;
  private readonly meta: SessionMetadata;
  private readonly metadataFile: MetadataFile;
  private readonly system: SegmentWriter;
  private readonly audit: SegmentWriter;
  private chainHead: string;
  private lastSeq: number;
  private compressions: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(options: SessionDirectoryOptions) {
    const { fs, root, sessionId, config } = options;
    this.options = options;
    this.sessionId = sessionId;
    this.dir = join(root, sessionId);
    fs.mkdirSync(root, { recursive: true, mode: 0o700 });
    let existing: SessionMetadata | undefined;
    try {
      const stat = fs.lstatSync(this.dir);
      if (stat.isSymbolicLink()) throw new Error(`session directory ${this.dir} is a symbolic link; refusing to write through it`);
      if (!stat.isDirectory()) throw new Error(`session directory ${this.dir} exists and is not a directory`);
      existing = this.readExistingMetadata();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      fs.mkdirSync(this.dir, { mode: 0o700 });
    }
    const now = options.clock();
    const state = recoverSessionState(fs, this.dir, existing, config.compression);
    const meta = existing ?? newMetadata(sessionId, options.level, options.attributes, now);
    if (existing) {
      meta.ended_at = null;
      meta.pid = process.pid;
      Object.assign(meta.attributes, options.attributes);
      meta.level_history.push({ at: now.toISOString(), from: meta.level, to: options.level, by: 'reopen' });
      meta.level = options.level;
      meta.segments = state.segments;
      for (const stream of ['system', 'audit'] as const) {
        const torn = state.active[stream].tornBytes;
        if (torn > 0) {
          meta.repairs.push({ file: `${stream}.jsonl`, bytes: torn, at: now.toISOString() });
          options.stats.repairs++;
        }
      }
      // Seqs assigned before the crash but never written: a recorded loss, never reused.
      for (const [first, last] of state.tailGaps) meta.crash_losses.push({ first_seq: first, last_seq: last, at: now.toISOString() });
      if (meta.last_seq > state.lastSeq) meta.crash_losses.push({ first_seq: state.lastSeq + 1, last_seq: meta.last_seq, at: now.toISOString() });
    }
    this.meta = meta;
    this.lastSeq = Math.max(state.lastSeq, meta.last_seq);
    this.recoveredSeq = this.lastSeq;
    this.chainHead = state.chainHead;
    meta.last_seq = this.lastSeq;
    meta.chain_head = this.chainHead;
    this.metadataFile = new MetadataFile(join(this.dir, 'metadata.json'), fs, () => this.snapshot(), (error) => this.fault('metadata.json', error));
    // A new session's metadata is written asynchronously (opening a session must not wait
    // for an fsync); a reopened one's synchronously, so the repairs it records come first.
    if (existing) this.metadataFile.writeSync();
    else this.metadataFile.schedule();
    this.system = this.newWriter('system', state.active.system.size, state.nextSegment.system);
    this.audit = this.newWriter('audit', state.active.audit.size, state.nextSegment.audit);
    for (const stream of ['system', 'audit'] as const) {
      const active = state.active[stream];
      if (active.lines > 0) (stream === 'system' ? this.system : this.audit).resumeSegment(active.firstSeq, active.lastSeq, active.lines);
    }
    for (const plain of state.toCompress) this.compressLater(plain, undefined);
  }

  private readExistingMetadata(): SessionMetadata | undefined {
    const path = join(this.dir, 'metadata.json');
    let text: string;
    try {
      text = this.options.fs.readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return parseMetadata(text, path);
    } catch (error) {
      // Keep the damaged file for inspection; the session files are the authority.
      this.options.fs.renameSync(path, `${path}.corrupt-${Date.now()}`);
      this.options.report(this.sessionId, 'metadata.json', error as Error);
      return undefined;
    }
  }

  private newWriter(stream: Stream, initialSize: number, nextSegment: number): SegmentWriter {
    const { config, fs, fds, stats } = this.options;
    return new SegmentWriter({
      dir: this.dir, stream, fs, fds, stats, initialSize, nextSegment,
      maxFileSize: config.maxFileSize,
      fsync: config.durability === 'all' || (config.durability === 'audit' && stream === 'audit'),
      chunkBytes: this.options.chunkBytes,
      highWaterMark: this.options.highWaterMark,
      memory: this.options.memory,
      checkIntervalMs: this.options.checkIntervalMs,
      onRotated: (segment, plainPath, file) => this.onRotated(segment, plainPath, file),
      onDropped: (range) => this.onDropped(range),
      onFault: (error) => (error ? this.fault(`${stream}.jsonl`, error) : this.recovered(`${stream}.jsonl`)),
    });
  }

  get level(): Level {
    return this.meta.level;
  }

  /** Write one record that passed the level filter (seq and category already set). */
  write(record: ReadableLogRecord, seq: number): void {
    if (seq > this.lastSeq) this.lastSeq = seq;
    const open = formatLineOpen(record, this.sessionId);
    if (record.attributes[ATTR_CATEGORY] === 'audit' && this.options.config.separateAuditTrail) {
      const chain = nextChain(this.chainHead, open + '}');
      this.chainHead = chain;
      this.audit.append(appendChain(open, chain), seq);
    } else {
      this.system.append(open + '}', seq);
    }
  }

  /** Merge into metadata.json's `attributes`. */
  setAttributes(attributes: Record<string, unknown>): void {
    Object.assign(this.meta.attributes, attributes);
    this.metadataFile.schedule();
  }

  levelChanged(from: Level, to: Level, by: string): void {
    this.meta.level = to;
    this.meta.level_history.push({ at: this.options.clock().toISOString(), from, to, by });
    this.metadataFile.schedule();
  }

  private snapshot(): SessionMetadata {
    this.meta.last_seq = this.lastSeq;
    this.meta.chain_head = this.chainHead;
    return this.meta;
  }

  private onRotated(segment: SegmentInfo, plainPath: string, file: { close(): Promise<void> }): void {
    const stored: StoredSegment = { ...segment, compression: 'none', stored_bytes: segment.bytes };
    this.meta.segments.push(stored);
    this.metadataFile.schedule();
    this.compressLater(plainPath, file);
    this.enforceCap();
  }

  /** Compress after the old file's last write, one segment at a time, off the hot path. */
  private compressLater(plainPath: string, file: { close(): Promise<void> } | undefined): void {
    const { compression } = this.options.config;
    if (compression === 'none') {
      void file?.close();
      return;
    }
    this.compressions = this.compressions.then(async () => {
      await file?.close();
      try {
        const result = await compressSegment(this.options.fs, plainPath, compression);
        const name = plainPath.slice(this.dir.length + 1);
        const segment = this.meta.segments.find((s) => s.file === name);
        if (segment) {
          segment.file = result.path.slice(this.dir.length + 1);
          segment.compression = compression;
          segment.stored_bytes = result.bytes;
        }
        this.options.stats.compressions++;
        this.metadataFile.schedule();
        this.enforceCap();
      } catch (error) {
        this.options.stats.errors++;
        this.fault(plainPath, error as Error); // the plain segment stays; nothing is lost
      }
    });
  }

  /** Delete the oldest segments while the session is over max_session_size; record what went. */
  enforceCap(): void {
    const { fs, config, stats } = this.options;
    // Only bytes on disk count: data still buffered has no segment to remove yet.
    let total = this.meta.segments.reduce((sum, s) => sum + s.stored_bytes, 0) + this.system.activeBytesOnDisk + this.audit.activeBytesOnDisk;
    while (total > config.maxSessionSize && this.meta.segments.length > 0) {
      // Oldest by data, not by rename time: the fsynced audit writer may rotate later than system.
      const index = this.meta.segments.reduce((best, s, i, all) => (s.first_seq < all[best]!.first_seq ? i : best), 0);
      const oldest = this.meta.segments[index]!;
      if (oldest.compression === 'none' && config.compression !== 'none') break; // still being compressed
      try {
        fs.unlinkSync(join(this.dir, oldest.file));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.fault(oldest.file, error as Error);
          break;
        }
      }
      this.meta.segments.splice(index, 1);
      this.meta.removed.push({ file: oldest.file, stream: oldest.stream, first_seq: oldest.first_seq, last_seq: oldest.last_seq, lines: oldest.lines, reason: 'cap', at: this.options.clock().toISOString() });
      stats.removedSegments++;
      total -= oldest.stored_bytes;
    }
    this.metadataFile.schedule();
  }

  /** Retention for a session this process writes: remove rotated segments last written before `cutoff`. */
  async pruneSegmentsBefore(cutoff: number, dryRun: boolean): Promise<StoredSegment[]> {
    const old: StoredSegment[] = [];
    for (const segment of this.meta.segments) {
      if (segment.compression === 'none' && this.options.config.compression !== 'none') continue; // still being compressed
      const stat = await this.options.fs.promises.stat(join(this.dir, segment.file)).catch(() => undefined);
      if (stat && stat.mtimeMs < cutoff) old.push(segment);
    }
    if (dryRun || old.length === 0) return old;
    // Record first, then delete: a crash in between leaves an extra file, never an unexplained gap.
    const at = this.options.clock().toISOString();
    for (const segment of old) {
      this.meta.segments.splice(this.meta.segments.indexOf(segment), 1);
      this.meta.removed.push({ file: segment.file, stream: segment.stream, first_seq: segment.first_seq, last_seq: segment.last_seq, lines: segment.lines, reason: 'retention', at });
    }
    this.metadataFile.writeSync();
    for (const segment of old) {
      await this.options.fs.promises.unlink(join(this.dir, segment.file)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      this.options.stats.removedSegments++;
    }
    return old;
  }


  private onDropped(range: DropRange): void {
    this.meta.drops.push({ ...range, at: this.options.clock().toISOString() });
  }

  private fault(what: string, error: Error): void {
    this.options.report(this.sessionId, what, error);
  }

  private recovered(what: string): void {
    this.options.report(this.sessionId, what, null);
    this.metadataFile.schedule(); // drops are written once writing works again
  }

  /** Write out everything buffered (async) and the metadata. */
  async flush(): Promise<void> {
    await Promise.all([this.system.flush(), this.audit.flush()]);
    this.metadataFile.schedule();
    await this.metadataFile.flush();
  }

  /** Synchronous flush for process exit. */
  flushSync(): void {
    this.system.flushSync();
    this.audit.flushSync();
    try {
      this.metadataFile.writeSync();
    } catch (error) {
      this.fault('metadata.json', error as Error);
    }
  }

  get segments(): readonly StoredSegment[] {
    return this.meta.segments;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.system.close(), this.audit.close()]);
    await this.compressions;
    this.meta.ended_at = this.options.clock().toISOString();
    this.metadataFile.schedule();
    await this.metadataFile.flush();
  }
}
