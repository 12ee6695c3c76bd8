/**
 * Push, end to end with real parts: the library forwards over OTLP to the Collector built
 * from deploy/otelcol-builder.yaml running otel-collector.yaml, which sends to a real
 * VictoriaLogs. Everything is proved by counting what the store holds against the session
 * files: per session, distinct seq equal to the records on disk (nothing lost), and the
 * total number of entries (nothing twice, or how many twice where a kill allows it).
 */
import assert from 'node:assert/strict';
import { createSessionLogging } from '../../src/index.ts';
import type { ForwardingReport } from '../../processors/ForwardingReport.ts';
import { readExported, waitForExported } from '../support/collectorOutput.ts';
import { startCollector } from '../support/otelcol.ts';
import { realProcessesPerTest } from '../support/realProcesses.ts';
import { waitFor } from '../support/service.ts';
import { sessionLines, tempDir } from '../support/sessionFiles.ts';
import { steadyLoad } from '../support/steadyLoad.ts';
import { assertSameRecord, storedBySeq, waitForDelivery } from '../support/storeChecks.ts';
import { startVictoriaLogs } from '../support/victoriaLogs.ts';

describe('push: library -> Collector -> VictoriaLogs (real processes)', function () {
  this.timeout(300_000);
  const real = realProcessesPerTest();

  /** A store, a Collector sending to it (state in its own directories), and the library forwarding to the Collector. */
  async function pipeline(reports: ForwardingReport[] = []): Promise<{ root: string; exportDir: string }> {
    real.store = await startVictoriaLogs(tempDir('osl-vl-'));
    const exportDir = tempDir('osl-export-');
    real.collector = await startCollector({ LOGS_BACKEND_ENDPOINT: real.store.otlpEndpoint, OTELCOL_STORAGE_DIR: tempDir('osl-otelcol-'), SESSION_EXPORT_DIR: exportDir, OTELCOL_BATCH_TIMEOUT: '200ms' });
    const root = tempDir();
    real.logging = createSessionLogging({
      dir: root, env: {}, defaultLevel: 'full', otlp: { enabled: true, endpoint: real.collector.endpoint, serviceName: 'push-test' },
      forwarding: { scheduledDelayMillis: 50, maxRetryDelayMillis: 500, onReport: (report) => reports.push(report) },
    });
    return { root, exportDir };
  }

  it('10,000 records from 5 sessions are in the store exactly once with every field, and in the per-session files', async () => {
    const { root, exportDir } = await pipeline();
    const ids = ['p0', 'p1', 'p2', 'p3', 'p4'];
    for (const id of ids) real.logging!.open(id, { metadata: { command: 'bash' } });
    for (let i = 0; i < 2000; i++) {
      for (const id of ids) real.logging!.get(id)!.emit(i % 4 === 0 ? 'input' : i % 97 === 0 ? 'error' : 'output', `${id} record ${i} "quoted" ünïcødé\n`, { i });
      if (i % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    real.logging!.get('p0')!.setLevel('prompts', { by: 'api' });
    await real.logging!.shutdown();
    assert.equal(real.logging!.stats().forwarding!.notForwarded, 0);
    const delivery = await waitForDelivery(real.store!, root, ids);
    assert.deepEqual(delivery, { sent: 10_000 + 2 * ids.length + 1, stored: delivery.sent, distinct: delivery.sent, duplicated: 0 }, 'exactly once');
    for (const id of ids) {
      const stored = await storedBySeq(real.store!, id);
      for (const line of sessionLines(root, id)) {
        assertSameRecord(stored.get(line.seq), line);
        const row = stored.get(line.seq)!;
        assert.equal(row['service.name'], 'push-test');
        // A body on every record; no attribute a store reads as the severity (Loki: level, severity, lvl).
        assert.notEqual(row._msg, '', `${id} seq ${line.seq} (${line.event}) has an empty body`);
        for (const name of ['level', 'severity', 'lvl']) assert.ok(!(name in row), `${id} seq ${line.seq} (${line.event}) has an attribute ${name}`);
      }
    }
    // The files pipeline: one file per session, each record once.
    const exported = await waitForExported(exportDir, (records) => records.length >= delivery.sent);
    assert.equal(exported.length, delivery.sent);
    assert.deepEqual(new Set(exported.map((r) => r.file)), new Set(ids.map((id) => `${id}.jsonl`)));
    // The Collector's own metrics (on 127.0.0.1) agree.
    const metrics = await real.collector!.metrics();
    assert.equal(metrics.get('otelcol_receiver_accepted_log_records'), delivery.sent);
    assert.equal(metrics.get('otelcol_exporter_send_failed_log_records') ?? 0, 0);
  });

  it('SIGKILL of the Collector holding records the store has not taken, down for 30,000 records: nothing lost, repeats bounded and counted', async () => {
    const reports: ForwardingReport[] = [];
    const { root } = await pipeline(reports);
    const ids = ['k0', 'k1', 'k2', 'k3'];
    for (const id of ids) real.logging!.open(id);
    const load = steadyLoad(real.logging!, ids, 1000);
    const stats = () => real.logging!.stats().forwarding!;
    await waitFor('records in the store', async () => ((await real.store!.query('* | stats count() n'))[0]?.n ?? '0') >= '1' ? true : undefined);
    // The store goes down: the Collector accepts and queues on disk what it cannot deliver.
    const dataDir = real.store!.dataDir;
    await real.store!.stop();
    const accepted = stats().forwarded;
    await waitFor('the Collector to accept 2,000 records the store has not taken', () => (stats().forwarded >= accepted + 2000 ? true : undefined));
    const queuedInCollector = (await real.collector!.metrics()).get('otelcol_exporter_queue_size') ?? 0;
    assert.ok(queuedInCollector >= 1000, `${queuedInCollector} records in the Collector's queue before the kill`);
    await real.collector!.kill('SIGKILL');
    // Mid-stream: the library keeps emitting, and keeps what it cannot forward: a 30 s outage
    // at 1,000 records/s fits its queue.
    await waitFor('the library to hold 30,000 records', () => (stats().inOutage && stats().queued >= 30_000 ? true : undefined), { timeoutMs: 150_000 });
    real.store = await startVictoriaLogs(dataDir);
    real.collector = await startCollector({ ...real.collector!.env, LOGS_BACKEND_ENDPOINT: real.store.otlpEndpoint });
    await waitFor('forwarding to recover', () => (!stats().inOutage ? true : undefined));
    await load.stop();
    await real.logging!.forceFlush(); // what it held, sent while the Collector takes it
    await real.logging!.shutdown();
    assert.equal(stats().notForwarded, 0, 'the library dropped nothing');
    const delivery = await waitForDelivery(real.store, root, ids);
    // At-least-once: a kill can repeat what was in flight, at most a library batch (1,000)
    // plus the Collector's two export batches (5,000 each).
    assert.ok(delivery.duplicated <= 11_000, `${delivery.duplicated} repeated`);
    console.log(`      push, SIGKILL: ${JSON.stringify(delivery)}; ${queuedInCollector} records were in the killed Collector's queue`);
    assert.deepEqual(reports.map((r) => r.kind), ['outage', 'recovered']);
  });

  it('a clean restart of the Collector (SIGTERM) mid-stream: every record exactly once', async () => {
    const { root } = await pipeline();
    const ids = ['c0', 'c1', 'c2'];
    for (const id of ids) real.logging!.open(id);
    const load = steadyLoad(real.logging!, ids, 1000);
    const stats = () => real.logging!.stats().forwarding!;
    await waitFor('2,000 records forwarded', () => (stats().forwarded >= 2000 ? true : undefined));
    await real.collector!.stop();
    assert.equal(real.collector!.process.exitCode, 0, real.collector!.output());
    await waitFor('the library to hold 1,000 records', () => (stats().queued >= 1000 ? true : undefined));
    real.collector = await startCollector(real.collector!.env);
    await waitFor('forwarding to recover', () => (!stats().inOutage && stats().forwarded >= 6000 ? true : undefined));
    await load.stop();
    await real.logging!.forceFlush(); // what it held, sent while the Collector takes it
    await real.logging!.shutdown();
    const delivery = await waitForDelivery(real.store!, root, ids);
    console.log(`      push, clean restart: ${JSON.stringify(delivery)}`);
    assert.equal(delivery.duplicated, 0, 'nothing twice');
    assert.equal(stats().notForwarded, 0);
    assert.equal(readExported(real.collector.env.SESSION_EXPORT_DIR!).length >= delivery.sent, true);
  });
});
