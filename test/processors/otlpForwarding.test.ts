import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LoggerProvider, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { createSessionLogging } from '../../src/index.ts';
import { OtlpForwardingProcessor } from '../../processors/OtlpForwardingProcessor.ts';
import type { ForwardingReport } from '../../processors/ForwardingReport.ts';
import { type OtlpReceiver, receiverPerTest } from '../support/otlpReceiver.ts';
import { assertContiguous, sessionLines, tempDir } from '../support/sessionFiles.ts';

/** Every record of `id` the receiver got: once each, and exactly the lines on disk. */
function assertForwardedOnce(receiver: OtlpReceiver, root: string, id: string): void {
  const onDisk = sessionLines(root, id);
  assertContiguous(onDisk);
  const got = receiver.records.filter((r) => r.sessionId === id).map((r) => r.seq).sort((a, b) => a - b);
  assert.equal(got.length, onDisk.length, `${id}: ${got.length} forwarded, ${onDisk.length} on disk`);
  assert.deepEqual(got, onDisk.map((l) => l.seq), `${id}: each record once`);
}

/** Retained heap after a full collection (gc exposed for this test process only). */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

describe('OTLP forwarding behind the level filter', () => {
  const fake = receiverPerTest();

  it('forwards exactly the records that pass, with session.id, seq, category, tier, event, body, severity', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, otlp: { enabled: true, endpoint: fake.url, serviceName: 'fwd-test' }, forwarding: { scheduledDelayMillis: 20 } });
    const levels = { a: 'full', b: 'signals', c: 'spawns' } as const;
    for (const [id, level] of Object.entries(levels)) {
      const log = logging.open(id, { level });
      for (let i = 0; i < 500; i++) {
        log.emit('output', `${id} out ${i}`);
        if (i % 10 === 0) log.emit('error', `${id} err ${i}`);
      }
    }
    await logging.shutdown();
    for (const id of Object.keys(levels)) {
      const onDisk = sessionLines(root, id);
      const forwarded = fake.receiver.records.filter((r) => r.sessionId === id).sort((x, y) => x.seq - y.seq);
      assert.deepEqual(forwarded.map((r) => [r.seq, r.eventName, r.body, r.category, r.tier, r.severityText]), onDisk.map((l) => [l.seq, l.event, l.body, l.category, l.tier, l.severity]), id);
      assertContiguous(onDisk);
    }
    assert.equal(fake.receiver.records.filter((r) => r.eventName === 'output').length, 500);
    const record = fake.receiver.records.find((r) => r.eventName === 'error')!;
    assert.equal(record.resource['service.name'], 'fwd-test');
    assert.ok(record.resource['host.name'] && record.resource['service.instance.id']);
    assert.match(record.timeUnixNano, /^\d{19}$/);
    const stats = logging.stats().forwarding!;
    assert.equal(stats.forwarded, fake.receiver.records.length);
    assert.equal(stats.notForwarded, 0);
    assert.equal(stats.queued, 0);
  });

  it('an outage of 30,000 records (30 s at 1,000 records/s) loses nothing: kept, retried, one report when it starts and one when it ends', async () => {
    const root = tempDir();
    const reports: ForwardingReport[] = [];
    const logging = createSessionLogging({
      dir: root, env: {}, defaultLevel: 'full', otlp: { enabled: true, endpoint: fake.url },
      forwarding: { scheduledDelayMillis: 20, maxRetryDelayMillis: 50, onReport: (r) => reports.push(r) },
    });
    const ids = ['o1', 'o2', 'o3'];
    for (const id of ids) logging.open(id);
    fake.receiver.mode = 'unavailable';
    for (let i = 0; i < 10_000; i++) {
      // An output line of a typical terminal session: about 80 characters.
      for (const id of ids) logging.get(id)!.emit('output', `${id} ${String(i).padStart(6, '0')} ${'-'.repeat(64)}\n`, { stream: 'stdout' });
    }
    await logging.forceFlush(); // one attempt, which fails: the records stay queued
    const during = logging.stats().forwarding!;
    assert.equal(during.inOutage, true);
    assert.equal(during.notForwarded, 0, 'nothing dropped: 30,000 records fit the default queue');
    assert.equal(during.queued, 30_000 + ids.length);
    assert.ok(during.queuedBytes <= during.maxQueueBytes && during.maxQueueBytes === 32 * 1024 * 1024, `${during.queuedBytes} bytes queued of ${during.maxQueueBytes}`);
    assert.equal(fake.receiver.records.length, 0);
    fake.receiver.mode = 'ok';
    await logging.forceFlush(); // sends everything while the Collector takes it (shutdown alone waits at most exportTimeoutMillis)
    await logging.shutdown();
    for (const id of ids) assertForwardedOnce(fake.receiver, root, id);
    const stats = logging.stats().forwarding!;
    assert.equal(stats.notForwarded, 0);
    assert.equal(stats.forwarded, fake.receiver.records.length);
    assert.ok(stats.failedExports >= 1);
    assert.deepEqual(reports.map((r) => r.kind), ['outage', 'recovered']);
    assert.ok((reports[0] as { error: Error }).error.message, 'the outage report says what failed');
    assert.equal((reports[1] as { notForwarded: number }).notForwarded, 0);
  });

  it('a Collector that never answers: exports time out, the queue stays within its bytes, the rest is counted, memory stays bounded', async () => {
    const root = tempDir();
    const reports: ForwardingReport[] = [];
    const maxQueueBytes = 2 * 1024 * 1024;
    const logging = createSessionLogging({
      dir: root, env: {}, defaultLevel: 'full', maxSessionSize: '1GB', otlp: { enabled: true, endpoint: fake.url },
      forwarding: { scheduledDelayMillis: 20, maxQueueBytes, exportTimeoutMillis: 200, maxRetryDelayMillis: 50, onReport: (r) => reports.push(r) },
    });
    fake.receiver.mode = 'hang';
    const log = logging.open('slow');
    const before = heapAfterGc();
    // 96 MiB of output in 64 KiB reads, as `yes` gives a server: far more than the queue holds.
    const chunk = 'y\n'.repeat(32 * 1024);
    for (let i = 0; i < 1536; i++) log.emit('output', `${i} ${chunk}`);
    await logging.files!.forceFlush(); // the files do not wait for forwarding
    const retained = heapAfterGc() - before; // while the first export hangs
    await logging.forwarding!.forceFlush(); // it timed out
    assert.ok(retained < 32 * 1024 * 1024, `${Math.round(retained / 1024 / 1024)} MiB retained after 96 MiB of output`);
    const stats = logging.stats().forwarding!;
    assert.ok(stats.queuedBytes <= maxQueueBytes, `queue ${stats.queuedBytes} bytes`);
    assert.ok(stats.queued <= 32, `${stats.queued} records of 64 KiB queued`);
    assert.equal(stats.queueFull, 1537 - stats.queued, 'every record that did not fit is counted');
    // Emitting is synchronous, so the queue is full before the first export times out.
    assert.deepEqual(reports.map((r) => r.kind), ['overflow', 'outage']);
    assert.match((reports[1] as { error: Error }).error.message, /timed out/);
    fake.receiver.mode = 'ok';
    // The export held by the hung Collector times out; the next attempts go through.
    while (logging.stats().forwarding!.queued > 0) await logging.forceFlush();
    await logging.shutdown();
    const final = logging.stats().forwarding!;
    const onDisk = sessionLines(root, 'slow');
    assert.equal(onDisk.filter((l) => l.event === 'output').length, 1536, 'files complete');
    // At least once: an export that timed out may still have been taken.
    assert.ok(fake.receiver.records.length >= final.forwarded);
    assert.equal(final.forwarded + final.notForwarded, onDisk.length, 'every record forwarded or counted');
    const kinds = reports.map((r) => r.kind);
    assert.deepEqual(kinds.slice(0, 2), ['overflow', 'outage']);
    assert.ok(kinds.includes('recovered') && kinds.includes('overflow-ended'), kinds.join());
    assert.equal(final.inOutage, false);
  });

  it('a batch the Collector rejects for good (400) is counted as rejected, not retried, and reported once', async () => {
    const root = tempDir();
    const reports: ForwardingReport[] = [];
    const logging = createSessionLogging({
      dir: root, env: {}, defaultLevel: 'full', otlp: { enabled: true, endpoint: fake.url },
      forwarding: { scheduledDelayMillis: 20, maxBatchSize: 50, onReport: (r) => reports.push(r) },
    });
    const log = logging.open('r1');
    fake.receiver.mode = 'reject';
    for (let i = 0; i < 99; i++) log.emit('output', `o${i}`); // 100 records with session.created
    await logging.forceFlush();
    assert.equal(fake.receiver.requests, 2, 'two batches, each sent once');
    fake.receiver.mode = 'ok';
    for (let i = 0; i < 100; i++) log.emit('output', `p${i}`);
    await logging.shutdown();
    const stats = logging.stats().forwarding!;
    assert.equal(stats.rejected, 100);
    assert.equal(stats.forwarded, fake.receiver.records.length);
    assert.equal(stats.forwarded + stats.notForwarded, sessionLines(root, 'r1').length);
    assert.equal(stats.inOutage, false);
    assert.deepEqual(reports.map((r) => r.kind), ['rejected']);
  });

  it('shutdown gives up on an exporter that never answers after exportTimeoutMillis, and counts what it held', async () => {
    const exporter: LogRecordExporter = { export: () => {}, shutdown: () => new Promise<void>(() => {}), forceFlush: async () => {} };
    const processor = new OtlpForwardingProcessor({ exporter, exportTimeoutMillis: 200, scheduledDelayMillis: 10, onReport: () => {} });
    const provider = new LoggerProvider({ processors: [processor] });
    for (let i = 0; i < 100; i++) provider.getLogger('t').emit({ body: `r${i}` });
    await provider.shutdown(); // within the test's timeout: shutdown does not wait for ever
    provider.getLogger('t').emit({ body: 'late' }); // ignored by the provider after shutdown
    processor.onEmit({ body: 'late' } as ReadableLogRecord); // counted if it reaches the processor anyway
    assert.deepEqual({ ...processor.stats, failedExports: 0 }, {
      forwarded: 0, notForwarded: 101, queueFull: 0, rejected: 0, unsentAtShutdown: 101, failedExports: 0,
      queued: 0, queuedBytes: 0, maxQueueBytes: 32 * 1024 * 1024, outages: processor.stats.outages, inOutage: processor.stats.inOutage,
    });
  });

  it('refuses options it does not know or cannot use, naming what is allowed', () => {
    assert.throws(() => new OtlpForwardingProcessor({ maxQueueSize: 10 } as never), /unknown option maxQueueSize; allowed: .*maxQueueBytes/);
    assert.throws(() => new OtlpForwardingProcessor({ maxQueueBytes: 0 }), /maxQueueBytes = 0 is not allowed; allowed: a positive integer/);
    assert.throws(() => new OtlpForwardingProcessor({ exportTimeoutMillis: 1.5 }), /exportTimeoutMillis = 1.5/);
  });
});

