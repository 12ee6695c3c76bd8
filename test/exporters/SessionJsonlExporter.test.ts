import assert from 'node:assert/strict';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { BatchLogRecordProcessor, InMemoryLogRecordExporter, LoggerProvider, type ReadableLogRecord, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SessionJsonlExporter } from '../../exporters/SessionJsonlExporter.ts';
import { SessionLevelProcessor } from '../../processors/SessionLevelProcessor.ts';
import { FaultyFileSystem } from '../support/FaultyFileSystem.ts';
import { assertContiguous, readMetadata, sessionLines, tempDir } from '../support/sessionFiles.ts';

/** SessionJsonlExporter behind the stock BatchLogRecordProcessor, with the level processor taking seqs from its store. */
function batched(dir: string, batch: { maxQueueSize?: number; maxExportBatchSize?: number } = {}) {
  const exporter = new SessionJsonlExporter({ dir });
  const levels = new SessionLevelProcessor({ store: exporter.store, processors: [new BatchLogRecordProcessor({ exporter, scheduledDelayMillis: 1e6, ...batch })], defaultLevel: 'full' });
  const provider = new LoggerProvider({ processors: [levels] });
  const logger = provider.getLogger('exporter');
  const emit = (id: string, body: string) => logger.emit({ eventName: 'output', body, attributes: { 'session.id': id } });
  return { exporter, levels, provider, emit };
}

function drops(dir: string, id: string): Array<[number, number, number, string]> {
  return readMetadata(dir, id).drops.map((d: { first_seq: number; last_seq: number; count: number; error: string }) => [d.first_seq, d.last_seq, d.count, d.error]);
}

/** Records as a batch processor hands them over, built by a real provider. */
async function records(bodies: Array<[string, string]>): Promise<ReadableLogRecord[]> {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
  for (const [id, body] of bodies) provider.getLogger('r').emit({ eventName: 'output', body, attributes: { 'session.id': id } });
  await provider.forceFlush();
  return [...memory.getFinishedLogRecords()];
}

function exportResult(exporter: SessionJsonlExporter, batch: ReadableLogRecord[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(batch, resolve));
}

describe('SessionJsonlExporter', () => {
  it('behind a BatchLogRecordProcessor: seq comes from its store and continues across a reopen', async () => {
    const dir = tempDir();
    for (let run = 0; run < 2; run++) {
      const p = batched(dir);
      for (let i = 0; i < 50; i++) p.emit('s', `run ${run} record ${i}`);
      await p.provider.shutdown();
    }
    const lines = sessionLines(dir, 's');
    assertContiguous(lines);
    assert.equal(lines.length, 100);
    assert.deepEqual(drops(dir, 's'), []);
  });

  it('records the seqs a full batch queue dropped as ENOTDELIVERED, between records that arrived too', async () => {
    const dir = tempDir();
    const p = batched(dir, { maxQueueSize: 4, maxExportBatchSize: 4 });
    for (let burst = 0; burst < 3; burst++) {
      for (let i = 0; i < 10; i++) p.emit('q', `burst ${burst} record ${i}`); // the stock processor drops what does not fit, silently
      await p.provider.forceFlush();
    }
    await p.provider.shutdown();
    const onDisk = new Set(sessionLines(dir, 'q').map((l) => l.seq));
    const missing = Array.from({ length: 30 }, (_, i) => i + 1).filter((seq) => !onDisk.has(seq));
    assert.ok(missing.some((seq) => seq < Math.max(...onDisk)), `a gap between records that arrived: missing ${missing.join(',')}`);
    const recorded = drops(dir, 'q');
    assert.ok(recorded.every(([, , , error]) => error === 'ENOTDELIVERED'));
    assert.equal(recorded.reduce((sum, [, , count]) => sum + count, 0), missing.length, 'as many recorded as missing');
    for (const seq of missing) assert.ok(recorded.some(([first, last]) => seq >= first && seq <= last), `seq ${seq} is missing and not recorded`);
    assert.equal(p.exporter.store.stats.dropped, missing.length);
  });

  it('reports SUCCESS once a batch is written, and FAILED with EDROPPED when it could not be', async () => {
    const dir = tempDir();
    const faulty = new FaultyFileSystem();
    const exporter = new SessionJsonlExporter({ dir, fs: faulty.fs, onError: () => {} });
    const ok = await exportResult(exporter, await records([['e', 'one'], ['e', 'two']]));
    assert.equal(ok.code, ExportResultCode.SUCCESS);
    faulty.fail('EIO', ['write', 'writeSync']);
    const failed = await exportResult(exporter, await records([['e', 'three']]));
    faulty.heal();
    assert.equal(failed.code, ExportResultCode.FAILED);
    assert.equal((failed.error as NodeJS.ErrnoException).code, 'EDROPPED');
    await exporter.shutdown();
    assert.deepEqual(sessionLines(dir, 'e').map((l) => [l.seq, l.body]), [[1, 'one'], [2, 'two']]);
    assert.deepEqual(drops(dir, 'e'), [[3, 3, 1, 'EIO']]);
  });

  it('counts a record with an invalid session.id as rejected and still reports the batch written', async () => {
    const exporter = new SessionJsonlExporter({ dir: tempDir() });
    const result = await exportResult(exporter, await records([['ok', 'kept'], ['no/slash', 'refused']]));
    assert.equal(result.code, ExportResultCode.SUCCESS);
    assert.equal(exporter.store.stats.rejected, 1);
    assert.deepEqual(sessionLines(exporter.store.root, 'ok').map((l) => l.body), ['kept']);
    await exporter.shutdown();
  });

  it('counts records exported after shutdown as late', async () => {
    const exporter = new SessionJsonlExporter({ dir: tempDir() });
    await exporter.shutdown();
    await exportResult(exporter, await records([['late', 'x']]));
    assert.equal(exporter.store.stats.late, 1);
  });
});
