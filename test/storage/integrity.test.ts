// The reproductions of issue 11, kept as tests: each failed on the storage before the rewrite.
// Finding 2 (acknowledged input lost after SIGKILL, its seq reused) is test/storage/crashLoop.test.ts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { createSessionLogging, verifySession } from '../../src/index.ts';
import { SessionLevelProcessor } from '../../processors/index.ts';
import { SessionJsonlExporter } from '../../exporters/index.ts';
import { FaultyFileSystem } from '../support/FaultyFileSystem.ts';
import { type Line, readMetadata, sessionLines, streamLines, tempDir } from '../support/sessionFiles.ts';

const twoWriters = fileURLToPath(new URL('../fixtures/holdSession.ts', import.meta.url));

function seqCounts(lines: Line[]): { duplicates: number[]; seqs: Set<number> } {
  const seqs = new Set<number>();
  const duplicates: number[] = [];
  for (const line of lines) {
    if (seqs.has(line.seq)) duplicates.push(line.seq);
    seqs.add(line.seq);
  }
  return { duplicates, seqs };
}

describe('integrity under stress (issue 11 reproductions)', function () {
  this.timeout(120_000);

  it('1. writes every record exactly once through rotations under a burst with backpressure and file checks', async () => {
    const root = tempDir();
    // A check of the active file before every chunk and a small memory bound make the
    // synchronous (backpressure) path and the asynchronous path meet at every rotation.
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', maxFileSize: '256KB', maxSessionSize: '1GB', checkIntervalMs: 0, maxBufferedBytes: 256 * 1024, retention: false });
    const log = logging.open('burst');
    const total = 120_000;
    for (let i = 1; i <= total; i++) {
      log.emit(i % 10 === 0 ? 'input' : 'output', `record ${i} ${'x'.repeat(i % 97)}`);
      if (i % 5000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await logging.shutdown();
    const lines = sessionLines(root, 'burst');
    const { duplicates } = seqCounts(lines);
    assert.deepEqual(duplicates.slice(0, 5), [], `${duplicates.length} duplicate seqs`);
    assert.equal(lines.length, total + 2, 'session.created + records + session.terminated');
    assert.deepEqual(await verifySession(root, 'burst'), []);
  });

  it('3. never writes through a planted symbolic link, and refuses a linked session directory with a clear error', async () => {
    const root = tempDir();
    const elsewhere = tempDir();
    const victim = join(elsewhere, 'victim');
    writeFileSync(victim, 'precious line one\nprecious line two');
    mkdirSync(join(root, 'planted'), { recursive: true, mode: 0o700 });
    symlinkSync(victim, join(root, 'planted', 'system.jsonl'));
    symlinkSync(join(elsewhere, 'dangling'), join(root, 'planted', 'audit.jsonl'));
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', retention: false, onError: () => {} });
    assert.throws(() => logging.open('planted'), (error: NodeJS.ErrnoException) => error.code === 'ESESSIONLINK' && /planted.*symbolic link/.test(error.message));
    mkdirSync(join(elsewhere, 'target'));
    symlinkSync(join(elsewhere, 'target'), join(root, 'linked'));
    assert.throws(() => logging.open('linked'), (error: NodeJS.ErrnoException) => error.code === 'ESESSIONLINK' && /linked.*symbolic link/.test(error.message));
    await logging.shutdown();
    assert.equal(readFileSync(victim, 'utf8'), 'precious line one\nprecious line two', 'the victim is untouched');
    assert.ok(!existsSync(join(elsewhere, 'dangling')), 'nothing created through the dangling link');
    assert.deepEqual(readdirSync(join(elsewhere, 'target')), []);
  });

  it('3. a group- or world-writable log directory is fixed to 0700 and the fix reported', async () => {
    const root = tempDir();
    chmodSync(root, 0o777);
    const reports: string[] = [];
    const logging = createSessionLogging({ dir: root, env: {}, retention: false, onError: (_id, what, error) => reports.push(`${what}: ${error?.message}`) });
    logging.open('s').emit('error', 'x');
    await logging.shutdown();
    assert.equal(statSync(root).mode & 0o777, 0o700);
    assert.ok(reports.some((r) => /0777.*0700/.test(r)), JSON.stringify(reports));
  });

  it('4. a second process cannot open a session another process has open; a stale lock is taken over', async () => {
    const root = tempDir();
    const holder = spawn(process.execPath, [twoWriters, root, 'shared'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const ready = await new Promise<string>((resolve) => holder.stdout.setEncoding('utf8').once('data', resolve));
    assert.match(ready, /open/);
    const logging = createSessionLogging({ dir: root, env: {}, retention: false });
    assert.throws(() => logging.open('shared'), (error: NodeJS.ErrnoException) => error.code === 'ESESSIONLOCKED' && error.message.includes(`session shared is open in process ${holder.pid}`));
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    // The holder died without closing: its lock is stale and is taken over.
    const log = logging.open('shared');
    log.emit('error', 'second writer');
    await logging.shutdown();
    const lines = sessionLines(root, 'shared');
    const { duplicates } = seqCounts(lines);
    assert.deepEqual(duplicates, []);
    assert.ok(lines.some((l) => l.body === 'second writer'));
  });

  it('5. continues seq across reopen behind a BatchLogRecordProcessor, and metadata.json has the real level', async () => {
    const root = tempDir();
    for (let run = 0; run < 2; run++) {
      const exporter = new SessionJsonlExporter({ dir: root });
      const levels = new SessionLevelProcessor({ store: exporter.store, processors: [new BatchLogRecordProcessor({ exporter })], defaultLevel: 'prompts' });
      const provider = new LoggerProvider({ processors: [levels] });
      const logger = provider.getLogger('t');
      for (let i = 0; i < 3; i++) logger.emit({ eventName: 'command.started', body: `run ${run} cmd ${i}`, attributes: { 'session.id': 'wrapped' } });
      await provider.shutdown();
    }
    assert.deepEqual(sessionLines(root, 'wrapped').map((l) => l.seq), [1, 2, 3, 4, 5, 6]);
    assert.equal(readMetadata(root, 'wrapped').level, 'prompts');
  });

  it('5. without the store given, the store still numbers: seq never restarts', async () => {
    const root = tempDir();
    for (let run = 0; run < 2; run++) {
      const levels = new SessionLevelProcessor({ processors: [new BatchLogRecordProcessor({ exporter: new SessionJsonlExporter({ dir: root }) })], defaultLevel: 'prompts' });
      const provider = new LoggerProvider({ processors: [levels] });
      for (let i = 0; i < 3; i++) provider.getLogger('t').emit({ eventName: 'command.started', body: `run ${run} cmd ${i}`, attributes: { 'session.id': 'wrapped' } });
      await provider.shutdown();
    }
    assert.deepEqual(sessionLines(root, 'wrapped').map((l) => l.seq), [1, 2, 3, 4, 5, 6]);
  });

  it('6. disk full during rotation: no temp files left, no empty segments, compression retried, cap counts every segment, drops coalesced', async () => {
    const root = tempDir();
    const faulty = new FaultyFileSystem();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', fs: faulty.fs, maxFileSize: '32KB', maxSessionSize: '192KB', retention: false, onError: () => {} });
    const log = logging.open('full-disk');
    const emit = async (from: number, count: number) => {
      for (let i = from; i < from + count; i++) {
        log.emit(i % 10 === 0 ? 'input' : 'output', `r${i} ${'d'.repeat(200)}`);
        if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await log.flush().catch(() => {});
    };
    await emit(0, 400);
    faulty.fail('ENOSPC', ['write', 'writeSync', 'fdatasync', 'promises', 'stream']);
    await emit(400, 2000);
    faulty.heal();
    await emit(2400, 600);
    await logging.shutdown();
    const dir = join(root, 'full-disk');
    const names = readdirSync(dir);
    assert.deepEqual(names.filter((n) => n.endsWith('.tmp')), [], 'no temp files');
    assert.deepEqual(names.filter((n) => /^(system|audit)\.\d{6}\.jsonl$/.test(n)), [], 'every rotated segment compressed once space returned');
    const meta = readMetadata(root, 'full-disk');
    for (const segment of meta.segments) assert.ok(segment.lines > 0 && statSync(join(dir, segment.file)).size > 0, `segment ${segment.file} listed with ${segment.lines} lines`);
    const stored = meta.segments.reduce((sum: number, s: { stored_bytes: number }) => sum + s.stored_bytes, 0);
    assert.ok(stored <= 192 * 1024, `segments hold ${stored} bytes against a 192KB cap`);
    assert.ok(meta.drops.length <= 4, `${meta.drops.length} drop entries (one per stream and episode expected): ${JSON.stringify(meta.drops)}`);
    assert.ok(statSync(join(dir, 'metadata.json')).size < 16 * 1024);
    assert.deepEqual(await verifySession(root, 'full-disk'), []);
  });

  it('7. verify accepts a recorded drop of the only audit record and blames the file that lost a line', async () => {
    const root = tempDir();
    const faulty = new FaultyFileSystem();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', fs: faulty.fs, retention: false, onError: () => {} });
    const log = logging.open('dropped');
    log.emit('output', 'before');
    await log.flush();
    faulty.fail('ENOSPC', ['write', 'writeSync', 'fdatasync']);
    log.emit('input', 'the only audit record');
    await log.flush().catch(() => {});
    faulty.heal();
    log.emit('output', 'after');
    await logging.shutdown();
    assert.ok(readMetadata(root, 'dropped').drops.length >= 1);
    assert.deepEqual(await verifySession(root, 'dropped'), []);

    // A line deleted from system.jsonl is blamed on system.jsonl, not on audit.jsonl.
    const other = tempDir();
    const writer = createSessionLogging({ dir: other, env: {}, defaultLevel: 'full', retention: false });
    const w = writer.open('edited');
    for (let i = 0; i < 6; i++) w.emit(i % 2 ? 'input' : 'output', `line ${i}`);
    await writer.shutdown();
    const path = join(other, 'edited', 'system.jsonl');
    const lines = readFileSync(path, 'utf8').split('\n');
    writeFileSync(path, [...lines.slice(0, 2), ...lines.slice(3)].join('\n'));
    const problems = await verifySession(other, 'edited');
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.equal(problems[0]!.kind, 'gap');
    assert.equal(problems[0]!.file, 'system.jsonl');
  });

  it('7. verify flags a segment that metadata.json says holds lines it does not', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', maxFileSize: '4KB', compression: 'none', retention: false });
    const log = logging.open('emptied');
    for (let i = 0; i < 200; i++) log.emit('output', `line ${i} ${'e'.repeat(50)}`);
    await logging.shutdown();
    const meta = readMetadata(root, 'emptied');
    const segment = meta.segments[1].file;
    writeFileSync(join(root, 'emptied', segment), '');
    const problems = await verifySession(root, 'emptied');
    assert.ok(problems.some((p) => p.kind === 'segment_mismatch' && p.file === segment), JSON.stringify(problems));
  });

  it('8. the size cap records a removal before it unlinks: no unlink while metadata.json cannot be written', async () => {
    const root = tempDir();
    const faulty = new FaultyFileSystem();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', fs: faulty.fs, maxFileSize: '8KB', maxSessionSize: '16KB', compression: 'none', retention: false, onError: () => {} });
    const log = logging.open('capped');
    for (let i = 0; i < 20; i++) log.emit('output', `warm ${i} ${'c'.repeat(100)}`);
    await log.flush();
    faulty.fail('EIO', ['promises', 'renameSync']);
    for (let i = 0; i < 400; i++) log.emit('output', `r${i} ${'c'.repeat(100)}`);
    await log.flush().catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    const onDisk = readdirSync(join(root, 'capped')).filter((n) => /^system\.\d{6}/.test(n)).length;
    faulty.heal();
    await logging.shutdown();
    // Every segment that went is recorded; nothing was removed while the removal could not be recorded.
    const meta = readMetadata(root, 'capped');
    assert.ok(onDisk >= 1, 'segments stayed while metadata.json could not be written');
    assert.deepEqual(await verifySession(root, 'capped'), []);
    assert.ok(meta.removed.length >= 1);
  });

  it('9. reopening reads no data file synchronously on the event loop', async () => {
    const root = tempDir();
    const first = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', retention: false });
    const ids = ['a', 'b', 'c'];
    for (const id of ids) {
      const log = first.open(id);
      for (let i = 0; i < 3000; i++) log.emit('output', `line ${i} ${'r'.repeat(100)}`);
    }
    await first.shutdown();
    const faulty = new FaultyFileSystem();
    const syncReads: string[] = [];
    faulty.onSyncRead = (what) => syncReads.push(what);
    const again = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', fs: faulty.fs, retention: false });
    for (const id of ids) again.open(id).emit('output', 'reopened');
    const readsDuringOpen = syncReads.filter((what) => !what.endsWith('metadata.json') && !what.endsWith('.lock'));
    await again.shutdown();
    assert.deepEqual(readsDuringOpen, []);
    for (const id of ids) {
      const lines = sessionLines(root, id);
      assert.deepEqual(seqCounts(lines).duplicates, []);
      assert.equal(lines.at(-2)!.body, 'reopened');
      assert.deepEqual(await verifySession(root, id), []);
    }
  });



});

describe('storage streams', () => {
  it('keeps one stream per category with seqs ascending', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', retention: false });
    const log = logging.open('s');
    for (let i = 0; i < 10; i++) log.emit(i % 2 ? 'input' : 'output', `x${i}`);
    await logging.shutdown();
    for (const stream of ['system', 'audit'] as const) {
      const seqs = streamLines(join(root, 's'), stream).map((l) => l.seq);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    }
  });
});
