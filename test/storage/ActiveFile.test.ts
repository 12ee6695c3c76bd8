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
    const dir = tempDir();
    const q = new ControlledFileSystem();
    q.hold = () => false;
    const file = new ActiveFile(join(dir, 'system.jsonl'), 0, q.fs, new FdBudget(4), true);
    await writeAt(file, 'line\n', 0);
    file.written = 5;
    assert.equal(await sync(file), 5);
    assert.equal(file.synced, 5);
    assert.equal(await sync(file), 5);
    file.syncSync();
    assert.equal(q.calls.filter((call) => call.name === 'fdatasync' || call.name === 'fdatasyncSync').length, 1);
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
    assert.ok(!q.calls.some((call) => call.name === 'closeSync'), 'the descriptor is still open');
    await write.complete();
    await Promise.all([written, closing]);
    assert.equal(q.calls.at(-1)!.name, 'closeSync');
    assert.equal(readFileSync(join(dir, 'system.jsonl'), 'utf8'), 'line\n');
  });

  it('cuts a torn chunk back to its start', () => {
    const dir = tempDir();
    const file = new ActiveFile(join(dir, 'system.jsonl'), 0, nodeFileSystem, new FdBudget(4), true);
    file.writeAtSync(Buffer.from('whole\npart'), 0);
    file.truncateTo(6);
    assert.equal(readFileSync(join(dir, 'system.jsonl'), 'utf8'), 'whole\n');
  });
});
