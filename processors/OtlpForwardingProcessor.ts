import { diag } from '@opentelemetry/api';
import type { LogRecordExporter, LogRecordProcessor, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { otelCore } from '../src/lazyModules.ts';
import { ForwardingQueue, estimateRecordBytes } from './ForwardingQueue.ts';
import { ForwardingEpisodes } from './ForwardingEpisodes.ts';
import { type ForwardingReport, describeForwardingReport } from './ForwardingReport.ts';

export interface OtlpForwardingOptions {
  /** Full URL of the OTLP/HTTP logs endpoint; unset lets OTEL_EXPORTER_OTLP_* decide. */
  url?: string;
  headers?: Record<string, string>;
  /** Instead of an OTLPLogExporter (tests, other transports). */
  exporter?: LogRecordExporter;
  /**
   * Records held while the Collector is slow or down, in estimated bytes (body, attributes
   * and the record object); past it new records are counted as not forwarded. Default 32 MiB.
   */
  maxQueueBytes?: number;
  /** Records per export at most. Default 1000. */
  maxBatchSize?: number;
  /** Estimated bytes per export at most (a larger record goes alone). Default 1 MiB. */
  maxBatchBytes?: number;
  /** How long a partial batch waits for more records (ms). Default 200. */
  scheduledDelayMillis?: number;
  /**
   * Time one export may take, the exporter's own retries included (ms). Default
   * OTEL_EXPORTER_OTLP_LOGS_TIMEOUT, else OTEL_EXPORTER_OTLP_TIMEOUT, else 10,000.
   */
  exportTimeoutMillis?: number;
  /** Longest wait between two attempts while exports fail (ms); it doubles up to this. Default 5,000. */
  maxRetryDelayMillis?: number;
  /** One call per episode (outage, overflow, rejection) and one when it ends. Default: diag.warn. */
  onReport?: (report: ForwardingReport) => void;
}

/** Every default of OtlpForwardingOptions, in one place. */
export const FORWARDING_DEFAULTS = {
  maxQueueBytes: 32 * 1024 * 1024,
  maxBatchSize: 1000,
  maxBatchBytes: 1024 * 1024,
  scheduledDelayMillis: 200,
  exportTimeoutMillis: 10_000,
  maxRetryDelayMillis: 5000,
} as const;

const OPTION_NAMES = new Set(['url', 'headers', 'exporter', 'onReport', ...Object.keys(FORWARDING_DEFAULTS)]);

export interface ForwardingStats {
  /** Records the Collector accepted. */
  forwarded: number;
  /** Records that will not be forwarded: queueFull + rejected + unsentAtShutdown. */
  notForwarded: number;
  /** Records that did not fit the queue. */
  queueFull: number;
  /** Records in batches the endpoint refused for good. */
  rejected: number;
  /** Records still queued when shutdown gave up, an export in flight included (or emitted after it). */
  unsentAtShutdown: number;
  /** Export attempts that failed (each retry counts). */
  failedExports: number;
  /** Records queued, the batch being sent included. */
  queued: number;
  /** Their estimated bytes. */
  queuedBytes: number;
  maxQueueBytes: number;
  /** Outages so far (episodes of failing exports). */
  outages: number;
  /** Whether exports are failing right now. */
  inOutage: boolean;
}

/** Resolves when `promise` settles or at `deadline` (ms since the epoch), whichever is first. */
async function settledBy(promise: Promise<unknown>, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.then(() => undefined, () => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now())))),
  ]);
  clearTimeout(timer);
}

/** HTTP statuses OTLP/HTTP says to retry; every other 4xx/5xx is final. */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

/** An error the OTLP exporter reports with an HTTP status that must not be retried. */
function isFinal(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' && code >= 400 && code < 600 && !RETRYABLE_STATUS.has(code);
}

/** The standard OTLP timeout variables, as the exporter reads them; a bad value is refused here. */
function timeoutFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  for (const name of ['OTEL_EXPORTER_OTLP_LOGS_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT']) {
    const text = env[name]?.trim();
    if (!text) continue;
    const value = Number(text);
    if (!Number.isInteger(value) || value <= 0) throw new RangeError(`environment: ${name} = ${JSON.stringify(text)} is not allowed; allowed: a positive integer (milliseconds)`);
    return value;
  }
  return undefined;
}

