import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { type AnyValue, type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { InMemoryLogRecordExporter, LoggerProvider, type LogRecordProcessor, type ReadWriteLogRecord, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SessionFileProcessor } from '../../processors/SessionFileProcessor.ts';
import { SessionLevelProcessor, type SessionLevelProcessorOptions } from '../../processors/SessionLevelProcessor.ts';
import { SessionStore } from '../../storage/SessionStore.ts';
import { readMetadata, sessionLines, tempDir } from '../support/sessionFiles.ts';

/**
 * A real LoggerProvider whose one processor is a SessionLevelProcessor, with an in-memory
 * exporter downstream (through SimpleLogRecordProcessor), as the OTel JS packages test theirs.
 */
function pipeline(options: Partial<SessionLevelProcessorOptions> & { extra?: LogRecordProcessor[] } = {}) {
  const exporter = new InMemoryLogRecordExporter();
  const { extra = [], ...rest } = options;
  const levels = new SessionLevelProcessor({ processors: [new SimpleLogRecordProcessor({ exporter }), ...extra], ...rest });
  const provider = new LoggerProvider({ processors: [levels], resource: resourceFromAttributes({ 'service.name': 'level-test' }) });
  const logger = provider.getLogger('level-test');
  const emit = (sessionId: string | undefined, eventName: string, body: AnyValue = eventName, attributes: Record<string, AnyValue> = {}) =>
    logger.emit({ eventName, body, attributes: sessionId === undefined ? attributes : { 'session.id': sessionId, ...attributes } });
  /** What reached the exporter: event, seq, category and tier of each record. */
  const seen = () => exporter.getFinishedLogRecords().map((r) => ({
    session: r.attributes['session.id'], event: r.eventName, seq: r.attributes['session.log.seq'], category: r.attributes['session.log.category'], tier: r.attributes['session.log.tier'], body: r.body,
  }));
  return { exporter, levels, provider, logger, emit, seen };
}

/** diag messages at `level` while `run` runs. */
async function diagMessages(level: 'warn' | 'error', run: () => unknown): Promise<string[]> {
  const messages: string[] = [];
  const keep = (message: string) => messages.push(message);
  const logger: DiagLogger = { error: level === 'error' ? keep : () => {}, warn: level === 'warn' ? keep : () => {}, info: () => {}, debug: () => {}, verbose: () => {} };
  diag.setLogger(logger, DiagLogLevel.WARN);
  try {
    await run();
  } finally {
    diag.disable();
  }
  return messages;
}

const warnings = (run: () => unknown) => diagMessages('warn', run);
const diagErrors = (run: () => unknown) => diagMessages('error', run);

describe('SessionLevelProcessor', () => {
  it('passes catalogue events at or below the session level and counts the rest as filtered', async () => {
    const p = pipeline(); // default level: signals
    for (const event of ['session.created', 'process.started', 'error', 'prompt.detected', 'command.started', 'output', 'input']) p.emit('s1', event);
    await p.provider.forceFlush();
    assert.deepEqual(p.seen().map((r) => r.event), ['session.created', 'process.started', 'error']);
    assert.deepEqual([p.levels.stats.passed, p.levels.stats.filtered], [3, 4]);
  });

  it('treats an event outside the catalogue as full, unless the record carries its tier', async () => {
    const p = pipeline({ levelFor: (id) => (id === 'all' ? 'full' : 'signals') });
    p.emit('some', 'my.event');
    p.emit('some', 'my.event', 'tiered', { 'session.log.tier': 'signals' });
    p.emit('all', 'my.event');
    await p.provider.forceFlush();
    assert.deepEqual(p.seen().map((r) => [r.session, r.body, r.tier, r.category]), [['some', 'tiered', 'signals', 'system'], ['all', 'my.event', 'full', 'system']]);
    assert.equal(p.levels.stats.filtered, 1);
  });

  it('sets tier and category from the catalogue, keeping a category the record brings', async () => {
    const p = pipeline({ defaultLevel: 'full' });
    p.emit('s', 'input');
    p.emit('s', 'output');
    p.emit('s', 'output', 'typed by a user', { 'session.log.category': 'audit' });
    await p.provider.forceFlush();
    assert.deepEqual(p.seen().map((r) => [r.event, r.category, r.tier]), [['input', 'audit', 'full'], ['output', 'system', 'full'], ['output', 'audit', 'full']]);
  });

  it('numbers records per session in memory when no store is given', async () => {
    const p = pipeline({ defaultLevel: 'full' });
    for (const id of ['a', 'b', 'a', 'a', 'b']) p.emit(id, 'output');
    await p.provider.forceFlush();
    assert.deepEqual(p.seen().map((r) => [r.session, r.seq]), [['a', 1], ['b', 1], ['a', 2], ['a', 3], ['b', 2]]);
  });

  it('takes seq from the store when given, the same seq the files hold, continuing across a reopen', async () => {
    const dir = tempDir();
    const seqs: unknown[] = [];
    for (let run = 0; run < 2; run++) {
      const store = new SessionStore({ dir });
      const p = pipeline({ store, defaultLevel: 'full', extra: [new SessionFileProcessor({ store })] });
      for (let i = 0; i < 3; i++) p.emit('kept', 'output', `run ${run} record ${i}`);
      await p.provider.forceFlush();
      seqs.push(...p.seen().map((r) => r.seq));
      await p.provider.shutdown();
      await store.shutdown();
    }
    assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(sessionLines(dir, 'kept').map((l) => [l.seq, l.body]), [1, 2, 3, 4, 5, 6].map((seq) => [seq, `run ${seq > 3 ? 1 : 0} record ${(seq - 1) % 3}`]));
  });

  it('setLevel applies at once and writes log_level.changed down the same path, which the exporter sees', async () => {
    const p = pipeline({ defaultLevel: 'spawns' });
    p.emit('s', 'session.created');
    p.emit('s', 'output', 'filtered');
    const result = p.levels.setLevel('s', 'full', 'api');
    p.emit('s', 'output', 'passes');
    await p.provider.forceFlush();
    assert.deepEqual(result, { previous: 'spawns', level: 'full', seq: 2 });
    assert.deepEqual(p.seen().map((r) => [r.event, r.seq, r.category]), [['session.created', 1, 'system'], ['log_level.changed', 2, 'audit'], ['output', 3, 'system']]);
    const change = p.exporter.getFinishedLogRecords()[1]!;
    assert.deepEqual([change.attributes.from, change.attributes.to, change.attributes.by, change.body], ['spawns', 'full', 'api', 'log level spawns -> full']);
    assert.equal(change.resource.attributes['service.name'], 'level-test', 'it carries the resource of the pipeline');
  });

  it('records log_level.changed even when the new level is the lowest', async () => {
    const p = pipeline({ defaultLevel: 'full' });
    p.levels.open('s');
    p.levels.setLevel('s', 'spawns', 'user');
    await p.provider.forceFlush();
    assert.deepEqual(p.seen().map((r) => [r.event, r.tier]), [['log_level.changed', 'spawns']]);
  });

  it('refuses a level it does not know and a session it has not opened, naming what is allowed', () => {
    const p = pipeline();
    p.levels.open('s');
    assert.throws(() => p.levels.setLevel('s', 'loud' as never), { name: 'RangeError', message: /unknown level "loud"; allowed: spawns, signals, prompts, full/ });
    assert.throws(() => p.levels.setLevel('nobody', 'full'), /session nobody is not open/);
    assert.throws(() => new SessionLevelProcessor({ processors: [], defaultLevel: 'verbose' as never }), /defaultLevel: unknown level "verbose"/);
  });

  it('counts records after shutdown as late; onEmit does not throw, open is refused', async () => {
    const p = pipeline({ defaultLevel: 'full' });
    p.emit('s', 'output');
    await p.levels.shutdown();
    assert.doesNotThrow(() => p.emit('s', 'output'));
    assert.doesNotThrow(() => p.emit('t', 'output'));
    assert.equal(p.levels.stats.late, 2);
    assert.throws(() => p.levels.open('u'), /cannot be opened: the processor was shut down/);
  });

  it('routes records without session.id to the unsessioned processors only', async () => {
    const other = new InMemoryLogRecordExporter();
    const p = pipeline({ defaultLevel: 'full', unsessioned: [new SimpleLogRecordProcessor({ exporter: other })] });
    p.emit(undefined, 'output', 'no session');
    p.emit('s', 'output', 'a session');
    await p.provider.forceFlush();
    assert.deepEqual(other.getFinishedLogRecords().map((r) => r.body), ['no session']);
    assert.deepEqual(p.seen().map((r) => r.body), ['a session']);
    assert.equal(p.levels.stats.unsessioned, 1);
  });

  it('counts every record with an invalid session.id as rejected and reports each id once', async () => {
    const p = pipeline({ defaultLevel: 'full' });
    const messages = await warnings(async () => {
      for (let i = 0; i < 3; i++) p.emit('bad id!', 'output');
      p.emit('../escape', 'output');
      await p.provider.forceFlush();
    });
    assert.equal(p.levels.stats.rejected, 4);
    assert.equal(messages.length, 2, messages.join('\n'));
    assert.match(messages[0]!, /"bad id!" not written: allowed: 1-128 characters/);
    assert.deepEqual(p.seen(), []);
  });

  it('counts a record of a session the store refuses (a link in the way) as rejected; onEmit does not throw', async () => {
    const dir = tempDir();
    const outside = tempDir();
    mkdirSync(dir, { recursive: true });
    symlinkSync(outside, join(dir, 'linked'));
    const store = new SessionStore({ dir });
    const p = pipeline({ store, defaultLevel: 'full', extra: [new SessionFileProcessor({ store })] });
    await warnings(() => assert.doesNotThrow(() => p.emit('linked', 'output')));
    assert.equal(p.levels.stats.rejected, 1);
    await p.provider.shutdown();
    await store.shutdown();
  });

  it('redacts the bodies of input, output and command records, not of other events', async () => {
    const p = pipeline({ defaultLevel: 'full', redact: ['secret-\\w+'] });
    p.emit('s', 'output', 'token secret-abc here');
    p.emit('s', 'command.started', 'export KEY=secret-xyz');
    p.emit('s', 'error', 'secret-abc failed');
    await p.provider.forceFlush();
    assert.deepEqual(p.seen().map((r) => r.body), ['token [REDACTED] here', 'export KEY=[REDACTED]', 'secret-abc failed']);
  });

  it('copies the event name into event.name when asked (for backends that drop EventName)', async () => {
    const p = pipeline({ defaultLevel: 'full', eventNameAttribute: true });
    p.emit('s', 'output');
    await p.provider.forceFlush();
    assert.equal(p.exporter.getFinishedLogRecords()[0]!.attributes['event.name'], 'output');
  });

  it('never throws from emit for a body that is not JSON (a cycle, a BigInt): the line holds it as text', async () => {
    const dir = tempDir();
    const store = new SessionStore({ dir, onError: () => {} });
    const p = pipeline({ store, defaultLevel: 'full', extra: [new SessionFileProcessor({ store })] });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    p.emit('s', 'output', 'first');
    assert.doesNotThrow(() => p.emit('s', 'output', cyclic as AnyValue));
    assert.doesNotThrow(() => p.emit('s', 'output', { n: 10n } as unknown as AnyValue));
    p.emit('s', 'output', 'last');
    await p.provider.shutdown();
    await store.shutdown();
    assert.deepEqual(sessionLines(dir, 's').map((l) => [l.seq, l.body]), [[1, 'first'], [2, '[object Object]'], [3, { n: '10' }], [4, 'last']]);
    assert.deepEqual(readMetadata(dir, 's').drops, []);
  });

  it('counts a downstream processor that throws, and keeps its exception from the caller of emit', async () => {
    const throwing: LogRecordProcessor = { onEmit: () => { throw new Error('downstream broke'); }, forceFlush: async () => {}, shutdown: async () => {} };
    const p = pipeline({ defaultLevel: 'full', extra: [throwing] });
    const errors = await diagErrors(() => {
      assert.doesNotThrow(() => p.emit('s', 'output'));
      assert.doesNotThrow(() => p.emit('s', 'output'));
    });
    assert.equal(p.levels.stats.errors, 2);
    assert.equal(errors.length, 1, 'reported once');
  });

  it('passes the same record object downstream: processors see what the level processor set', async () => {
    const bodies: ReadWriteLogRecord[] = [];
    const spy: LogRecordProcessor = { onEmit: (record) => bodies.push(record), forceFlush: async () => {}, shutdown: async () => {} };
    const p = pipeline({ defaultLevel: 'full', extra: [spy] });
    p.emit('s', 'output');
    assert.equal(bodies.length, 1);
    assert.equal(bodies[0]!.attributes['session.log.seq'], 1);
  });
});
