import { rmSync } from 'node:fs';
import { type Context, diag } from '@opentelemetry/api';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { ATTR_SEQ, ATTR_SESSION_ID } from '../src/attributes.ts';
import { type SessionLoggingConfig, defaultConfig } from '../src/config/defaults.ts';
import type { Level } from '../src/levels.ts';
import { assertSessionId } from '../format/sessionId.ts';
import type { SessionAwareProcessor, SessionOpenInfo } from './SessionAwareProcessor.ts';
import { FdBudget } from '../storage/FdBudget.ts';
import { type FileSystem, nodeFileSystem } from '../storage/FileSystem.ts';
import { SessionDirectory } from '../storage/SessionDirectory.ts';
import { type PruneReport, pruneSessions } from '../storage/pruneSessions.ts';
import { type WriterStats, newWriterStats } from '../storage/WriterStats.ts';

export interface SessionFileProcessorOptions {
  /** Root directory; one sub-directory per session. */
  dir: string;
  maxFileSize?: number;
  maxSessionSize?: number;
  compression?: SessionLoggingConfig['compression'];
  durability?: SessionLoggingConfig['durability'];
  separateAuditTrail?: boolean;
  cleanupOnEnd?: boolean;
  /** Open descriptors kept at most (idle files past it are closed and reopened on demand). */
  maxOpenFiles?: number;
  /** Bytes gathered before a chunk is written (default 64 KiB). */
  chunkBytes?: number;
  /** Buffered bytes per file past which writes become synchronous (default 1 MiB). */
  highWaterMark?: number;
  /** Bytes buffered across all sessions past which appends write synchronously (default 64 MiB). */
  maxBufferedBytes?: number;
  /** How often (ms) each active file is checked for being deleted or replaced (default 1000). */
  checkIntervalMs?: number;
  /** Called once per fault episode (error) and when it ends (null). Default: diag. */
  onError?: (sessionId: string, what: string, error: Error | null) => void;
  fs?: FileSystem;
  clock?: () => Date;
}

/**
 * Writes every record it is given to its session's directory as one JSONL line, without a
 * queue that could overflow: lines are buffered per file and written asynchronously in
 * chunks, with backpressure past the high-water mark. Put it downstream of SessionLevelProcessor.
 */
export class SessionFileProcessor implements SessionAwareProcessor {
  readonly stats: WriterStats = newWriterStats();
  readonly root: string;
  private readonly sessions = new Map<string, SessionDirectory>();
  private readonly options: Required<Omit<SessionFileProcessorOptions, 'onError'>> & Pick<SessionFileProcessorOptions, 'onError'>;
  private readonly fds: FdBudget;
  /** Bytes waiting in every writer's buffers, bounded by maxBufferedBytes. */
  readonly memory: { buffered: number; limit: number };
  private readonly exitHook = () => this.flushSync();
  private shutdownOnce: Promise<void> | undefined;

