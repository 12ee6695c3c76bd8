import { diag } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import type { LogRecordExporter, LogRecordProcessor, ReadableLogRecord } from '@opentelemetry/sdk-logs';

export interface OtlpForwardingOptions {
  /** Full URL of the OTLP/HTTP logs endpoint; unset lets OTEL_EXPORTER_OTLP_* decide. */
  url?: string;
  headers?: Record<string, string>;
  /** Instead of an OTLPLogExporter (tests, other transports). */
  exporter?: LogRecordExporter;
  /** Records held while the Collector is slow or down; past it new records are counted as not forwarded. */
  maxQueueSize?: number;
  maxBatchSize?: number;
  /** How often a partial batch is sent (ms). */
  scheduledDelayMillis?: number;
  exportTimeoutMillis?: number;
  /** One call when an outage starts (with the error) and one when forwarding works again (null). */
  onOutage?: (error: Error | null) => void;
}

export interface ForwardingStats {
  /** Records the Collector accepted. */
  forwarded: number;
  /** Records not forwarded: queue full or export failed after the exporter's retries. */
  notForwarded: number;
  failedExports: number;
  queued: number;
  outages: number;
}

/**
 * OTLP forwarding behind the level filter. Unlike the stock BatchLogRecordProcessor it
 * counts every record it could not forward and reports an outage once; its queue is
 * bounded, and onEmit only appends to an array, so a down or slow Collector never slows
 * the files.
 */
export class OtlpForwardingProcessor implements LogRecordProcessor {
  readonly stats: ForwardingStats = { forwarded: 0, notForwarded: 0, failedExports: 0, queued: 0, outages: 0 };
  private readonly exporter: LogRecordExporter;
  private readonly maxQueueSize: number;
  private readonly maxBatchSize: number;
  private readonly delay: number;
  private readonly exportTimeout: number;
  private readonly onOutage: (error: Error | null) => void;
  private queue: ReadableLogRecord[] = [];
  private exporting: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inOutage = false;
  private shutdownOnce: Promise<void> | undefined;

  constructor(options: OtlpForwardingOptions = {}) {
    for (const key of ['maxQueueSize', 'maxBatchSize', 'scheduledDelayMillis', 'exportTimeoutMillis'] as const) {
      const value = options[key];
      if (value !== undefined && (!Number.isInteger(value) || value <= 0)) throw new RangeError(`OtlpForwardingProcessor: ${key} = ${value} is not allowed; allowed: a positive integer`);
    }
    this.maxQueueSize = options.maxQueueSize ?? 20_000;
    this.maxBatchSize = Math.min(options.maxBatchSize ?? 1000, this.maxQueueSize);
    this.delay = options.scheduledDelayMillis ?? 500;
    this.exportTimeout = options.exportTimeoutMillis ?? 10_000;
    this.exporter = options.exporter ?? new OTLPLogExporter({ url: options.url, headers: options.headers, timeoutMillis: this.exportTimeout });
    this.onOutage = options.onOutage ?? ((error) => (error
      ? diag.warn(`otel-session-logs: OTLP forwarding failed (${error.message}); records that cannot be forwarded are counted (not_forwarded) until it works again`)
      : diag.warn('otel-session-logs: OTLP forwarding works again')));
  }

  onEmit(record: ReadableLogRecord): void {
    if (this.queue.length >= this.maxQueueSize) {
      this.stats.notForwarded++;
      return;
    }
    this.queue.push(record);
    this.stats.queued = this.queue.length;
    if (this.queue.length >= this.maxBatchSize) this.kick();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.kick(), this.delay);
      this.timer.unref();
    }
  }

  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.exporting || this.queue.length === 0) return;
    this.exporting = this.exportLoop().finally(() => (this.exporting = undefined));
  }

  private async exportLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatchSize);
      this.stats.queued = this.queue.length;
      const error = await this.exportBatch(batch);
      if (error === undefined) {
        this.stats.forwarded += batch.length;
        if (this.inOutage) {
          this.inOutage = false;
          this.onOutage(null);
        }
        continue;
      }
      this.stats.notForwarded += batch.length;
      this.stats.failedExports++;
      if (!this.inOutage) {
        this.inOutage = true;
        this.stats.outages++;
        this.onOutage(error);
      }
      // Do not hammer a Collector that is down: wait before the next batch.
      await new Promise((resolve) => setTimeout(resolve, this.delay).unref());
    }
  }

  private exportBatch(batch: ReadableLogRecord[]): Promise<Error | undefined> {
    return new Promise((resolve) => {
      const timeout = setTimeout(() => resolve(new Error(`export timed out after ${this.exportTimeout} ms`)), this.exportTimeout + 1000);
      timeout.unref();
      try {
        this.exporter.export(batch, (result) => {
          clearTimeout(timeout);
          resolve(result.code === ExportResultCode.SUCCESS ? undefined : (result.error ?? new Error('export failed')));
        });
      } catch (error) {
        clearTimeout(timeout);
        resolve(error as Error);
      }
    });
  }

  /** Send everything queued now; resolves when every batch was accepted or counted. */
  async forceFlush(): Promise<void> {
    this.kick();
    while (this.exporting) await this.exporting;
    if (this.queue.length > 0) {
      this.kick();
      await this.exporting;
    }
  }

  shutdown(): Promise<void> {
    this.shutdownOnce ??= (async () => {
      await this.forceFlush();
      await this.exporter.shutdown();
    })();
    return this.shutdownOnce;
  }
}
