import { join } from 'node:path';
import { diag, type Attributes, type HrTime, type SpanContext } from '@opentelemetry/api';
import { eventPart } from '../format/formatLine.ts';
import { formatTimestamp } from '../format/formatTimestamp.ts';
import { ATTR_CATEGORY, ATTR_SEQ, ATTR_SESSION_ID, ATTR_TIER } from '../format/recordAttributes.ts';
import { SESSION_ID_ALLOWED, assertSessionId, isValidSessionId } from '../format/sessionId.ts';
import type { StoredSegment } from '../format/sessionMetadata.ts';
import { BufferPool } from './BufferPool.ts';
import { onProcessExit } from './exitHook.ts';
import { FdBudget } from './FdBudget.ts';
import { type FileSystem, nodeFileSystem } from './FileSystem.ts';
import { GroupCommit } from './GroupCommit.ts';
import { WriteSlots } from './MetadataFile.ts';
import { type PruneReport, pruneSessions } from './pruneSessions.ts';
import { ensureLogRoot } from './sessionDirectory.ts';
import { StorageError } from './StorageError.ts';
import { type StoreOptions, type ValidStoreOptions, validateStoreOptions } from './storeOptions.ts';
import { type StoreContext, StoredSession } from './StoredSession.ts';
import type { StreamWriter } from './StreamWriter.ts';
import { type WriterStats, newWriterStats } from './WriterStats.ts';

export type { StoreOptions } from './storeOptions.ts';

/** How many chunks may wait for more lines at once (each holds a pooled buffer). */
const MAX_HELD = 64;

/** What the store needs of a log record: an SDK ReadableLogRecord has all of it. */
export interface StoreRecord {
  readonly hrTime: HrTime;
  readonly eventName?: string | undefined;
  readonly severityText?: string | undefined;
  readonly severityNumber?: number | undefined;
  readonly body?: unknown;
  readonly attributes: Attributes;
  readonly spanContext?: SpanContext | undefined;
}

/**
 * The session store: one directory of sessions, each with its seq counter, lock, metadata
 * and writers. Every way in shares it (the facade, SessionFileProcessor, SessionJsonlExporter
 * and SessionLevelProcessor, which takes its seqs from here), so seq continues across
 * reopens whatever the pipeline looks like.
 */
export class SessionStore {
  readonly root: string;
  readonly options: ValidStoreOptions;
  readonly stats: WriterStats = newWriterStats();
  private readonly sessions = new Map<string, StoredSession>();
  private readonly ctx: StoreContext;
  private readonly unsealed = new Set<StreamWriter>();
  private readonly held = new Set<StreamWriter>();
  private holdTimer: NodeJS.Timeout | undefined;
  private sealScheduled = false;
  private rootReady = false;
  private readonly warned = new Set<string>();
  private removeExitHook: (() => void) | undefined;
  private shutdownOnce: Promise<void> | undefined;
  private closed = false;

  constructor(options: StoreOptions) {
    this.options = validateStoreOptions(options);
    const o = this.options;
    this.root = o.dir;
    const fs: FileSystem = o.fs ?? nodeFileSystem;
    this.ctx = {
      root: this.root,
      config: {
        maxFileSize: o.maxFileSize, maxSessionSize: o.maxSessionSize, compression: o.compression, durability: o.durability,
        separateAuditTrail: o.separateAuditTrail, highWaterMark: o.highWaterMark, checkIntervalMs: o.checkIntervalMs,
      },
      fs,
      fds: new FdBudget(o.maxOpenFiles),
      pool: new BufferPool(o.chunkBytes, Math.max(4, Math.floor(o.maxBufferedBytes / o.chunkBytes / 4))),
      stats: this.stats,
      memory: { buffered: 0, limit: o.maxBufferedBytes },
      groupCommit: new GroupCommit(o.fsyncConcurrency),
      metadataSlots: new WriteSlots(),
      clock: o.clock,
      report: (id, what, error) => this.report(id, what, error),
      scheduleSeal: (writer) => this.scheduleSeal(writer),
      hold: (writer) => this.hold(writer),
    };
  }

