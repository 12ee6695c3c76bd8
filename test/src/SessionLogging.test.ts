import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { createSessionLogging, EVENT_CATALOGUE, type Level } from '../../src/index.ts';
import { SessionFileProcessor, SessionLevelProcessor } from '../../processors/index.ts';
import { assertContiguous, readMetadata, sessionLines, streamLines, tempDir } from '../support/sessionFiles.ts';

describe('SessionLogging facade', () => {
  it('creates the directory (0700), files (0600) and metadata.json', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {} });
    const log = logging.open('meta-1', { level: 'prompts', metadata: { command: 'bash', pid: 42 } });
    log.emit('command.started', 'ls');
    log.emit('process.started', 'bash');
    await logging.shutdown();
    const dir = join(root, 'meta-1');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    for (const name of ['metadata.json', 'system.jsonl', 'audit.jsonl']) assert.equal(statSync(join(dir, name)).mode & 0o777, 0o600, name);
    const meta = readMetadata(root, 'meta-1');
    assert.equal(meta.session_id, 'meta-1');
    assert.deepEqual(meta.attributes, { command: 'bash', pid: 42 });
    assert.equal(meta.level, 'prompts');
    assert.match(meta.created_at, /^\d{4}-/);
    assert.match(meta.ended_at, /^\d{4}-/);
    assert.equal(meta.last_seq, 4);
  });

  it('writes entries in emit order with seq contiguous across both files', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {} });
    const log = logging.open('order', { level: 'full' });
    const events = ['input', 'output', 'command.started', 'output', 'client.attached', 'error', 'input'];
    for (let i = 0; i < 500; i++) log.emit(events[i % events.length]!, `n${i}`);
    await log.close();
    const lines = sessionLines(root, 'order');
    assertContiguous(lines);
    const bodies = lines.filter((l) => typeof l.body === 'string' && (l.body as string).startsWith('n')).map((l) => l.body);
    assert.deepEqual(bodies, Array.from({ length: 500 }, (_, i) => `n${i}`));
    for (let i = 1; i < lines.length; i++) assert.ok(lines[i]!.ts >= lines[i - 1]!.ts, `ts goes back at seq ${lines[i]!.seq}`);
    await logging.shutdown();
  });

  it('puts each catalogue event in exactly one file, by its category', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {} });
    const log = logging.open('split', { level: 'full' });
    for (const event of EVENT_CATALOGUE.keys()) log.emit(event, `only ${event}`);
    await logging.shutdown();
    const dir = join(root, 'split');
    const audit = streamLines(dir, 'audit').filter((l) => l.body === `only ${l.event}`);
    const system = streamLines(dir, 'system').filter((l) => l.body === `only ${l.event}`);
    for (const [event, spec] of EVENT_CATALOGUE) {
      const inAudit = audit.filter((l) => l.event === event).length;
      const inSystem = system.filter((l) => l.event === event).length;
      assert.deepEqual([inAudit, inSystem], spec.category === 'audit' ? [1, 0] : [0, 1], event);
    }
    assert.ok(audit.every((l) => l.category === 'audit') && system.every((l) => l.category === 'system'));
  });

  it('changes the level atomically under a concurrent burst: nothing lost or mis-filtered', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {} });
    const log = logging.open('burst', { level: 'signals' });
    const perWorker = 2000;
    const expectedWritten: number[] = [];
    let n = 0;
    const levelsSeen: Level[] = [];
    const worker = async (w: number) => {
      for (let i = 0; i < perWorker; i++) {
        const id = n++;
        // The level in force at the moment of emit decides; record what we expect.
        if (log.emit('output', `o${id}`, { w })) expectedWritten.push(id);
        else assert.ok(!log.isEnabled('output'));
        if (i % 97 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const switcher = async () => {
      for (let k = 0; k < 40; k++) {
        await new Promise((resolve) => setImmediate(resolve));
        const level = k % 2 === 0 ? 'full' : 'prompts';
        log.setLevel(level, { by: `switch-${k}` });
        levelsSeen.push(level);
      }
    };
    await Promise.all([worker(0), worker(1), worker(2), worker(3), switcher()]);
    await logging.shutdown();
    const lines = sessionLines(root, 'burst');
    assertContiguous(lines);
    const outputs = lines.filter((l) => l.event === 'output').map((l) => Number((l.body as string).slice(1)));
    assert.deepEqual(outputs, expectedWritten, 'exactly the outputs emitted while the level was full');
    assert.ok(expectedWritten.length > 0 && expectedWritten.length < 4 * perWorker);
    // Every output line sits between a change to full and the next change away from it.
    let current = 'signals';
    for (const line of lines) {
      if (line.event === 'log_level.changed') current = (line.attrs as { to: string }).to;
      if (line.event === 'output') assert.equal(current, 'full', `output at seq ${line.seq} while ${current}`);
    }
    const changes = lines.filter((l) => l.event === 'log_level.changed');
    assert.equal(changes.length, 40);
    assert.equal(readMetadata(root, 'burst').level_history.length, 41);
  });

  it('continues seq after reopening a session, with a torn last line repaired', async () => {
    const root = tempDir();
    let logging = createSessionLogging({ dir: root, env: {} });
    let log = logging.open('again', { level: 'full' });
    for (let i = 0; i < 10; i++) log.emit('input', `a${i}`);
    await logging.shutdown();
    const { appendFileSync } = await import('node:fs');
    appendFileSync(join(root, 'again', 'audit.jsonl'), '{"ts":"2026-11-25T07:0');
    logging = createSessionLogging({ dir: root, env: {} });
    log = logging.open('again', { level: 'full' });
    for (let i = 0; i < 10; i++) log.emit('input', `b${i}`);
    await logging.shutdown();
    const lines = sessionLines(root, 'again');
    assertContiguous(lines);
    assert.deepEqual(lines.filter((l) => l.event === 'input').map((l) => l.body), [...Array.from({ length: 10 }, (_, i) => `a${i}`), ...Array.from({ length: 10 }, (_, i) => `b${i}`)]);
    const meta = readMetadata(root, 'again');
    assert.deepEqual(meta.repairs.map((r: { file: string; bytes: number }) => [r.file, r.bytes]), [['audit.jsonl', 22]]);
  });

  it('writes what is buffered when the process exits without shutdown()', async () => {
    const root = tempDir();
    const { execFileSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    execFileSync(process.execPath, [fileURLToPath(new URL('../fixtures/exitWithoutShutdown.ts', import.meta.url)), root]);
    const lines = sessionLines(root, 'exit');
    assertContiguous(lines);
    assert.equal(lines.filter((l) => l.event === 'input' || l.event === 'output').length, 5000);
  });

  it('redacts bodies of input, output and command records before any downstream sees them', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, redact: ['password=\\S+', 'sk-[a-z0-9]+'] });
    const log = logging.open('red', { level: 'full' });
    log.emit('input', 'login password=hunter2 now');
    log.emit('output', 'key sk-abc123 ok');
    log.emit('command.started', 'export password=x');
    log.emit('process.started', 'password=kept-not-user-data');
    await logging.shutdown();
    const bodies = sessionLines(root, 'red').map((l) => l.body);
    assert.ok(bodies.includes('login [REDACTED] now') && bodies.includes('key [REDACTED] ok') && bodies.includes('export [REDACTED]'));
    assert.ok(bodies.includes('password=kept-not-user-data'));
  });

  it('counts every event the level leaves out, in the facade and in the processor', async () => {
    const logging = createSessionLogging({ dir: tempDir(), env: {} });
    const log = logging.open('counted', { level: 'signals' });
    for (let i = 0; i < 10; i++) log.emit('output', 'x');
    logging.provider.getLogger('plain').emit({ eventName: 'input', body: 'y', attributes: { 'session.id': 'counted' } });
    assert.equal(logging.stats().levels.filtered, 11);
    await logging.shutdown();
  });

  it('throws a clear error for an unknown event without a tier', async () => {
    const logging = createSessionLogging({ dir: tempDir(), env: {} });
    const log = logging.open('unk');
    assert.throws(() => log.emit('made.up', 'x'), /unknown event "made.up"; give options.tier/);
    assert.throws(() => log.setLevel('loud' as Level), /unknown level "loud"/);
    await logging.shutdown();
  });

  it('takes the level from CCMUX_SESSION_LOG when open() gives none', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: { CCMUX_SESSION_LOG: 'spawns,loud=full' } });
    assert.equal(logging.open('quiet').level, 'spawns');
    assert.equal(logging.open('loud').level, 'full');
    assert.equal(logging.open('given', { level: 'prompts' }).level, 'prompts');
    await logging.shutdown();
  });
});

