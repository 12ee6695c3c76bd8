import type { ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { type SessionFileProcessorOptions, storeFrom } from '../processors/SessionFileProcessor.ts';
import type { SessionStore } from '../storage/SessionStore.ts';
import { otelCore } from '../src/lazyModules.ts';

export type SessionJsonlExporterOptions = SessionFileProcessorOptions;

/**
 * The per-session JSONL writer as a standard LogRecordExporter, for pipelines that batch.
 * Give SessionLevelProcessor the same store (`new SessionLevelProcessor({ store: exporter.store, ... })`)
 * so seqs come from the store that writes them. A batch is reported SUCCESS once its lines
 * are written (durable per the durability mode).
 * Note: the stock BatchLogRecordProcessor drops records silently when its queue is full.
 */
export class SessionJsonlExporter implements LogRecordExporter {
  readonly store: SessionStore;
  private readonly owned: boolean;

  constructor(options: SessionJsonlExporterOptions) {
    ({ store: this.store, owned: this.owned } = storeFrom(options, 'SessionJsonlExporter'));
  }

  export(records: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    const sessions = new Set<string>();
    try {
      for (const record of records) {
        this.store.writeRecord(record);
        const id = record.attributes['session.id'];
        if (typeof id === 'string') sessions.add(id);
      }
    } catch (error) {
      resultCallback({ code: otelCore().ExportResultCode.FAILED, error: error as Error });
      return;
    }
    Promise.all([...sessions].map((id) => this.store.flush(id))).then(
      () => resultCallback({ code: otelCore().ExportResultCode.SUCCESS }),
      (error: Error) => resultCallback({ code: otelCore().ExportResultCode.FAILED, error }),
    );
  }

  forceFlush(): Promise<void> {
    return this.store.drain();
  }

  async shutdown(): Promise<void> {
    if (this.owned) await this.store.shutdown();
    else await this.store.drain();
  }
}
