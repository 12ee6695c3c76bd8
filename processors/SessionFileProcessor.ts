import type { Context } from '@opentelemetry/api';
import type { LogRecordProcessor, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { SessionStore, type StoreOptions } from '../storage/SessionStore.ts';

/** A store to write to, or the options to make one. */
export type SessionFileProcessorOptions = { store: SessionStore } | StoreOptions;

export function storeFrom(options: SessionFileProcessorOptions, where: string): { store: SessionStore; owned: boolean } {
  if (options === null || typeof options !== 'object') throw new TypeError(`${where}: options must be { store } or the options of a SessionStore ({ dir, ... })`);
  if ('store' in options) {
    if (!(options.store instanceof SessionStore)) throw new TypeError(`${where}: options.store must be a SessionStore`);
    return { store: options.store, owned: false };
  }
  return { store: new SessionStore(options), owned: true };
}

/**
 * Writes every record it is given to its session's directory as one JSONL line, without a
 * queue that could overflow: the store buffers per file and writes asynchronously, with
 * backpressure past its high-water mark. Put it downstream of SessionLevelProcessor and
 * give both the same store, so the level processor takes its seqs from it.
 */
export class SessionFileProcessor implements LogRecordProcessor {
  readonly store: SessionStore;
  private readonly owned: boolean;

  constructor(options: SessionFileProcessorOptions) {
    ({ store: this.store, owned: this.owned } = storeFrom(options, 'SessionFileProcessor'));
  }

  onEmit(record: ReadableLogRecord, _context?: Context): void {
    this.store.writeRecord(record);
  }

  forceFlush(): Promise<void> {
    return this.store.drain();
  }

  /** Shuts the store down when this processor made it; a store passed in is shut down by its owner. */
  async shutdown(): Promise<void> {
    if (this.owned) await this.store.shutdown();
    else await this.store.drain();
  }
}
