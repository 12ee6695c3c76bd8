import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MetadataFile, WriteSlots } from '../../storage/MetadataFile.ts';
import { ControlledFileSystem, type PendingCall } from '../support/ControlledFileSystem.ts';
import { tempDir } from '../support/sessionFiles.ts';

interface Snapshot {
  text: string;
  reserved: number;
  /** Which snapshot this is (the owner attaches what the write makes safe: each must come back once). */
  id: number;
}

interface Fixture {
  q: ControlledFileSystem;
  file: MetadataFile<Snapshot>;
  dir: string;
  /** The state each write snapshots: written as {"v":n}, reserving n. */
  state: { v: number };
  /** The reservation of each snapshot reported written, and whether that write was fsynced. */
  written: number[];
  durable: boolean[];
  /** How many file-system calls had been made when each snapshot was handed back as written. */
  callsWhenWritten: number[];
  errors: Error[];
  /** Ids of the snapshots taken, and of those handed back (written or failed), in order. */
  taken: number[];
  handedBack: number[];
  onDisk(): number;
}

const fixtures: Fixture[] = [];

function fixture(newDirectory = false): Fixture {
  const dir = tempDir();
  const q = new ControlledFileSystem();
  const state = { v: 0 };
  const written: number[] = [];
  const durable: boolean[] = [];
  const callsWhenWritten: number[] = [];
  const errors: Error[] = [];
  const taken: number[] = [];
  const handedBack: number[] = [];
  const path = join(dir, 'metadata.json');
  const snapshot = (): Snapshot => {
    taken.push(taken.length + 1);
    return { text: JSON.stringify(state) + '\n', reserved: state.v, id: taken.length };
  };
  const onWritten = (s: Snapshot, fsynced: boolean) => {
    written.push(s.reserved);
    durable.push(fsynced);
    callsWhenWritten.push(q.calls.length);
    handedBack.push(s.id);
  };
  const onError = (error: Error, s: Snapshot) => {
    errors.push(error);
    handedBack.push(s.id);
  };
  const file = new MetadataFile<Snapshot>(path, q.fs, new WriteSlots(), snapshot, onWritten, onError, newDirectory);
  const f = { q, file, dir, state, written, durable, callsWhenWritten, errors, taken, handedBack, onDisk: () => (JSON.parse(readFileSync(path, 'utf8')) as { v: number }).v };
  fixtures.push(f);
  return f;
}

/** What a snapshot carries (a reservation, removals to make) is lost if it never comes back. */
async function assertHandedBackOnce(f: Fixture): Promise<void> {
  await f.q.releaseAll();
  await f.file.idle();
  assert.deepEqual([...f.handedBack].sort((a, b) => a - b), f.taken, 'every snapshot taken is handed back once: written or failed');
}

/** Complete held calls in order until one matching `stop` is pending (not completed). */
async function runUntil(q: ControlledFileSystem, stop: (call: PendingCall) => boolean): Promise<PendingCall> {
  for (;;) {
    const call = await q.next();
    if (stop(call)) return call;
    await call.complete();
  }
}