  /** Bytes waiting in every writer's buffers, bounded by maxBufferedBytes. */
  get bufferedBytes(): number {
    return this.ctx.memory.buffered;
  }

  /** fdatasync waves run and calls made by the group commit. */
  get syncs(): { waves: number; calls: number } {
    return { waves: this.ctx.groupCommit.waves, calls: this.ctx.groupCommit.syncs };
  }

  get openSessions(): number {
    return this.sessions.size;
  }

  /**
   * Open (or reopen) a session; returns the one already open in this store. Throws a
   * StorageError for a directory or file that is a link, a session another process has
   * open, or a store that was shut down.
   */
  open(sessionId: string, options: { level?: string | null; attributes?: Record<string, unknown> } = {}): StoredSession {
    const open = this.sessions.get(sessionId);
    if (open) return open;
    if (this.closed) throw new StorageError('ESTORECLOSED', `session ${String(sessionId)}: the session store (${this.root}) was shut down; allowed: open sessions before shutdown()`);
    assertSessionId(sessionId);
    if (!this.rootReady) {
      ensureLogRoot(this.ctx.fs, this.root, (message) => this.report('', this.root, Object.assign(new Error(message), { code: 'EFIXED' })));
      this.rootReady = true;
      this.removeExitHook = onProcessExit(() => this.flushSync());
    }
    const session = new StoredSession(this.ctx, sessionId, options.level ?? null, options.attributes ?? {});
    this.sessions.set(sessionId, session);
    return session;
  }

  get(sessionId: string): StoredSession | undefined {
    return this.sessions.get(sessionId);
  }

  /**
   * Write an SDK record (the file processor and exporter path). Its seq is the one the
   * store handed out through SessionLevelProcessor; a record that comes without one, or
   * with one from a counter elsewhere, is numbered here (and that is reported once).
   */
  writeRecord(record: StoreRecord): void {
    if (this.closed) {
      this.stats.late++;
      return;
    }
    const attributes = record.attributes;
    const sessionId = attributes[ATTR_SESSION_ID];
    // An open session's id was checked when it was opened: the pattern runs once per session, not per record.
    let session = typeof sessionId === 'string' ? this.sessions.get(sessionId) : undefined;
    if (session === undefined) {
      if (!isValidSessionId(sessionId)) {
        this.stats.rejected++;
        this.warnOnce(`id:${String(sessionId).slice(0, 140)}`, `otel-session-logs: a record with session.id ${JSON.stringify(String(sessionId).slice(0, 140))} was not written; allowed: ${SESSION_ID_ALLOWED}`);
        return;
      }
      try {
        session = this.open(sessionId);
      } catch (error) {
        this.stats.rejected++;
        this.warnOnce(`open:${sessionId}`, `otel-session-logs: records of session ${sessionId} are not written: ${(error as Error).message}`);
        return;
      }
    }
    let seq = attributes[ATTR_SEQ];
    if (typeof seq !== 'number' || !session.handedOut(seq)) {
      if (typeof seq === 'number') this.warnOnce(`seq:${sessionId}`, `otel-session-logs: records of session ${sessionId} carry seqs the store did not hand out; the store numbers them (give SessionLevelProcessor the option store: this store, so forwarded copies carry the same seq)`);
      seq = session.nextSeq();
    }
    const audit = attributes[ATTR_CATEGORY] === 'audit';
    const tier = attributes[ATTR_TIER];
    const severity = record.severityText ?? (record.severityNumber !== undefined ? String(record.severityNumber) : 'INFO');
    const eventJson = eventPart(record.eventName ?? '', audit ? 'audit' : 'system', typeof tier === 'string' ? tier : 'full', severity);
    session.append(seq as number, formatTimestamp(record.hrTime), eventJson, audit, record.body, attributes, record.spanContext);
  }

  private scheduleSeal(writer: StreamWriter): void {
    this.unsealed.add(writer);
    if (this.sealScheduled) return;
    this.sealScheduled = true;
    // One turn's lines of every session become chunks together: one timer, not one per session.
    setImmediate(() => {
      this.sealScheduled = false;
      for (const pending of this.unsealed) pending.seal();
      this.unsealed.clear();
    });
  }

