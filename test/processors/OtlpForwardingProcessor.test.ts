import assert from 'node:assert/strict';
import type { ExportResult } from '@opentelemetry/core';
import { InMemoryLogRecordExporter, LoggerProvider, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { OtlpForwardingProcessor } from '../../processors/OtlpForwardingProcessor.ts';
import { SessionLevelProcessor } from '../../processors/SessionLevelProcessor.ts';

// What otlpForwarding.test.ts covers against a real receiver (outages, hung and refusing
// Collectors, environment) is not repeated here: this is the processor with any exporter.

/** InMemoryLogRecordExporter that also keeps the size of each batch. */
class BatchSizes extends InMemoryLogRecordExporter {
  readonly sizes: number[] = [];
  override export(records: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    this.sizes.push(records.length);
    super.export(records, done);
  }
}

function pipeline(options: ConstructorParameters<typeof OtlpForwardingProcessor>[0] = {}) {
  const exporter = new BatchSizes();
  const forwarding = new OtlpForwardingProcessor({ exporter, scheduledDelayMillis: 1e6, ...options });
  const levels = new SessionLevelProcessor({ processors: [forwarding], defaultLevel: 'signals' });
  const provider = new LoggerProvider({ processors: [levels] });
  const logger = provider.getLogger('forwarding');
  const emit = (eventName: string, body: string) => logger.emit({ eventName, body, attributes: { 'session.id': 'f' } });
  return { exporter, forwarding, provider, emit };
}

describe('OtlpForwardingProcessor with any LogRecordExporter', () => {
  it('forwards exactly the records that pass the level filter, in order, with their seq', async () => {
    const p = pipeline();
    for (let i = 0; i < 6; i++) p.emit(i % 2 === 0 ? 'error' : 'output', `r${i}`);
    await p.provider.forceFlush();
    assert.deepEqual(p.exporter.getFinishedLogRecords().map((r) => [r.body, r.attributes['session.log.seq']]), [['r0', 1], ['r2', 2], ['r4', 3]]);
    assert.equal(p.forwarding.stats.forwarded, 3);
  });

  it('sends full batches at once and the rest on forceFlush, each batch at most maxBatchSize', async () => {
    const p = pipeline({ maxBatchSize: 4 });
    for (let i = 0; i < 9; i++) p.emit('error', `r${i}`);
    await p.provider.forceFlush();
    assert.deepEqual(p.exporter.sizes, [4, 4, 1]);
    assert.deepEqual(p.exporter.getFinishedLogRecords().map((r) => r.body), Array.from({ length: 9 }, (_, i) => `r${i}`));
  });

  it('counts records that arrive after shutdown as not forwarded; onEmit does not throw', async () => {
    const p = pipeline();
    p.emit('error', 'before');
    await p.forwarding.shutdown();
    assert.equal(p.forwarding.stats.forwarded, 1);
    assert.doesNotThrow(() => p.forwarding.onEmit({} as ReadableLogRecord));
    assert.deepEqual([p.forwarding.stats.unsentAtShutdown, p.forwarding.stats.notForwarded], [1, 1]);
  });

  it('keeps a batch the exporter failed and sends it again on the next flush', async () => {
    let fail = true;
    const exporter = new InMemoryLogRecordExporter();
    const flaky = {
      export: (records: ReadableLogRecord[], done: (result: ExportResult) => void) => (fail ? done({ code: 1, error: new Error('down') }) : exporter.export(records, done)),
      shutdown: () => exporter.shutdown(),
      forceFlush: () => exporter.forceFlush(),
    };
    const reports: string[] = [];
    const p = pipeline({ exporter: flaky, onReport: (r) => reports.push(r.kind) });
    p.emit('error', 'kept');
    await p.provider.forceFlush();
    assert.deepEqual(exporter.getFinishedLogRecords(), []);
    assert.equal(p.forwarding.stats.queued, 1);
    fail = false;
    await p.provider.forceFlush();
    assert.deepEqual(exporter.getFinishedLogRecords().map((r) => r.body), ['kept']);
    assert.deepEqual([p.forwarding.stats.forwarded, p.forwarding.stats.failedExports, p.forwarding.stats.notForwarded], [1, 1, 0]);
    assert.deepEqual(reports, ['outage', 'recovered'], 'one report when it starts, one when it ends');
  });
});
