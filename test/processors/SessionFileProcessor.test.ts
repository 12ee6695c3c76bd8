import assert from 'node:assert/strict';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SessionFileProcessor } from '../../processors/SessionFileProcessor.ts';
import { SessionLevelProcessor } from '../../processors/SessionLevelProcessor.ts';
import { SessionStore } from '../../storage/SessionStore.ts';
import { assertContiguous, sessionLines, tempDir } from '../support/sessionFiles.ts';

describe('SessionFileProcessor', () => {
  it('writes each passing record to its session files with the seq the exporter beside it saw', async () => {
    const dir = tempDir();
    const exporter = new InMemoryLogRecordExporter();
    const files = new SessionFileProcessor({ dir });
    const levels = new SessionLevelProcessor({ processors: [files, new SimpleLogRecordProcessor({ exporter })], defaultLevel: 'prompts' });
    const provider = new LoggerProvider({ processors: [levels] });
    const logger = provider.getLogger('files');
    for (let i = 0; i < 6; i++) {
      logger.emit({ eventName: i % 2 === 0 ? 'command.started' : 'output', body: `r${i}`, attributes: { 'session.id': i < 3 ? 'a' : 'b', i } });
    }
    await provider.forceFlush();
    const forwarded = exporter.getFinishedLogRecords().map((r) => [r.attributes['session.id'], r.attributes['session.log.seq'], r.body]);
    await provider.shutdown();
    const onDisk = ['a', 'b'].flatMap((id) => sessionLines(dir, id).map((l) => [l.session_id, l.seq, l.body]));
    assert.deepEqual(onDisk, forwarded.sort((x, y) => String(x[0]).localeCompare(String(y[0]))));
    assert.deepEqual(onDisk, [['a', 1, 'r0'], ['a', 2, 'r2'], ['b', 1, 'r4']]);
    const line = sessionLines(dir, 'a')[0]!;
    assert.deepEqual([line.event, line.category, line.tier, line.attrs], ['command.started', 'audit', 'prompts', { i: 0 }]);
  });

  it('numbers records itself when it is used without a level processor', async () => {
    const dir = tempDir();
    const provider = new LoggerProvider({ processors: [new SessionFileProcessor({ dir })] });
    const logger = provider.getLogger('files');
    for (let i = 0; i < 5; i++) logger.emit({ eventName: 'output', body: `r${i}`, attributes: { 'session.id': 'alone' } });
    await provider.shutdown();
    const lines = sessionLines(dir, 'alone');
    assertContiguous(lines);
    assert.equal(lines.length, 5);
  });

  it('refuses options it cannot use, naming the option, the value and what is allowed', () => {
    const dir = tempDir();
    assert.throws(() => new SessionFileProcessor({ dir, maxFileSize: -5 }), { name: 'ConfigError', message: /maxFileSize = -5 is not a size; allowed: a positive byte count/ });
    assert.throws(() => new SessionFileProcessor({ dir, compression: 'bogus' as never }), { message: /compression = "bogus" is not allowed; allowed: gzip, zstd, none/ });
    assert.throws(() => new SessionFileProcessor({ dir: '' }), /dir = "" is not allowed/);
    assert.throws(() => new SessionFileProcessor({ dir, writeDelayMs: 5000 }), { name: 'ConfigError', message: /writeDelayMs = 5000 is not allowed; allowed: a number of milliseconds from 0 to 1000/ });
    assert.throws(() => new SessionFileProcessor({ store: {} as SessionStore }), /options.store must be a SessionStore/);
    assert.throws(() => new SessionFileProcessor(null as never), /options must be \{ store \} or the options of a SessionStore/);
  });

  it('shuts down a store it made, but only drains a store it was given', async () => {
    const own = new SessionFileProcessor({ dir: tempDir() });
    await own.shutdown();
    assert.throws(() => own.store.open('later'), { code: 'ESTORECLOSED' });
    const store = new SessionStore({ dir: tempDir() });
    const given = new SessionFileProcessor({ store });
    await given.shutdown();
    assert.doesNotThrow(() => store.open('later'));
    await store.shutdown();
  });

  it('forceFlush resolves once every record handed to it is on disk', async () => {
    const dir = tempDir();
    const files = new SessionFileProcessor({ dir });
    const provider = new LoggerProvider({ processors: [files] });
    const logger = provider.getLogger('files');
    for (let i = 0; i < 100; i++) logger.emit({ eventName: 'output', body: `r${i}`, attributes: { 'session.id': 'flushed' } });
    await files.forceFlush();
    assert.equal(sessionLines(dir, 'flushed').length, 100);
    await provider.shutdown();
  });
});