describe('MetadataFile', () => {
  afterEach(async () => {
    for (const f of fixtures.splice(0)) {
      await f.q.releaseAll();
      await f.file.idle();
    }
  });

  it('coalesces requests made while a write is under way into one more write of the newest state', async () => {
    const f = fixture();
    f.state.v = 1;
    const first = f.file.write();
    await f.q.next('promises.open');
    const later: Array<Promise<void>> = [];
    for (let v = 2; v <= 5; v++) {
      f.state.v = v;
      later.push(f.file.write());
    }
    await f.q.releaseAll();
    await Promise.all([first, ...later]);
    assert.deepEqual(f.written, [1, 5]);
    assert.equal(f.q.calls.filter((call) => call.name === 'promises.open' && call.path!.endsWith('.tmp')).length, 2);
    assert.equal(f.onDisk(), 5);
    await assertHandedBackOnce(f);
  });

  it('resolves write() only after a write that began after the call is on disk', async () => {
    const f = fixture();
    f.state.v = 1;
    const seen: Record<string, number> = {};
    const first = f.file.write().then(() => (seen.first = f.onDisk()));
    await f.q.next('promises.open'); // the first write has taken its snapshot
    f.state.v = 2;
    const second = f.file.write().then(() => (seen.second = f.onDisk()));
    await f.q.releaseAll();
    await Promise.all([first, second]);
    assert.deepEqual(seen, { first: 1, second: 2 });
  });

  it('rejects write() and reports the error when the write fails; the next write works', async () => {
    const f = fixture();
    f.state.v = 1;
    const failing = f.file.write();
    await (await f.q.next('promises.open')).fail('ENOSPC');
    await assert.rejects(failing, { code: 'ENOSPC' });
    assert.equal(f.errors.length, 1);
    assert.deepEqual(f.written, []);
    f.q.hold = () => false;
    await f.file.write();
    assert.deepEqual(f.written, [1]);
    await assertHandedBackOnce(f);
  });

  // The asynchronous write holds an older state; the synchronous one runs while it is held at each step in turn.
  const steps: Array<[string, (call: PendingCall) => boolean]> = [
    ['before its temp file is written', (call) => call.name === 'handle.writeFile'],
    ['after its temp file is written, before the check', (call) => call.name === 'handle.sync'],
    ['after the check, with its rename issued', (call) => call.name === 'promises.rename'],
    ['after its rename, while the directory is synced', (call) => call.name === 'promises.open' && !call.path!.endsWith('.tmp')],
  ];
  for (const [when, step] of steps) for (const durable of [true, false]) {
    it(`writeSync${durable ? '' : '(without fsync)'} is never overtaken by an older asynchronous write held ${when}`, async () => {
      const f = fixture();
      f.state.v = 1;
      const asyncWrite = f.file.write();
      await runUntil(f.q, step);
      f.state.v = 2;
      f.file.writeSync(durable);
      assert.equal(f.onDisk(), 2);
      await f.q.releaseAll();
      await asyncWrite;
      assert.equal(f.onDisk(), 2, 'the newer state stays');
      assert.equal(Math.max(...f.written), 2);
      assert.deepEqual(readdirSync(f.dir).filter((name) => name.endsWith('.tmp')), [], 'no temp file left');
      await assertHandedBackOnce(f);
    });
  }

  it('a durable synchronous write fsyncs the temp file before its rename and the directory after it; one without fsync does neither', () => {
    for (const durable of [true, false]) {
      const f = fixture();
      f.state.v = 1;
      const before = f.q.calls.length;
      f.file.writeSync(durable);
      const calls = f.q.calls.slice(before);
      const fsyncOf = (test: (path: string) => boolean) => calls.findIndex((call) => call.name === 'fsyncSync' && test(call.path ?? ''));
      const rename = calls.findIndex((call) => call.name === 'renameSync');
      const fileSync = fsyncOf((path) => path.endsWith('.tmp'));
      const dirSync = fsyncOf((path) => path === f.dir);
      if (durable) {
        assert.ok(fileSync !== -1 && fileSync < rename, `the temp file is fsynced before the rename: ${JSON.stringify(calls)}`);
        assert.ok(dirSync > rename, `the directory is fsynced after the rename (or a power cut can bring the old file back): ${JSON.stringify(calls)}`);
      } else {
        assert.deepEqual(calls.filter((call) => call.name === 'fsyncSync'), [], 'no fsync');
      }
      assert.equal(f.onDisk(), 1);
    }
  });

  it('in a directory created just now, fsyncs its parent with the first fsynced write, before that write counts as durable', async () => {
    for (const how of ['async', 'sync'] as const) {
      const f = fixture(true);
      const parent = dirname(f.dir);
      f.q.hold = () => false;
      f.state.v = 1;
      f.file.writeSync(false); // not fsynced: the parent waits too
      assert.deepEqual(f.q.calls.filter((call) => call.path === parent), []);
      f.state.v = 2;
      if (how === 'async') await f.file.write();
      else f.file.writeSync(true);
      const parentSynced = f.q.calls.findIndex((call) => call.path === parent && (call.name === 'handle.sync' || call.name === 'fsyncSync'));
      assert.ok(parentSynced !== -1, `the parent is fsynced (${how})`);
      assert.equal(f.durable.at(-1), true);
      assert.ok(parentSynced < f.callsWhenWritten.at(-1)!, 'before the write was handed back as durable');
      const before = f.q.calls.length;
      f.state.v = 3;
      await f.file.write();
      assert.deepEqual(f.q.calls.slice(before).filter((call) => call.path === parent), [], 'once');
    }
  });

  it('follows a synchronous write that skipped the fsync with an fsynced one; an older write resolves only then', async () => {
    const f = fixture();
    f.state.v = 1;
    let resolved = false;
    const older = f.file.write().then(() => (resolved = true));
    await runUntil(f.q, (call) => call.name === 'handle.sync');
    f.state.v = 2;
    f.file.writeSync(false);
    assert.deepEqual([f.written, f.durable], [[2], [false]]);
    await f.q.releaseAll();
    await older;
    assert.equal(resolved, true);
    assert.deepEqual([f.written, f.durable], [[2, 1, 2], [false, false, true]], 'the overtaken snapshot comes back as held by the unsynced write; then the newest state, fsynced');
    assert.equal(f.onDisk(), 2);
    await assertHandedBackOnce(f);
  });

  it('idle() resolves once no write is pending or under way', async () => {
    const f = fixture();
    let idle = false;
    void f.file.write();
    const waiting = f.file.idle().then(() => (idle = true));
    await f.q.next();
    assert.equal(idle, false);
    await f.q.releaseAll();
    await waiting;
    assert.equal(idle, true);
  });
});
