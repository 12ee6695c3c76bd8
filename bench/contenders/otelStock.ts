import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ExportResultCode, hrTimeToMicroseconds } from '@opentelemetry/core';
import { BatchLogRecordProcessor, type LogRecordExporter, LoggerProvider, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { Contender, WorkRecord } from '../workload.ts';

/** A minimal JSONL exporter: one line per record, one writeSync per session per batch. */
class MinimalJsonlExporter implements LogRecordExporter {
  private readonly fds: number[];
  constructor(dir: string, sessions: number) {
    this.fds = Array.from({ length: sessions }, (_, i) => openSync(join(dir, `s${i}.jsonl`), 'a'));
  }
  export(records: ReadableLogRecord[], done: (result: { code: ExportResultCode }) => void): void {
    const out = new Map<number, string>();
    for (const record of records) {
      const session = record.attributes['session.index'] as number;
      const line = JSON.stringify({ ts: hrTimeToMicroseconds(record.hrTime), session_id: record.attributes['session.id'], event: record.eventName, body: record.body, attrs: record.attributes }) + '\n';
      out.set(session, (out.get(session) ?? '') + line);
    }
    for (const [session, text] of out) writeSync(this.fds[session]!, text);
    done({ code: ExportResultCode.SUCCESS });
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {
    for (const fd of this.fds) closeSync(fd);
  }
}

/**
 * The stock SDK path: BatchLogRecordProcessor + a minimal JSONL exporter. Its queue drops
 * silently when full, so the workload flushes every 1,000 records (its queue holds 2,048).
 */
export function create(dir: string, sessions: number): Contender {
  const provider = new LoggerProvider({ processors: [new BatchLogRecordProcessor({ exporter: new MinimalJsonlExporter(dir, sessions), maxQueueSize: 2048, maxExportBatchSize: 512 })] });
  const logger = provider.getLogger('bench');
  return {
    emit(record: WorkRecord) {
      logger.emit({ eventName: 'output', body: record.body, attributes: { ...record.attrs, 'session.id': `s${record.session}`, 'session.index': record.session } });
    },
    tick: () => provider.forceFlush(),
    finish: () => provider.shutdown(),
  };
}
