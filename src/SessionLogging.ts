import { diag, type HrTime, type Logger } from '@opentelemetry/api';
import { formatTimestamp } from '../format/formatTimestamp.ts';
import { hrTimeNow, millisToHrTime, timestampNow } from './clock.ts';
import { hostname } from 'node:os';
import type { Resource } from '@opentelemetry/resources';
import type { LoggerProvider, LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { otelResources, otelSdkLogs } from './lazyModules.ts';
import { type ForwardingStats, OtlpForwardingProcessor, type OtlpForwardingOptions } from '../processors/OtlpForwardingProcessor.ts';
import { SessionFileProcessor } from '../processors/SessionFileProcessor.ts';
import { type LevelProcessorStats, SessionLevelProcessor } from '../processors/SessionLevelProcessor.ts';
import type { FileSystem } from '../storage/FileSystem.ts';
import type { PruneReport } from '../storage/pruneSessions.ts';
import { SessionStore } from '../storage/SessionStore.ts';
import { StorageError } from '../storage/StorageError.ts';
import { type WriterStats, newWriterStats } from '../storage/WriterStats.ts';
import { LINE_FIELD_ATTRIBUTES } from './attributes.ts';
import { type ConfigOptions, type Settings, resolveSettings } from './config/resolveSettings.ts';
import { type Level, parseLevel } from './levels.ts';
import { assertSessionId } from '../format/sessionId.ts';
import { SessionLogger } from './SessionLogger.ts';

export interface SessionLoggingOptions extends ConfigOptions {
  /** More downstream processors behind the level filter (they see only passing records). */
  processors?: LogRecordProcessor[];
  /** Open descriptors kept at most by the file writer (default: a quarter of the process's open-file limit, 256-8,192; past it idle files are closed and reopened asynchronously). */
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
  /** Fault injection for tests. */
  fs?: FileSystem;
  /** The time of records and of metadata.json entries (default: now, with nanoseconds); for tests. */
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
/** The SDK keeps 128 attributes of a record by default: the caller gets 128, ours (session.id, tier, category, seq, event.name) come on top. */
const CALLER_ATTRIBUTES = 128;

/** Everything a session server needs: open a logger per session, flush and shut down. */
export class SessionLogging {
  readonly settings: Settings;
  readonly levels: SessionLevelProcessor;
  /** The session files (undefined when `enabled = false`). */
  readonly store: SessionStore | undefined;
  readonly files: SessionFileProcessor | undefined;
  /** OTLP forwarding, when `otlp.enabled`. */
  readonly forwarding: OtlpForwardingProcessor | undefined;
  /** Files are the only destination: records go straight to the store, no SDK record is built. */
  readonly direct: boolean;
  private resourceInstance: Resource | undefined;
  private readonly now: () => HrTime;
  private readonly timestamp: () => string;
  private providerInstance: LoggerProvider | undefined;
  private sdkLogger: Logger | undefined;
  private readonly loggers = new Map<string, SessionLogger>();
  private retentionTimer: NodeJS.Timeout | undefined;
  private retentionRun: Promise<void> = Promise.resolve();
  private shutdownOnce: Promise<void> | undefined;

  constructor(options: SessionLoggingOptions = {}) {
    const configOptions = Object.fromEntries(Object.entries(options).filter(([key]) => !LIBRARY_KEYS.has(key))) as ConfigOptions;
    this.settings = resolveSettings(configOptions);
    const { config } = this.settings;
    const downstream: LogRecordProcessor[] = [];
    if (config.enabled) {
      this.store = new SessionStore({
        dir: config.dir, maxFileSize: config.maxFileSize, maxSessionSize: config.maxSessionSize,
        compression: config.compression, durability: config.durability, separateAuditTrail: config.separateAuditTrail,
        cleanupOnEnd: config.cleanupOnEnd, maxOpenFiles: options.maxOpenFiles, maxBufferedBytes: options.maxBufferedBytes, checkIntervalMs: options.checkIntervalMs, onError: options.onError,
        fs: options.fs, clock: options.clock,
      });
      this.files = new SessionFileProcessor({ store: this.store });
      downstream.push(this.files);
    }
    if (config.otlp.enabled) {
      this.forwarding = new OtlpForwardingProcessor({ url: config.otlp.endpoint, headers: config.otlp.headers, ...options.forwarding });
      downstream.push(this.forwarding);
    }
    const extra = options.processors ?? [];
    downstream.push(...extra);
    this.direct = this.files !== undefined && downstream.length === 1;
    const clock = options.clock;
    this.now = clock ? () => millisToHrTime(clock().getTime()) : hrTimeNow;
    this.timestamp = clock ? () => formatTimestamp(millisToHrTime(clock().getTime())) : timestampNow;
    const logging = this; // the resource is made only if a record that carries it is built
    this.levels = new SessionLevelProcessor({
      processors: downstream,
      store: this.store,
      levelFor: (id) => this.settings.levelFor(id),
      redact: config.redact,
      eventNameAttribute: this.forwarding !== undefined,
      origin: { get resource() { return logging.resource; }, instrumentationScope: { name: 'otel-session-logs' } },
      now: this.now,
    });
    if (!this.direct) this.sdkLogger = this.provider.getLogger('otel-session-logs');
    if (this.store && options.retention !== false) this.startRetention();
  }

  /** The service's resource: made when a record that carries it is first built (never, when the files are the only destination). */
  private get resource(): Resource {
    const { config } = this.settings;
    this.resourceInstance ??= otelResources().resourceFromAttributes({ 'service.name': config.otlp.serviceName, 'service.instance.id': `${hostname()}:${process.pid}`, 'host.name': hostname() });
    return this.resourceInstance;
  }

  /** The LoggerProvider whose only processor is `levels` (made on first use when the files are the only destination). */
  get provider(): LoggerProvider {
    this.providerInstance ??= new (otelSdkLogs().LoggerProvider)({
      resource: this.resource,
      processors: [this.levels as LogRecordProcessor],
      logRecordLimits: { attributeCountLimit: CALLER_ATTRIBUTES + (this.forwarding ? LINE_FIELD_ATTRIBUTES.size : LINE_FIELD_ATTRIBUTES.size - 1) },
    });
    return this.providerInstance;
  }

  /**
   * Apply retention now (`retention_days`): also run at start-up and every hour. Live
   * sessions are never removed; what goes is recorded in metadata.json.
   */
  prune(options: { dryRun?: boolean; now?: Date } = {}): Promise<PruneReport> {
    if (!this.store) return Promise.resolve({ removedSessions: [], removedSegments: [], errors: [] });
    return this.store.prune(this.settings.config.retentionDays, options);
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

  /**
   * Open (or reopen) a session's log; records session.created. Throws a StorageError
   * (with a `code`) when the session's directory or files are links, when another process
   * has the session open, or after shutdown().
   */
  open(sessionId: string, options: OpenOptions = {}): SessionLogger {
    if (this.shutdownOnce) throw new StorageError('ESTORECLOSED', `session ${String(sessionId)}: logging was shut down; allowed: open sessions before shutdown()`);
    assertSessionId(sessionId);
    if (this.loggers.has(sessionId)) throw new Error(`session ${sessionId} is already open`);
    const explicit = options.level === undefined ? undefined : parseLevel(options.level, `open(${sessionId}): level`);
    const level = this.settings.levelFor(sessionId, explicit);
    const state = this.levels.open(sessionId, level, { ...options.metadata });
    const route = { direct: this.direct ? state.stored : undefined, sdk: this.sdkLogger, eventNameAttribute: this.forwarding !== undefined, now: this.now, timestamp: this.timestamp };
    const logger = new SessionLogger(state, this.levels, route, async (closing) => {
      await this.levels.close(closing.id);
      this.loggers.delete(closing.id);
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
      levels: { ...this.levels.stats },
      files: { ...(this.store?.stats ?? newWriterStats()) },
      forwarding: this.forwarding ? { ...this.forwarding.stats } : undefined,
      openSessions: this.loggers.size,
    };
  }

  /** Everything written (and forwarded) so far is out: files written, metadata.json current, batches sent. */
  async forceFlush(): Promise<void> {
    await this.levels.forceFlush();
  }

  /** Close every open session (session.terminated, ended_at) and flush everything; later opens are refused. */
  shutdown(): Promise<void> {
    this.shutdownOnce ??= (async () => {
      clearInterval(this.retentionTimer);
      await this.retentionRun;
      await Promise.all([...this.loggers.values()].map((logger) => logger.close()));
      if (this.providerInstance) await this.providerInstance.shutdown();
      else await this.levels.shutdown();
      await this.store?.shutdown();
    })();
    return this.shutdownOnce;
  }
}

export function createSessionLogging(options: SessionLoggingOptions = {}): SessionLogging {
  return new SessionLogging(options);
}
