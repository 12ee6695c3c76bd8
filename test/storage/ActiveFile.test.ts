import assert from 'node:assert/strict';
import { linkSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ActiveFile } from '../../storage/ActiveFile.ts';
import { FdBudget } from '../../storage/FdBudget.ts';
import { nodeFileSystem } from '../../storage/FileSystem.ts';
import { ControlledFileSystem } from '../support/ControlledFileSystem.ts';
import { tempDir } from '../support/sessionFiles.ts';

function writeAt(file: ActiveFile, data: string, position: number): Promise<void> {
  return new Promise((resolve, reject) => file.writeAt(Buffer.from(data), position, (error) => (error ? reject(error) : resolve())));
}

function sync(file: ActiveFile): Promise<number> {
  return new Promise((resolve, reject) => file.sync((error, bytes) => (error ? reject(error) : resolve(bytes))));
}

/** A file the store creates (O_EXCL) on a ControlledFileSystem that completes every call, with `text` written at 0 and counted. */
async function createdAndWritten(name: string, text: string): Promise<{ dir: string; q: ControlledFileSystem; file: ActiveFile }> {
  const dir = tempDir();
  const q = new ControlledFileSystem();
  q.hold = () => false;
  const file = new ActiveFile(join(dir, name), 0, q.fs, new FdBudget(4), true);
  await writeAt(file, text, 0);
  file.written = text.length;
  return { dir, q, file };
}

/** A directory whose system.jsonl is a symbolic link to a file of someone else's. */
function plantedLink(): { dir: string; target: string } {
  const dir = tempDir();
  const target = join(dir, 'elsewhere');
  writeFileSync(target, 'precious\n');
  symlinkSync(target, join(dir, 'system.jsonl'));
  return { dir, target };
}