function positiveInteger(name: string, value: unknown): number | undefined {
  if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)) {
    throw new RangeError(`OtlpForwardingProcessor: ${name} = ${JSON.stringify(value)} is not allowed; allowed: a positive integer`);
  }
  return value;
}

/**
 * OTLP forwarding behind the level filter. Unlike the stock BatchLogRecordProcessor it keeps
 * a batch that failed and retries it (with backoff) while the Collector is down or hung, so a
 * short outage loses nothing; its queue is bounded in bytes, and every record it cannot
 * forward is counted. onEmit only appends to the queue, so the Collector never slows the files.
 */
export class OtlpForwardingProcessor implements LogRecordProcessor {
  /** The exporter, made on the first export: the OTLP exporter's modules load only when something is forwarded. */
  private exporter: Promise<LogRecordExporter> | undefined;
  private readonly makeExporter: () => Promise<LogRecordExporter>;
  private readonly queue: ForwardingQueue;
  private readonly maxBatchSize: number;
  private readonly maxBatchBytes: number;
  private readonly delay: number;
  private readonly exportTimeout: number;
  private readonly maxRetryDelay: number;
  private readonly episodes: ForwardingEpisodes;
  private readonly counts = { forwarded: 0, queueFull: 0, rejected: 0, unsentAtShutdown: 0, failedExports: 0 };
  private exporting: Promise<void> | undefined;
  private batchTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = 0;
  /** forceFlush calls waiting: while any does, partial batches go out at once. */
  private flushing = 0;
  private closed = false;
  /** Shutdown gave up: results of exports still in flight are ignored. */
  private abandoned = false;
  private shutdownOnce: Promise<void> | undefined;

  constructor(options: OtlpForwardingOptions = {}) {
    for (const name of Object.keys(options)) {
      if (!OPTION_NAMES.has(name)) throw new TypeError(`OtlpForwardingProcessor: unknown option ${name}; allowed: ${[...OPTION_NAMES].join(', ')}`);
    }
    const number = (name: keyof typeof FORWARDING_DEFAULTS): number => positiveInteger(name, options[name]) ?? FORWARDING_DEFAULTS[name];
    this.queue = new ForwardingQueue(number('maxQueueBytes'));
    this.maxBatchSize = number('maxBatchSize');
    this.maxBatchBytes = number('maxBatchBytes');
    this.delay = number('scheduledDelayMillis');
    this.exportTimeout = positiveInteger('exportTimeoutMillis', options.exportTimeoutMillis) ?? timeoutFromEnv(process.env) ?? FORWARDING_DEFAULTS.exportTimeoutMillis;
    this.maxRetryDelay = number('maxRetryDelayMillis');
    const { exporter, url, headers } = options;
    const timeoutMillis = this.exportTimeout;
    this.makeExporter = exporter !== undefined
      ? () => Promise.resolve(exporter)
      : async () => new (await import('@opentelemetry/exporter-logs-otlp-http')).OTLPLogExporter({ url, headers, timeoutMillis });
    const report = options.onReport ?? ((r: ForwardingReport) => diag.warn(`otel-session-logs: ${describeForwardingReport(r)}`));
    this.episodes = new ForwardingEpisodes(report, this.queue.maxBytes);
  }

  get stats(): ForwardingStats {
    const { forwarded, queueFull, rejected, unsentAtShutdown, failedExports } = this.counts;
    return {
      forwarded, notForwarded: queueFull + rejected + unsentAtShutdown, queueFull, rejected, unsentAtShutdown, failedExports,
      queued: this.queue.length, queuedBytes: this.queue.bytes, maxQueueBytes: this.queue.maxBytes, outages: this.episodes.outages, inOutage: this.episodes.inOutage,
    };
  }

  onEmit(record: ReadableLogRecord): void {
    if (this.closed) {
      this.counts.unsentAtShutdown++;
      return;
    }
    if (!this.queue.push(record, estimateRecordBytes(record))) {
      this.counts.queueFull++;
      this.episodes.recordDropped();
      return;
    }
    if (this.retryTimer || this.exporting) return; // the running loop or the retry takes it
    if (this.fullBatchQueued()) this.kick(false);
    else this.waitForBatch();
  }

  private fullBatchQueued(): boolean {
    return this.queue.length >= this.maxBatchSize || this.queue.bytes >= this.maxBatchBytes;
  }