  /**
   * Chunks held back for more lines (StreamWriter.holdBack) are all let go by one timer,
   * writeDelayMs after the first; at most MAX_HELD at once, so a thousand quiet sessions do
   * not keep a thousand pooled buffers.
   */
  private hold(writer: StreamWriter): boolean {
    if (this.held.size >= MAX_HELD || this.closed || this.options.writeDelayMs === 0) return false;
    this.held.add(writer);
    this.holdTimer ??= setTimeout(this.releaseHeld, this.options.writeDelayMs).unref();
    return true;
  }

  private readonly releaseHeld = (): void => {
    this.holdTimer = undefined;
    const writers = [...this.held];
    this.held.clear();
    for (const writer of writers) writer.endHold();
  };

  /** Close a session's files (ended_at, lock released); with cleanupOnEnd its directory is removed. */
  async close(sessionId: string): Promise<void> {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    await session.close();
    this.sessions.delete(sessionId);
    if (this.options.cleanupOnEnd) await this.ctx.fs.promises.rm(session.dir, { recursive: true, force: true });
  }

  /** Resolves when every record of `sessionId` handed in so far is durable (see StoredSession.flush). */
  flush(sessionId: string): Promise<void> {
    return this.sessions.get(sessionId)?.flush() ?? Promise.resolve();
  }

  /** Everything written and every metadata.json up to date. */
  async drain(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((session) => session.drain()));
  }

  /** Write everything now (process exit). */
  flushSync(): void {
    for (const session of this.sessions.values()) session.flushSync();
  }

  /**
   * Retention now: sessions that ended more than `retentionDays` ago are removed, and
   * segments older than that in every session kept (this store's open ones included).
   */
  async prune(retentionDays: number, options: { dryRun?: boolean; now?: Date } = {}): Promise<PruneReport> {
    const now = options.now ?? this.options.clock();
    if (!this.ctx.fs.statSync(this.root, { throwIfNoEntry: false })) return { removedSessions: [], removedSegments: [], errors: [] }; // nothing written yet
    const report = await pruneSessions({ dir: this.root, retentionDays, now, dryRun: options.dryRun, fs: this.ctx.fs, isOpenHere: (id) => this.sessions.has(id) });
    const cutoff = now.getTime() - retentionDays * 24 * 60 * 60 * 1000;
    for (const [id, session] of this.sessions) {
      try {
        for (const segment of await session.pruneSegmentsBefore(cutoff, options.dryRun ?? false)) {
          report.removedSegments.push({ id, file: segment.file, first_seq: segment.first_seq, last_seq: segment.last_seq });
        }
      } catch (error) {
        report.errors.push({ id, message: (error as Error).message });
      }
    }
    return report;
  }

  /** Segments of an open session (for tests and the reader of a live session). */
  segmentsOf(sessionId: string): readonly StoredSegment[] {
    return this.sessions.get(sessionId)?.segments ?? [];
  }

  sessionDir(sessionId: string): string {
    return join(this.root, sessionId);
  }

  private report(sessionId: string, what: string, error: Error | null): void {
    const onError = this.options.onError;
    if (onError) return onError(sessionId, what, error);
    const where = sessionId === '' ? '' : `session ${sessionId}: `;
    if (error === null) diag.warn(`otel-session-logs: ${where}writing ${what} works again`);
    else if ((error as NodeJS.ErrnoException).code === 'EFIXED') diag.warn(`otel-session-logs: ${error.message}`);
    else diag.error(`otel-session-logs: ${where}writing ${what} failed (${(error as NodeJS.ErrnoException).code ?? error.message}); records that cannot be written are counted and recorded as dropped`);
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key) || this.warned.size > 1000) return;
    this.warned.add(key);
    diag.warn(message);
  }

  /** Close every session; later opens are refused and later records counted as late. */
  shutdown(): Promise<void> {
    this.shutdownOnce ??= (async () => {
      this.closed = true;
      await Promise.all([...this.sessions.keys()].map((id) => this.close(id)));
      this.removeExitHook?.();
    })();
    return this.shutdownOnce;
  }
}