  constructor(options: SessionFileProcessorOptions) {
    if (!options || typeof options.dir !== 'string' || options.dir === '') {
      throw new TypeError('SessionFileProcessor: options.dir must be the root directory for session logs (a non-empty string)');
    }
    const defaults = defaultConfig();
    this.options = {
      maxFileSize: defaults.maxFileSize, maxSessionSize: defaults.maxSessionSize, compression: defaults.compression,
      durability: defaults.durability, separateAuditTrail: defaults.separateAuditTrail, cleanupOnEnd: defaults.cleanupOnEnd,
      maxOpenFiles: 256, chunkBytes: 64 * 1024, checkIntervalMs: 1000, highWaterMark: 1024 * 1024, maxBufferedBytes: 64 * 1024 * 1024, fs: nodeFileSystem, clock: () => new Date(),
      ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)),
    } as SessionFileProcessor['options'];
    this.root = options.dir;
    this.fds = new FdBudget(this.options.maxOpenFiles);
    this.memory = { buffered: 0, limit: this.options.maxBufferedBytes };
    process.on('exit', this.exitHook);
  }

  openSession(sessionId: string, info: SessionOpenInfo): { lastSeq: number } {
    assertSessionId(sessionId);
    const existing = this.sessions.get(sessionId);
    if (existing) return { lastSeq: existing.recoveredSeq };
    const directory = new SessionDirectory({
      root: this.root, sessionId, level: info.level, attributes: info.attributes, config: this.options,
      fs: this.options.fs, fds: this.fds, stats: this.stats, clock: this.options.clock,
      chunkBytes: this.options.chunkBytes, highWaterMark: this.options.highWaterMark, memory: this.memory, checkIntervalMs: this.options.checkIntervalMs,
      report: (id, what, error) => this.report(id, what, error),
    });
    this.sessions.set(sessionId, directory);
    return { lastSeq: directory.recoveredSeq };
  }

  sessionLevelChanged(sessionId: string, from: Level, to: Level, by: string): void {
    this.sessions.get(sessionId)?.levelChanged(from, to, by);
  }

  async closeSession(sessionId: string): Promise<void> {
    const directory = this.sessions.get(sessionId);
    if (!directory) return;
    this.sessions.delete(sessionId);
    await directory.close();
    if (this.options.cleanupOnEnd) rmSync(directory.dir, { recursive: true, force: true });
  }

  /** Directory of a session that is open in this processor. */
  sessionDirectory(sessionId: string): SessionDirectory | undefined {
    return this.sessions.get(sessionId);
  }

  /**
   * Retention now: sessions that ended more than `retentionDays` ago are removed, and
   * segments older than that in every session kept (this process's open ones included).
   */
  async prune(retentionDays: number, options: { dryRun?: boolean; now?: Date } = {}): Promise<PruneReport> {
    const now = options.now ?? this.options.clock();
    const report = await pruneSessions({ dir: this.root, retentionDays, now, dryRun: options.dryRun, isOpenHere: (id) => this.sessions.has(id) });
    const cutoff = now.getTime() - retentionDays * 24 * 60 * 60 * 1000;
    for (const [id, directory] of this.sessions) {
      try {
        for (const segment of await directory.pruneSegmentsBefore(cutoff, options.dryRun ?? false)) {
          report.removedSegments.push({ id, file: segment.file, first_seq: segment.first_seq, last_seq: segment.last_seq });
        }
      } catch (error) {
        report.errors.push({ id, message: (error as Error).message });
      }
    }
    return report;
  }

  get openSessions(): number {
    return this.sessions.size;
  }

  onEmit(record: ReadableLogRecord, _context?: Context): void {
    const sessionId = record.attributes[ATTR_SESSION_ID] as string;
    let directory = this.sessions.get(sessionId);
    if (directory === undefined) {
      // Used without SessionLevelProcessor's open(): open on first sight.
      this.openSession(sessionId, { level: 'full', attributes: {} });
      directory = this.sessions.get(sessionId)!;
    }
    directory.write(record, record.attributes[ATTR_SEQ] as number);
  }

  private report(sessionId: string, what: string, error: Error | null): void {
    if (this.options.onError) return this.options.onError(sessionId, what, error);
    if (error) diag.error(`otel-session-logs: session ${sessionId}: writing ${what} failed (${(error as NodeJS.ErrnoException).code ?? error.message}); records that cannot be written are counted and recorded as dropped`);
    else diag.warn(`otel-session-logs: session ${sessionId}: writing ${what} works again`);
  }

  /** Write everything buffered synchronously (used at process exit). */
  flushSync(): void {
    for (const directory of this.sessions.values()) directory.flushSync();
  }

  async forceFlush(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((directory) => directory.flush()));
  }

  shutdown(): Promise<void> {
    this.shutdownOnce ??= (async () => {
      await Promise.all([...this.sessions.keys()].map((id) => this.closeSession(id)));
      process.removeListener('exit', this.exitHook);
    })();
    return this.shutdownOnce;
  }
}