  /** A partial batch goes out after scheduledDelayMillis, unless it fills up first. */
  private waitForBatch(): void {
    if (this.batchTimer) return;
    this.batchTimer = setTimeout(() => this.kick(true), this.delay);
    this.batchTimer.unref();
  }

  /** Starts the export loop; `waited`: the records queued now go out even as a partial batch. */
  private kick(waited: boolean): void {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    if (this.exporting || this.queue.length === 0) return;
    this.exporting = this.exportLoop(waited ? this.queue.length : 0).finally(() => (this.exporting = undefined));
  }

  /**
   * Sends the `due` oldest records, then batches while full ones are queued (everything
   * during forceFlush); stops when an export fails in a way worth retrying, and the retry
   * timer starts it again.
   */
  private async exportLoop(due: number): Promise<void> {
    while (this.queue.length > 0) {
      if (due <= 0 && this.flushing === 0 && !this.fullBatchQueued()) {
        this.waitForBatch();
        return;
      }
      const batch = this.queue.peek(this.maxBatchSize, this.maxBatchBytes);
      due -= batch.records.length;
      const error = await this.exportBatch(batch.records);
      if (this.abandoned) return; // shutdown counted this batch already
      if (error === undefined) {
        this.queue.remove(batch);
        this.counts.forwarded += batch.records.length;
        this.retryDelay = 0;
        this.episodes.exportSucceeded(this.queue.bytes);
        continue;
      }
      this.counts.failedExports++;
      if (isFinal(error)) {
        this.queue.remove(batch);
        this.counts.rejected += batch.records.length;
        this.episodes.exportRejected(error, batch.records.length, this.queue.bytes);
        continue;
      }
      this.episodes.exportFailed(error, this.queue.length);
      this.retryDelay = Math.min(this.maxRetryDelay, Math.max(2 * this.retryDelay, Math.min(1000, this.maxRetryDelay)));
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.kick(true);
      }, this.retryDelay);
      this.retryTimer.unref();
      return;
    }
  }

  /** The exporter's result as an error, or undefined when the Collector accepted the batch. */
  private async exportBatch(batch: ReadableLogRecord[]): Promise<Error | undefined> {
    let exporter: LogRecordExporter;
    try {
      exporter = await (this.exporter ??= this.makeExporter());
    } catch (error) {
      this.exporter = undefined; // tried again with the next batch
      return error as Error;
    }
    return new Promise((resolve) => {
      // The exporter times out on its own; this is in case it never calls back.
      const timeout = setTimeout(() => resolve(new Error(`export timed out after ${this.exportTimeout} ms`)), this.exportTimeout + 1000);
      timeout.unref();
      try {
        exporter.export(batch, (result) => {
          clearTimeout(timeout);
          resolve(result.code === otelCore().ExportResultCode.SUCCESS ? undefined : (result.error ?? new Error('export failed')));
        });
      } catch (error) {
        clearTimeout(timeout);
        resolve(error as Error);
      }
    });
  }

  /**
   * Sends everything queued now. Resolves when the queue is empty, or after one attempt
   * failed during an outage: the records stay queued and are retried, never waited for here.
   */
  async forceFlush(): Promise<void> {
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    this.flushing++;
    try {
      this.kick(true);
      await this.exporting;
    } finally {
      this.flushing--;
    }
  }

  /**
   * Sends what is queued, retrying, for at most exportTimeoutMillis in all (a hung Collector
   * does not hold it longer); what is still queued then is counted (unsentAtShutdown), an
   * export still in flight included, whose late answer is ignored. Records emitted after
   * shutdown began are counted too.
   */
  shutdown(): Promise<void> {
    this.shutdownOnce ??= (async () => {
      this.closed = true;
      const deadline = Date.now() + this.exportTimeout;
      const sendQueued = async (): Promise<void> => {
        while (this.queue.length > 0 && !this.abandoned) {
          await this.forceFlush();
          const left = deadline - Date.now();
          if (this.queue.length === 0 || left <= 0) return;
          await new Promise((resolve) => setTimeout(resolve, Math.min(left, this.retryDelay || this.delay)));
        }
      };
      await settledBy(sendQueued(), deadline);
      this.abandoned = true;
      clearTimeout(this.retryTimer);
      clearTimeout(this.batchTimer);
      this.counts.unsentAtShutdown += this.queue.clear();
      if (this.exporter) await settledBy(this.exporter.then((exporter) => exporter.shutdown(), () => {}), deadline);
    })();
    return this.shutdownOnce;
  }
}
