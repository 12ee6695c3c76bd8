import { diag } from '@opentelemetry/api';
import { LoggerProvider, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { PruneReport } from '../storage/pruneSessions.ts';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { hostname } from 'node:os';
import { SessionFileProcessor } from '../processors/SessionFileProcessor.ts';
import { type ForwardingStats, OtlpForwardingProcessor, type OtlpForwardingOptions } from '../processors/OtlpForwardingProcessor.ts';
import type { FileSystem } from '../storage/FileSystem.ts';
import type { WriterStats } from '../storage/WriterStats.ts';
import { type LevelProcessorStats, SessionLevelProcessor } from '../processors/SessionLevelProcessor.ts';
import type { SessionAwareProcessor } from '../processors/SessionAwareProcessor.ts';
import { type ConfigOptions, type Settings, resolveSettings } from './config/resolveSettings.ts';
import { type Level, parseLevel } from './levels.ts';
import { assertSessionId } from '../format/sessionId.ts';
import { SessionLogger } from './SessionLogger.ts';

export interface SessionLoggingOptions extends ConfigOptions {
  /** More downstream processors behind the level filter (they see only passing records). */
  processors?: SessionAwareProcessor[];
  /** Open descriptors kept at most by the file writer. */
  maxOpenFiles?: number;
  /** Bytes buffered across all sessions past which emit() writes synchronously (default 64 MiB). */
  maxBufferedBytes?: number;
  /** How often (ms) each active file is checked for being deleted or replaced (default 1000). */
  checkIntervalMs?: number;
  /** Called once per write fault episode and when it ends (default: OTel diag). */
  onError?: (sessionId: string, what: string, error: Error | null) => void;
  /** Tuning of OTLP forwarding (queue size, batch size, delay, outage callback). */
  forwarding?: Omit<OtlpForwardingOptions, 'url' | 'headers'>;
  /** false: no retention at start-up and hourly (prune() still works). */
  retention?: boolean;
  /** Fault injection and clocks for tests. */
  fs?: FileSystem;
  clock?: () => Date;
}

export interface OpenOptions {
  /** This session's level; wins over CCMUX_SESSION_LOG and the configured default. */
  level?: Level;
  /** Stored in metadata.json (`attributes`) and on session.created, e.g. { command: 'bash' }. */
  metadata?: Record<string, string | number | boolean>;
}

export interface SessionLoggingStats {
  levels: LevelProcessorStats;
  files: WriterStats;
  forwarding: ForwardingStats | undefined;
  openSessions: number;
}

const RETENTION_INTERVAL_MS = 60 * 60 * 1000;
const LIBRARY_KEYS = new Set(['retention', 'processors', 'forwarding', 'maxOpenFiles', 'maxBufferedBytes', 'checkIntervalMs', 'onError', 'fs', 'clock']);

/** Everything a session server needs: open a logger per session, flush and shut down. */
export class SessionLogging {
  readonly settings: Settings;
  readonly provider: LoggerProvider;
  readonly levels: SessionLevelProcessor;
  readonly files: SessionFileProcessor | undefined;
  /** OTLP forwarding, when `otlp.enabled`. */
  readonly forwarding: OtlpForwardingProcessor | undefined;
  private readonly loggers = new Map<string, SessionLogger>();
  private retentionTimer: NodeJS.Timeout | undefined;
  private retentionRun: Promise<void> = Promise.resolve();
  /** Events the facade left out before any record existed. */
  private readonly counters = { filtered: 0 };
  private readonly logger;

  constructor(options: SessionLoggingOptions = {}) {
    const configOptions = Object.fromEntries(Object.entries(options).filter(([key]) => !LIBRARY_KEYS.has(key))) as ConfigOptions;
    this.settings = resolveSettings(configOptions);
    const { config } = this.settings;
    const downstream: SessionAwareProcessor[] = [];
    if (config.enabled) {
      this.files = new SessionFileProcessor({
        dir: config.dir, maxFileSize: config.maxFileSize, maxSessionSize: config.maxSessionSize,
        compression: config.compression, durability: config.durability, separateAuditTrail: config.separateAuditTrail,
        cleanupOnEnd: config.cleanupOnEnd, maxOpenFiles: options.maxOpenFiles, maxBufferedBytes: options.maxBufferedBytes, checkIntervalMs: options.checkIntervalMs, onError: options.onError,
        fs: options.fs, clock: options.clock,
      });
      downstream.push(this.files);
    }
    if (config.otlp.enabled) {
      this.forwarding = new OtlpForwardingProcessor({ url: config.otlp.endpoint, headers: config.otlp.headers, ...options.forwarding });
      downstream.push(this.forwarding);
    }
    downstream.push(...(options.processors ?? []));
    this.levels = new SessionLevelProcessor({
      processors: downstream,
      levelFor: (id) => this.settings.levelFor(id),
      redact: config.redact,
      eventNameAttribute: this.forwarding !== undefined,
    });
    this.provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': config.otlp.serviceName, 'service.instance.id': `${hostname()}:${process.pid}`, 'host.name': hostname() }),
      processors: [this.levels as LogRecordProcessor],
    });
    this.logger = this.provider.getLogger('otel-session-logs');
    if (this.files && options.retention !== false) this.startRetention();
  }

  /**
   * Apply retention now (`retention_days`): also run at start-up and every hour. Live
   * sessions are never removed; what goes is recorded in metadata.json.
   */
  prune(options: { dryRun?: boolean; now?: Date } = {}): Promise<PruneReport> {
    if (!this.files) return Promise.resolve({ removedSessions: [], removedSegments: [], errors: [] });
    return this.files.prune(this.settings.config.retentionDays, options);
  }

  private startRetention(): void {
    const run = () => {
      this.retentionRun = this.prune().then(
        (report) => {
          for (const error of report.errors) diag.warn(`otel-session-logs: retention could not prune ${error.id}: ${error.message}`);
        },
        (error: Error) => diag.warn(`otel-session-logs: retention failed: ${error.message}`),
      );
    };
    run();
    this.retentionTimer = setInterval(run, RETENTION_INTERVAL_MS);
    this.retentionTimer.unref();
  }

  get dir(): string {
    return this.settings.config.dir;
  }

  /** Open (or reopen) a session's log; records session.created. */
  open(sessionId: string, options: OpenOptions = {}): SessionLogger {
    assertSessionId(sessionId);
    if (this.loggers.has(sessionId)) throw new Error(`session ${sessionId} is already open`);
    const explicit = options.level === undefined ? undefined : parseLevel(options.level, `open(${sessionId}): level`);
    const level = this.settings.levelFor(sessionId, explicit);
    const state = this.levels.open(sessionId, level, { ...options.metadata });
    const logger = new SessionLogger(state, this.logger, this.levels, async (closing) => {
      await this.levels.close(closing.id);
      this.loggers.delete(closing.id);
    }, this.counters, {
      flush: async (id) => {
        await this.files?.sessionDirectory(id)?.flush();
      },
      setMetadata: (id, metadata) => this.files?.sessionDirectory(id)?.setAttributes(metadata),
    });
    this.loggers.set(sessionId, logger);
    // `log_level`, not `level`: backends such as Loki read a `level` attribute as the severity.
    logger.emit('session.created', `session ${sessionId} created at level ${level}`, { ...options.metadata, log_level: level });
    return logger;
  }

  /** The open logger of a session, if any. */
  get(sessionId: string): SessionLogger | undefined {
    return this.loggers.get(sessionId);
  }

  stats(): SessionLoggingStats {
    return {
      levels: { ...this.levels.stats, filtered: this.levels.stats.filtered + this.counters.filtered },
      files: { ...(this.files?.stats ?? emptyFileStats()) },
      forwarding: this.forwarding ? { ...this.forwarding.stats } : undefined,
      openSessions: this.loggers.size,
    };
  }

  forceFlush(): Promise<void> {
    return this.provider.forceFlush();
  }

  /** Close every open session (session.terminated, ended_at) and flush everything. */
  async shutdown(): Promise<void> {
    clearInterval(this.retentionTimer);
    await this.retentionRun;
    await Promise.all([...this.loggers.values()].map((logger) => logger.close()));
    await this.provider.shutdown();
  }
}

function emptyFileStats(): WriterStats {
  return { records: 0, bytes: 0, dropped: 0, backpressure: 0, rotations: 0, compressions: 0, errors: 0, repairs: 0, removedSegments: 0 };
}

export function createSessionLogging(options: SessionLoggingOptions = {}): SessionLogging {
  return new SessionLogging(options);
}
