import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { SessionFileProcessor, type SessionFileProcessorOptions } from '../processors/SessionFileProcessor.ts';

/**
 * The per-session JSONL writer as a standard LogRecordExporter, for pipelines that batch.
 * Records must already carry session.id, seq, tier and category (SessionLevelProcessor sets them).
 * Prefer SessionFileProcessor: a BatchLogRecordProcessor in front of this drops records when its queue is full.
 */
export type SessionJsonlExporterOptions = SessionFileProcessorOptions;

export class SessionJsonlExporter implements LogRecordExporter {
  readonly files: SessionFileProcessor;

  constructor(options: SessionFileProcessorOptions) {
    this.files = new SessionFileProcessor(options);
  }

  export(records: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    try {
      for (const record of records) this.files.onEmit(record);
    } catch (error) {
      resultCallback({ code: ExportResultCode.FAILED, error: error as Error });
      return;
    }
    this.files.forceFlush().then(
      () => resultCallback({ code: ExportResultCode.SUCCESS }),
      (error: Error) => resultCallback({ code: ExportResultCode.FAILED, error }),
    );
  }

  forceFlush(): Promise<void> {
    return this.files.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.files.shutdown();
  }
}
