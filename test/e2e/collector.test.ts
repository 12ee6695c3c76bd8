import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSessionLogging } from '../../src/index.ts';
import { type RunningCollector, collectorBinary, freePort, startCollector } from '../support/otelcol.ts';
import { readExported, tsToUnixNano, waitForExported } from '../support/collectorOutput.ts';
import { OtlpReceiver } from '../support/otlpReceiver.ts';
import { assertContiguous, sessionLines, tempDir } from '../support/sessionFiles.ts';

const config = fileURLToPath(new URL('../../otel-collector.yaml', import.meta.url));

describe('a real OpenTelemetry Collector (otel-collector.yaml)', function () {
  this.timeout(180_000);
  let collector: RunningCollector | undefined;
  let loki: OtlpReceiver | undefined;
  before(() => {
    collectorBinary(); // builds it if .ci/run did not; fails (not skips) when it cannot
  });
  afterEach(async () => {
    await collector?.kill('SIGKILL');
    collector = undefined;
    await loki?.stop();
    loki = undefined;
  });

  for (const receiver of ['otlp', 'filelog/sessions']) {
    it(`passes otelcol validate with the ${receiver} receiver`, () => {
      execFileSync(collectorBinary(), ['validate', '--config', config], { env: { OTELCOL_LOGS_RECEIVER: receiver, PATH: process.env.PATH }, stdio: 'pipe' });
    });
  }

  /** Start the Collector in push mode, its Loki exporter pointed at a local OTLP receiver. */
  async function pushCollector(exportDir: string): Promise<{ endpoint: string; port: number }> {
    loki = new OtlpReceiver();
    const lokiUrl = (await loki.start()).replace(/\/v1\/logs$/, '');
    const port = await freePort();
    collector = await startCollector({
      config, readyPort: port,
      env: { OTLP_HTTP_ENDPOINT: `127.0.0.1:${port}`, SESSION_EXPORT_DIR: exportDir, LOKI_OTLP_ENDPOINT: lokiUrl, LOKI_OTLP_ENCODING: 'json', OTELCOL_BATCH_TIMEOUT: '200ms', OTELCOL_DEBUG_VERBOSITY: 'basic' },
    });
    return { endpoint: `http://127.0.0.1:${port}/v1/logs`, port };
  }

  it('push: 10,000 records from 5 sessions arrive once each, with every field intact, in the per-session files and at Loki', async () => {
    const exportDir = tempDir();
    const { endpoint } = await pushCollector(exportDir);
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', otlp: { enabled: true, endpoint, serviceName: 'push-test' }, forwarding: { scheduledDelayMillis: 50 } });
    const ids = ['p0', 'p1', 'p2', 'p3', 'p4'];
    for (const id of ids) logging.open(id);
    for (let i = 0; i < 2000; i++) {
      for (const id of ids) logging.get(id)!.emit(i % 4 === 0 ? 'input' : i % 97 === 0 ? 'error' : 'output', `${id} record ${i}`, { i });
      if (i % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await logging.shutdown();
    const ours = ids.flatMap((id) => sessionLines(root, id));
    assert.equal(ours.length, 10_000 + 2 * ids.length);
    const exported = await waitForExported(exportDir, (records) => records.length >= ours.length);
    assert.equal(exported.length, ours.length, 'every record once, no more');
    const byKey = new Map(exported.map((r) => [`${r.resource['session.id']}/${r.attributes['session.log.seq']}`, r]));
    assert.equal(byKey.size, ours.length, 'no record twice');
    for (const line of ours) {
      const record = byKey.get(`${line.session_id}/${line.seq}`);
      assert.ok(record, `${line.session_id} seq ${line.seq} missing`);
      assert.equal(record.file, `${line.session_id}.jsonl`, 'grouped into its session file');
      assert.deepEqual(
        [record.eventName ?? record.attributes['event.name'], record.body, record.attributes['session.log.category'], record.attributes['session.log.tier'], record.severityText, record.timeUnixNano],
        [line.event, line.body, line.category, line.tier, line.severity, tsToUnixNano(line.ts)],
      );
    }
    assert.equal(exported[0]!.resource['service.name'], 'push-test');
    const deadline = Date.now() + 20_000;
    while (loki!.records.length < ours.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(loki!.records.length, ours.length, 'the Loki branch got every record');
    assert.deepEqual(loki!.errors, []);
    // Loki drops EventName; the attribute carries it there.
    assert.ok(loki!.records.every((r) => r.attributes['event.name'] === r.eventName), 'event.name attribute on every forwarded record');
    assert.equal(logging.stats().forwarding!.notForwarded, 0);
  });

  it('pull: the filelog receiver tails our JSONL files; every record arrives once with session.id and its ts', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full' });
    const ids = ['q0', 'q1', 'q2'];
    for (const id of ids) {
      const log = logging.open(id);
      for (let i = 0; i < 400; i++) log.emit(i % 3 === 0 ? 'input' : 'output', `${id} pulled ${i}`, { i });
    }
    await logging.shutdown();
    const exportDir = tempDir();
    collector = await startCollector({ config, env: { OTELCOL_LOGS_RECEIVER: 'filelog/sessions', SESSION_LOGS_DIR: root, SESSION_EXPORT_DIR: exportDir, LOKI_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTELCOL_BATCH_TIMEOUT: '200ms', OTLP_HTTP_ENDPOINT: `127.0.0.1:${await freePort()}` } });
    const ours = ids.flatMap((id) => sessionLines(root, id));
    const exported = await waitForExported(exportDir, (records) => records.length >= ours.length);
    assert.equal(exported.length, ours.length);
    const byKey = new Map(exported.map((r) => [`${r.resource['session.id']}/${r.attributes['session.log.seq']}`, r]));
    for (const line of ours) {
      const record = byKey.get(`${line.session_id}/${line.seq}`);
      assert.ok(record, `${line.session_id} seq ${line.seq} missing`);
      assert.equal(record.body, line.body);
      assert.equal(record.timeUnixNano, tsToUnixNano(line.ts), 'timestamp taken from ts');
      assert.equal(record.resource['service.name'], 'otel-session-logs');
    }
  });

  it('outage: the Collector is killed mid-stream and restarted; our files are complete, forwarding resumes, the rest is counted', async () => {
    const exportDir = tempDir();
    const { endpoint, port } = await pushCollector(exportDir);
    const root = tempDir();
    const outages: Array<string | null> = [];
    const logging = createSessionLogging({
      dir: root, env: {}, defaultLevel: 'full', otlp: { enabled: true, endpoint },
      forwarding: { scheduledDelayMillis: 50, exportTimeoutMillis: 2000, onOutage: (error) => outages.push(error ? error.message : null) },
    });
    const log = logging.open('o1');
    const phase = async (from: number) => {
      for (let i = from; i < from + 1000; i++) log.emit('output', `o ${i}`);
      await logging.forceFlush();
    };
    await phase(0);
    await waitForExported(exportDir, (records) => records.length >= 1001);
    await collector!.kill('SIGKILL');
    await phase(1000);
    collector = await startCollector({
      config, readyPort: port,
      env: { OTLP_HTTP_ENDPOINT: `127.0.0.1:${port}`, SESSION_EXPORT_DIR: exportDir, LOKI_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTELCOL_BATCH_TIMEOUT: '200ms' },
    });
    await phase(2000);
    await logging.shutdown();
    const ours = sessionLines(root, 'o1');
    assertContiguous(ours);
    assert.equal(ours.filter((l) => l.event === 'output').length, 3000, 'files complete');
    const stats = logging.stats().forwarding!;
    assert.equal(stats.forwarded + stats.notForwarded, ours.length, 'every record forwarded or counted');
    assert.ok(stats.notForwarded >= 1000, `${stats.notForwarded} not forwarded`);
    const exported = await waitForExported(exportDir, (records) => records.filter((r) => String(r.body).startsWith('o 2')).length >= 1000);
    const seqs = exported.map((r) => r.attributes['session.log.seq']);
    assert.equal(new Set(seqs).size, seqs.length, 'nothing twice at the Collector');
    const bodies = new Set(exported.map((r) => r.body));
    for (let i = 2000; i < 3000; i++) assert.ok(bodies.has(`o ${i}`), `o ${i} forwarded after the restart`);
    // The restarted Collector appends to the session's file; it does not empty it.
    for (let i = 0; i < 1000; i++) assert.ok(bodies.has(`o ${i}`), `o ${i}, exported before the kill, still in the session file`);
    assert.equal(outages.filter((o) => o !== null).length, 1, 'one report for the outage');
    assert.equal(outages.at(-1), null, 'and one when it ended');
  });
});
