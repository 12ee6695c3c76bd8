/**
 * Pull, end to end with real parts: the library writes its session files (rotating and
 * compressing them), the Collector tails them (otel-collector.yaml, file_log/sessions) and
 * sends to a real VictoriaLogs. Proved by counting the store against the files.
 */
import assert from 'node:assert/strict';
import { createSessionLogging } from '../../src/index.ts';
import { startCollector } from '../support/otelcol.ts';
import { realProcessesPerTest } from '../support/realProcesses.ts';
import { waitFor } from '../support/service.ts';
import { sessionLines, tempDir } from '../support/sessionFiles.ts';
import { steadyLoad } from '../support/steadyLoad.ts';
import { assertSameRecord, storedBySeq, waitForDelivery } from '../support/storeChecks.ts';
import { startVictoriaLogs, storedCounts } from '../support/victoriaLogs.ts';

describe('pull: library files -> Collector -> VictoriaLogs (real processes)', function () {
  this.timeout(180_000);
  const real = realProcessesPerTest();

  it('SIGKILL mid-stream while segments rotate and compress, then a clean restart: nothing lost, repeats counted, nothing sent again', async () => {
    real.store = await startVictoriaLogs(tempDir('osl-vl-'));
    const root = tempDir();
    const env = {
      OTELCOL_LOGS_RECEIVER: 'file_log/sessions', SESSION_LOGS_DIR: root, SESSION_EXPORT_DIR: tempDir('osl-export-'),
      OTELCOL_STORAGE_DIR: tempDir('osl-otelcol-'), LOGS_BACKEND_ENDPOINT: real.store.otlpEndpoint, OTELCOL_BATCH_TIMEOUT: '200ms',
    };
    real.collector = await startCollector(env);
    // Small segments: a rotation every few hundred records, each compressed to .gz.
    real.logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', maxFileSize: '32KB', compression: 'gzip' });
    const ids = ['l0', 'l1', 'l2'];
    for (const id of ids) real.logging.open(id);
    const load = steadyLoad(real.logging, ids, 1000);
    await waitFor('records in the store', async () => ([...(await storedCounts(real.store!, ids)).values()].every((c) => c.count > 100) ? true : undefined));
    await real.collector.kill('SIGKILL');
    // While it is down, lines are written and rotated away into compressed segments.
    const rotations = real.logging.stats().files.compressions;
    await waitFor('6 segments compressed while the Collector is down', () => (real.logging!.stats().files.compressions >= rotations + 6 ? true : undefined));
    real.collector = await startCollector(env);
    const emitted = load.emitted;
    await waitFor('2,000 more records', () => (load.emitted >= emitted + 2000 ? true : undefined));
    await load.stop();
    await real.logging.shutdown();
    const delivery = await waitForDelivery(real.store, root, ids);
    // At-least-once: lines read after the last saved offset are read again after a kill (at
    // most what one poll reads), and the backend's two export batches in flight (5,000 each).
    assert.ok(delivery.duplicated <= 12_000, `${delivery.duplicated} repeated`);
    console.log(`      pull, SIGKILL: ${JSON.stringify(delivery)}`);
    for (const id of ids) {
      const stored = await storedBySeq(real.store, id);
      for (const line of sessionLines(root, id)) assertSameRecord(stored.get(line.seq), line);
    }
    // A clean restart reads on from the saved offsets: the ended sessions are not sent again.
    await real.collector.stop();
    assert.equal(real.collector.process.exitCode, 0, real.collector.output());
    real.collector = await startCollector(env);
    // Two markers, one after the other: the second is read by a later poll than the first,
    // which is the restart's first poll or later, so anything read again has been read by then.
    const markers = ['marker-1', 'marker-2'];
    for (const marker of markers) {
      const later = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full' });
      later.open(marker);
      await later.shutdown();
      await waitForDelivery(real.store, root, [marker]);
    }
    const read = (await real.collector.metrics()).get('otelcol_receiver_accepted_log_records');
    assert.equal(read, 2 * markers.length, 'after a clean restart the Collector read only the markers');
    const again = await waitForDelivery(real.store, root, ids);
    console.log(`      pull, clean restart: ${JSON.stringify(again)}`);
    assert.equal(again.stored, delivery.stored, 'nothing sent again');
  });
});
