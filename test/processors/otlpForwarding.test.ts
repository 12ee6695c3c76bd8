import assert from 'node:assert/strict';
import { createSessionLogging } from '../../src/index.ts';
import { OtlpReceiver } from '../support/otlpReceiver.ts';
import { assertContiguous, sessionLines, tempDir } from '../support/sessionFiles.ts';

describe('OTLP forwarding behind the level filter', () => {
  let receiver: OtlpReceiver;
  let url: string;
  beforeEach(async () => {
    receiver = new OtlpReceiver();
    url = await receiver.start();
  });
  afterEach(() => receiver.stop());

  it('forwards exactly the records that pass, with session.id, seq, category, tier, event, body, severity', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, otlp: { enabled: true, endpoint: url, serviceName: 'fwd-test' }, forwarding: { scheduledDelayMillis: 20 } });
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
      const forwarded = receiver.records.filter((r) => r.sessionId === id).sort((x, y) => x.seq - y.seq);
      assert.deepEqual(forwarded.map((r) => [r.seq, r.eventName, r.body, r.category, r.tier, r.severityText]), onDisk.map((l) => [l.seq, l.event, l.body, l.category, l.tier, l.severity]), id);
      assertContiguous(onDisk);
    }
    assert.equal(receiver.records.filter((r) => r.eventName === 'output').length, 500);
    const record = receiver.records.find((r) => r.eventName === 'error')!;
    assert.equal(record.resource['service.name'], 'fwd-test');
    assert.ok(record.resource['host.name'] && record.resource['service.instance.id']);
    assert.match(record.timeUnixNano, /^\d{19}$/);
    const stats = logging.stats().forwarding!;
    assert.equal(stats.forwarded, receiver.records.length);
    assert.equal(stats.notForwarded, 0);
  });

  it('a failing Collector: files complete, every record not forwarded is counted, one report per outage, recovers', async () => {
    const root = tempDir();
    const outages: Array<string | null> = [];
    const logging = createSessionLogging({
      dir: root, env: {}, defaultLevel: 'full', otlp: { enabled: true, endpoint: url },
      forwarding: { scheduledDelayMillis: 20, maxBatchSize: 100, onOutage: (e) => outages.push(e ? e.message : null) },
    });
    const log = logging.open('outage');
    receiver.mode = 'fail';
    for (let i = 0; i < 1000; i++) log.emit('output', `o${i}`);
    await logging.forceFlush();
    receiver.mode = 'ok';
    for (let i = 1000; i < 2000; i++) log.emit('output', `o${i}`);
    await logging.shutdown();
    const onDisk = sessionLines(root, 'outage');
    assertContiguous(onDisk);
    assert.equal(onDisk.filter((l) => l.event === 'output').length, 2000);
    const stats = logging.stats().forwarding!;
    assert.equal(stats.forwarded + stats.notForwarded, onDisk.length, 'every record forwarded or counted');
    assert.equal(stats.forwarded, receiver.records.length);
    assert.ok(stats.notForwarded >= 1000);
    assert.equal(outages.filter((o) => o !== null).length, 1);
    assert.deepEqual(outages.at(-1), null);
  });

  it('a Collector that never answers does not slow the files and keeps memory bounded', async () => {
    const root = tempDir();
    const logging = createSessionLogging({
      dir: root, env: {}, defaultLevel: 'full', otlp: { enabled: true, endpoint: url },
      forwarding: { scheduledDelayMillis: 20, maxQueueSize: 2000, maxBatchSize: 500, exportTimeoutMillis: 300, onOutage: () => {} },
    });
    receiver.mode = 'hang';
    const log = logging.open('slow');
    for (let i = 0; i < 20_000; i++) log.emit('output', `o${i}`);
    await logging.files!.forceFlush(); // the files do not wait for forwarding
    const onDisk = sessionLines(root, 'slow');
    assert.equal(onDisk.filter((l) => l.event === 'output').length, 20_000);
    const stats = logging.stats().forwarding!;
    assert.ok(stats.queued <= 2000, `queue ${stats.queued}`);
    assert.ok(stats.notForwarded >= 20_000 - 2000 - 500, `${stats.notForwarded} counted`);
    await logging.shutdown();
    const final = logging.stats().forwarding!;
    assert.equal(final.forwarded + final.notForwarded, sessionLines(root, 'slow').length);
  });
});