describe('forwarding turned on by the standard OTel environment', () => {
  const fixture = fileURLToPath(new URL('../fixtures/forwardFromEnvironment.ts', import.meta.url));
  /** The fixture in a child process with exactly `env`: it logs one session and prints its forwarding stats. */
  function run(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [fixture, tempDir()], { env: { PATH: process.env.PATH!, ...env } }, (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  }
  const fake = receiverPerTest();

  it('OTEL_LOGS_EXPORTER=otlp with OTEL_EXPORTER_OTLP_LOGS_ENDPOINT forwards every record', async () => {
    const { code, stdout, stderr } = await run({ OTEL_LOGS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: fake.url });
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stdout), { forwarded: 12, notForwarded: 0 });
    assert.equal(fake.receiver.records.length, 12);
  });

  it('OTEL_EXPORTER_OTLP_ENDPOINT (a base URL) works the same, /v1/logs appended', async () => {
    const { code, stderr } = await run({ OTEL_LOGS_EXPORTER: 'console,otlp', OTEL_EXPORTER_OTLP_ENDPOINT: fake.url.replace(/\/v1\/logs$/, '') });
    assert.equal(code, 0, stderr);
    assert.equal(fake.receiver.records.length, 12);
  });

  it('an endpoint alone does not turn forwarding on, and OTEL_LOGS_EXPORTER=none keeps it off', async () => {
    const envs: Array<Record<string, string>> = [{ OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: fake.url }, { OTEL_LOGS_EXPORTER: 'none', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: fake.url }];
    for (const env of envs) {
      const { code, stdout, stderr } = await run(env);
      assert.equal(code, 0, stderr);
      assert.equal(stdout.trim(), 'null', 'no forwarding');
    }
    assert.equal(fake.receiver.requests, 0);
  });

  it('a value it does not know fails at start-up, naming the variable and what is allowed', async () => {
    const { code, stderr } = await run({ OTEL_LOGS_EXPORTER: 'otpl' });
    assert.notEqual(code, 0);
    assert.match(stderr, /OTEL_LOGS_EXPORTER = "otpl" is not allowed; allowed: .*otlp.*none/);
  });
});
