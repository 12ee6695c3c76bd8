import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createSessionLogging } from '../../src/index.ts';
import { readSession } from '../../reader/readSession.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/sessionFiles.ts';

describe('show and the reader', () => {
  for (const compression of ['gzip', 'zstd'] as const) {
    it(`show --json reproduces the emitted sequence exactly across rotated ${compression} segments`, async () => {
      const root = tempDir();
      const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', maxFileSize: '16KB', maxSessionSize: '1GB', compression, retention: false });
      const log = logging.open('shown');
      const emitted: Array<[string, string]> = [];
      for (let i = 0; i < 3000; i++) {
        const event = i % 5 === 0 ? 'input' : i % 7 === 0 ? 'command.started' : 'output';
        log.emit(event, `body ${i} ☃`, { i });
        emitted.push([event, `body ${i} ☃`]);
      }
      await logging.shutdown();
      const segments = readdirSync(join(root, 'shown')).filter((n) => /\.\d{6}\.jsonl\./.test(n));
      assert.ok(segments.length >= 6, `${segments.length} compressed segments`);
      const { code, stdout, stderr } = await runCli(['show', 'shown', '--json', '--dir', root]);
      assert.equal(code, 0, stderr);
      const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(lines.map((l) => l.seq), Array.from({ length: 3002 }, (_, i) => i + 1));
      assert.deepEqual(lines.slice(1, -1).map((l) => [l.event, l.body]), emitted);
    });
  }

  it('filters by stream, event, level and time', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', retention: false });
    const log = logging.open('filtered');
    log.emit('output', 'early', {}, { timestamp: Date.UTC(2026, 0, 1) });
    log.emit('input', 'typed', {}, { timestamp: Date.UTC(2026, 0, 2) });
    log.emit('error', 'boom', {}, { timestamp: Date.UTC(2026, 0, 3) });
    await logging.shutdown();
    const events = async (filters: Parameters<typeof readSession>[2]) => {
      const out: string[] = [];
      for await (const { record } of readSession(root, 'filtered', filters)) out.push(record.event);
      return out;
    };
    assert.deepEqual(await events({ stream: 'audit' }), ['input']);
    assert.deepEqual(await events({ events: ['error', 'output'] }), ['output', 'error']);
    assert.deepEqual(await events({ level: 'signals' }), ['session.created', 'error', 'session.terminated']);
    assert.deepEqual(await events({ since: '2026-01-02T00:00:00.000000000Z', until: '2026-01-02T23:59:59.999999999Z' }), ['input']);
    // Bounds in other ISO forms compare as times, not as text ("...00Z" sorts after "...00.000000000Z").
    assert.deepEqual(await events({ since: '2026-01-02T00:00:00Z', until: '2026-01-02T00:00:00Z' }), ['input']);
    assert.deepEqual(await events({ since: '2026-01-02', until: '2026-01-03T00:00:00.000+00:00' }), ['input', 'error']);
    await assert.rejects(events({ since: 'last week' }).then(() => undefined), /since "last week" is not a time; allowed: ISO 8601/);
    const human = await runCli(['show', 'filtered', '--dir', root, '--event', 'error']);
    assert.match(human.stdout, /^\s+4 \d\d:\d\d:\d\d\.\d{3} system error\s+"boom"/m);
  });

  it('rejects bad arguments with exit 2 and a missing session with exit 1', async () => {
    const root = tempDir();
    for (const args of [['show', '../x', '--dir', root], ['show', 'a', '--level', 'loud', '--dir', root], ['show', 'a', '--since', 'yesterday-ish', '--dir', root], ['show', 'a', '--audit', '--system', '--dir', root], ['show']]) {
      const { code, stderr } = await runCli(args);
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
      assert.match(stderr, /allowed|missing required argument/);
    }
    const missing = await runCli(['show', 'nobody', '--dir', root]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no session nobody/);
  });

  it('ls --json lists sessions with their state and record counts', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', maxFileSize: '4KB', compression: 'none', retention: false });
    logging.open('ended-one');
    for (let i = 0; i < 300; i++) logging.get('ended-one')!.emit('output', `line ${i} ${'l'.repeat(30)}`);
    await logging.get('ended-one')!.close();
    const live = logging.open('live-one');
    live.emit('input', 'x');
    await logging.forceFlush();
    const { code, stdout } = await runCli(['ls', '--json', '--dir', root]);
    assert.equal(code, 0);
    const sessions = Object.fromEntries(stdout.trim().split('\n').map((l) => JSON.parse(l)).map((s) => [s.id, s]));
    assert.equal(sessions['ended-one'].state, 'ended');
    assert.equal(sessions['ended-one'].records, 302);
    assert.ok(sessions['ended-one'].segments > 0);
    assert.equal(sessions['live-one'].state, 'live');
    assert.equal(sessions['live-one'].records, 2);
    await logging.shutdown();
  });
});