describe('ActiveFile', () => {
  it('refuses to write through a symbolic link (O_NOFOLLOW), and leaves its target alone', () => {
    const { dir, target } = plantedLink();
    const file = new ActiveFile(join(dir, 'system.jsonl'), 0, nodeFileSystem, new FdBudget(4), false);
    assert.throws(() => file.openNow(), { name: 'StorageError', code: 'ESESSIONLINK', message: /symbolic link/ });
    assert.throws(() => file.writeAtSync(Buffer.from('x\n'), 0), { code: 'ESESSIONLINK' });
    assert.equal(readFileSync(target, 'utf8'), 'precious\n');
  });

  it('gives its descriptor-budget slot back when a write is refused: no descriptor, no slot', async () => {
    const { dir } = plantedLink();
    const budget = new FdBudget(4);
    const file = new ActiveFile(join(dir, 'system.jsonl'), 0, nodeFileSystem, budget, false);
    await assert.rejects(writeAt(file, 'x\n', 0), { code: 'ESESSIONLINK' });
    assert.equal(budget.size, 0, 'the budget counts only files that hold a descriptor');
  });

  it('moves a link planted where a new file must be created aside instead of following it', () => {
    const { dir, target } = plantedLink();
    const file = new ActiveFile(join(dir, 'system.jsonl'), 0, nodeFileSystem, new FdBudget(4), true);
    file.writeAtSync(Buffer.from('ours\n'), 0);
    assert.equal(readFileSync(target, 'utf8'), 'precious\n');
    assert.equal(readFileSync(join(dir, 'system.jsonl'), 'utf8'), 'ours\n');
    assert.equal(readdirSync(dir).filter((name) => name.startsWith('system.jsonl.replaced-')).length, 1);
  });

  it('refuses a file with a second name (a hard link) and closes what it opened', () => {
    const dir = tempDir();
    const path = join(dir, 'system.jsonl');
    writeFileSync(path, '');
    linkSync(path, join(dir, 'other-name'));
    const q = new ControlledFileSystem();
    const file = new ActiveFile(path, 0, q.fs, new FdBudget(4), false);
    assert.throws(() => file.openNow(), { code: 'ESESSIONLINK', message: /hard link/ });
    const ops = q.calls.map((call) => call.name);
    assert.equal(ops.filter((op) => op === 'openSync').length, ops.filter((op) => op === 'closeSync').length);
    assert.equal(statSync(path).size, 0);
  });

  it('puts each write at its own offset, whatever order the writes complete in', async () => {
    const dir = tempDir();
    const q = new ControlledFileSystem();
    q.hold = (call) => call.name === 'write';
    const file = new ActiveFile(join(dir, 'system.jsonl'), 0, q.fs, new FdBudget(4), true);
    const first = writeAt(file, 'aaaa\n', 0);
    const second = writeAt(file, 'bb\n', 5);
    const [writeA, writeB] = [await q.next((c) => c.name === 'write' && c.args[4] === 0), await q.next((c) => c.name === 'write' && c.args[4] === 5)];
    await writeB.complete();
    await writeA.complete();
    await Promise.all([first, second]);
    assert.equal(readFileSync(join(dir, 'system.jsonl'), 'utf8'), 'aaaa\nbb\n');
    // A synchronous write of the same bytes at the same offset changes nothing.
    file.writeAtSync(Buffer.from('bb\n'), 5);
    assert.equal(readFileSync(join(dir, 'system.jsonl'), 'utf8'), 'aaaa\nbb\n');
  });

  it('fdatasyncs only what is new: once per batch of written bytes, never for nothing', async () => {
    const { q, file } = await createdAndWritten('system.jsonl', 'line\n');
    assert.equal(await sync(file), 5);
    assert.equal(file.synced, 5);
    assert.equal(await sync(file), 5);
    file.syncSync();
    assert.equal(q.calls.filter((call) => call.name === 'fdatasync' || call.name === 'fdatasyncSync').length, 1);
  });

  it('fsyncs the directory after the first fdatasync of a file it created, before the lines count as durable; then never again', async () => {
    for (const viaSync of [false, true]) {
      const { dir, q, file } = await createdAndWritten('audit.jsonl', 'line\n');
      if (viaSync) file.syncSync();
      else await sync(file);
      const names = q.calls.map((call) => `${call.name} ${call.path === dir ? 'DIR' : call.path?.slice(dir.length + 1)}`);
      const datasync = names.indexOf(viaSync ? 'fdatasyncSync audit.jsonl' : 'fdatasync audit.jsonl');
      const dirSync = names.indexOf(viaSync ? 'fsyncSync DIR' : 'handle.sync DIR');
      assert.ok(datasync !== -1 && dirSync > datasync, `a power cut could lose the new file's name: ${names.join(', ')}`);
      assert.equal(file.synced, 5);
      const before = q.calls.length;
      await writeAt(file, 'more\n', 5);
      file.written = 10;
      await sync(file);
      assert.deepEqual(q.calls.slice(before).filter((call) => call.path === dir), [], 'the name is durable already');
    }
  });

  it('does not fsync the directory of a file it found (it did not create it)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'audit.jsonl'), '');
    const q = new ControlledFileSystem();
    q.hold = () => false;
    const file = new ActiveFile(join(dir, 'audit.jsonl'), 0, q.fs, new FdBudget(4), false);
    await writeAt(file, 'line\n', 0);
    file.written = 5;
    await sync(file);
    assert.deepEqual(q.calls.filter((call) => call.path === dir), []);
  });

  it('does not count bytes as synced when the fdatasync fails', async () => {
    const dir = tempDir();
    const q = new ControlledFileSystem();
    q.hold = (call) => call.name === 'fdatasync';
    const file = new ActiveFile(join(dir, 'system.jsonl'), 0, q.fs, new FdBudget(4), true);
    file.writeAtSync(Buffer.from('line\n'), 0);
    file.written = 5;
    const result = sync(file);
    await (await q.next('fdatasync')).fail('EIO');
    await assert.rejects(result, { code: 'EIO' });
    assert.equal(file.synced, 0);
  });

  it('closes only after the write under way has finished', async () => {
    const dir = tempDir();
    const q = new ControlledFileSystem();
    q.hold = (call) => call.name === 'write';
    const file = new ActiveFile(join(dir, 'system.jsonl'), 0, q.fs, new FdBudget(4), true);
    const written = writeAt(file, 'line\n', 0);
    let closed = false;
    const closing = file.close().then(() => (closed = true));
    const write = await q.next('write');
    assert.equal(closed, false);
    assert.ok(!q.calls.some((call) => call.name === 'close' || call.name === 'closeSync'), 'the descriptor is still open');
    await write.complete();
    await Promise.all([written, closing]);
    assert.equal(q.calls.at(-1)!.name, 'close', 'closed in the libuv pool, and close() resolved after it');
    assert.equal(readFileSync(join(dir, 'system.jsonl'), 'utf8'), 'line\n');
  });

  it('reopens a file the descriptor budget closed without a synchronous call: open and fstat run in the libuv pool', async () => {
    const dir = tempDir();
    const q = new ControlledFileSystem();
    q.hold = () => false;
    const budget = new FdBudget(2);
    const files = ['a', 'b', 'c'].map((name) => new ActiveFile(join(dir, `${name}.jsonl`), 0, q.fs, budget, true));
    const offsets = [0, 0, 0];
    const round = (n: number) => Promise.all(files.map(async (file, i) => {
      const line = `${'abc'[i]}${n}\n`;
      await writeAt(file, line, offsets[i]!);
      offsets[i]! += line.length;
    }));
    await round(0); // creates each file: synchronously (O_EXCL), once per file
    const created = q.calls.filter((call) => call.name === 'openSync').length;
    assert.equal(created, 3);
    for (let n = 1; n <= 10; n++) await round(n); // 3 files, 2 descriptors: every round closes and reopens
    assert.ok(budget.evictions >= 10, `expected the budget to close files, it closed ${budget.evictions}`);
    const calls = q.calls.map((call) => call.name);
    assert.equal(calls.filter((name) => name === 'openSync' || name === 'fstatSync').length, created * 2, 'no synchronous open after the files exist');
    assert.ok(calls.filter((name) => name === 'open').length >= 10, 'files are reopened asynchronously');
    for (const [i, name] of ['a', 'b', 'c'].entries()) {
      assert.equal(readFileSync(join(dir, `${name}.jsonl`), 'utf8'), Array.from({ length: 11 }, (_, n) => `${'abc'[i]}${n}\n`).join(''));
    }
  });

  it('serves writes that arrive during a reopen from that one open, and a synchronous write meanwhile keeps its own descriptor', async () => {
    const dir = tempDir();
    const q = new ControlledFileSystem();
    q.hold = (call) => call.name === 'open';
    const budget = new FdBudget(2);
    const [a, b, c] = ['a', 'b', 'c'].map((name) => new ActiveFile(join(dir, `${name}.jsonl`), 0, q.fs, budget, true)) as [ActiveFile, ActiveFile, ActiveFile];
    a.writeAtSync(Buffer.from('a0\n'), 0);
    b.writeAtSync(Buffer.from('b0\n'), 0);
    c.writeAtSync(Buffer.from('c0\n'), 0); // the budget closes a's descriptor
    const first = writeAt(a, 'a1\n', 3);
    const second = writeAt(a, 'a2\n', 6);
    const open = await q.next('open');
    a.writeAtSync(Buffer.from('a1\n'), 3); // backpressure or exit while the open is under way
    await open.complete();
    await Promise.all([first, second]);
    assert.equal(q.calls.filter((call) => call.name === 'open').length, 1, 'one open for both writes');
    assert.equal(q.calls.filter((call) => call.name === 'close').length, budget.evictions + 1, 'the descriptor the reopen brought is closed (the synchronous one is in use), besides those the budget closed');
    assert.equal(readFileSync(join(dir, 'a.jsonl'), 'utf8'), 'a0\na1\na2\n');
  });

  it('refuses a hard link planted while the descriptor was closed, when reopening asynchronously', async () => {
    const dir = tempDir();
    const q = new ControlledFileSystem();
    q.hold = () => false;
    const budget = new FdBudget(2);
    const [a, b, c] = ['a', 'b', 'c'].map((name) => new ActiveFile(join(dir, `${name}.jsonl`), 0, q.fs, budget, true)) as [ActiveFile, ActiveFile, ActiveFile];
    for (const file of [a, b, c]) file.writeAtSync(Buffer.from('x\n'), 0); // a's descriptor is closed
    linkSync(join(dir, 'a.jsonl'), join(dir, 'second-name'));
    await assert.rejects(writeAt(a, 'y\n', 2), { code: 'ESESSIONLINK', message: /hard link/ });
    assert.equal(readFileSync(join(dir, 'a.jsonl'), 'utf8'), 'x\n');
    const count = (...names: string[]) => q.calls.filter((call) => names.includes(call.name)).length;
    assert.equal(count('open', 'openSync') - count('close', 'closeSync'), 1, 'only c still has a descriptor: what a opened and refused, it closed (b was closed to make room)');
  });

  it('cuts a torn chunk back to its start', () => {
    const dir = tempDir();
    const file = new ActiveFile(join(dir, 'system.jsonl'), 0, nodeFileSystem, new FdBudget(4), true);
    file.writeAtSync(Buffer.from('whole\npart'), 0);
    file.truncateTo(6);
    assert.equal(readFileSync(join(dir, 'system.jsonl'), 'utf8'), 'whole\n');
  });
});