describe('plain OTel LoggerProvider + SessionLevelProcessor', () => {
  it('filters, splits and numbers records emitted through the plain OTel API', async () => {
    const root = tempDir();
    const files = new SessionFileProcessor({ dir: root });
    const levels = new SessionLevelProcessor({ processors: [files], levelFor: (id) => (id === 'loud' ? 'full' : 'signals') });
    const provider = new LoggerProvider({ processors: [levels] });
    const logger = provider.getLogger('my-server');
    for (const id of ['loud', 'quiet']) {
      for (const eventName of ['session.created', 'output', 'input', 'error', 'command.started']) {
        logger.emit({ eventName, body: `${eventName}!`, attributes: { 'session.id': id } });
      }
    }
    logger.emit({ eventName: 'output', body: 'no session' });
    logger.emit({ eventName: 'output', body: 'bad id', attributes: { 'session.id': '../etc' } });
    await provider.shutdown();
    assert.deepEqual(sessionLines(root, 'loud').map((l) => l.event), ['session.created', 'output', 'input', 'error', 'command.started']);
    assert.deepEqual(sessionLines(root, 'quiet').map((l) => l.event), ['session.created', 'error']);
    assert.deepEqual(streamLines(join(root, 'loud'), 'audit').map((l) => l.event), ['input', 'command.started']);
    assertContiguous(sessionLines(root, 'quiet'));
    assert.deepEqual(levels.stats, { passed: 7, filtered: 3, unsessioned: 1, rejected: 1, late: 0, errors: 0 });
  });

  it('refuses a session directory that is a symbolic link', async () => {
    const root = tempDir();
    const { mkdirSync, symlinkSync } = await import('node:fs');
    mkdirSync(join(root, 'elsewhere'));
    symlinkSync(join(root, 'elsewhere'), join(root, 'linked'));
    const logging = createSessionLogging({ dir: root, env: {} });
    assert.throws(() => logging.open('linked'), /is a symbolic link; refusing/);
    await logging.shutdown();
  });
});
