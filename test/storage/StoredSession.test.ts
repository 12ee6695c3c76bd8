import { formatTime } from '../../format/formatTimestamp.ts';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { eventPart } from '../../format/formatLine.ts';
import { SessionStore, type StoreOptions } from '../../storage/SessionStore.ts';
import type { StoredSession } from '../../storage/StoredSession.ts';
import { ControlledFileSystem } from '../support/ControlledFileSystem.ts';
import { readMetadata, sessionLines, tempDir } from '../support/sessionFiles.ts';

const OUTPUT = eventPart('output', 'system', 'full', 'INFO');
const INPUT = eventPart('input', 'audit', 'full', 'INFO');

function append(session: StoredSession, seq: number, audit = false): void {
  session.append(seq, formatTime(1_700_000_000, seq), audit ? INPUT : OUTPUT, audit, `record ${seq}`, undefined, undefined);
}

const stores: SessionStore[] = [];
const queues: ControlledFileSystem[] = [];
/** A ControlledFileSystem let go after the test, so the store can shut down whatever the test left held. */
function queued(): ControlledFileSystem {
  const q = new ControlledFileSystem();
  queues.push(q);
  return q;
}
/** The store's clock: every time it records (drops, losses, level changes) is this one. */
const NOW = new Date('2030-01-02T03:04:05.000Z');
function store(options: Omit<StoreOptions, 'dir'> & { dir?: string } = {}): SessionStore {
  const s = new SessionStore({ dir: tempDir(), onError: () => {}, clock: () => NOW, ...options });
  stores.push(s);
  return s;
}

/** A directory with session `id` written (seqs 1..records) and closed. */
async function closedAfter(records: number, id: string): Promise<string> {
  const dir = tempDir();
  const first = store({ dir });
  const session = first.open(id);
  for (let i = 0; i < records; i++) append(session, session.nextSeq());
  await first.shutdown();
  return dir;
}

/** metadata.json's calls (and the unlinks of removed segments): promises and file-handle calls. */
const metadataCalls = (call: { name: string }) => call.name.startsWith('promises.') || call.name.startsWith('handle.');

/** Hand out seqs up to `seqs`, let every write land, and read the reservation metadata.json holds. */
async function reservedAfter(s: SessionStore, session: StoredSession, seqs: number): Promise<number> {
  while (session.seq < seqs) session.nextSeq();
  await s.drain();
  return readMetadata(s.root, session.id).seq_reserved as number;
}

/** One turn of the event loop: the store seals this turn's lines into chunks with setImmediate. */
const sealed = () => new Promise((resolve) => setImmediate(resolve));

describe('StoredSession', () => {
  afterEach(async () => {
    await Promise.all(queues.splice(0).map((q) => q.releaseAll()));
    await Promise.all(stores.splice(0).map((s) => s.shutdown()));
  });

  it('reserves seqs in metadata.json ahead of use, and asks for more once fewer than half a reservation are left', async () => {
    let now = NOW.getTime();
    const s = store({ clock: () => new Date((now += 10_000)) }); // reservations far apart in time keep their size
    const session = s.open('res');
    const reserved = (seqs: number) => reservedAfter(s, session, seqs);
    assert.equal(await reserved(0), 1024);
    assert.equal(await reserved(512), 1024);
    assert.equal(await reserved(513), 513 + 1024);
    assert.equal(await reserved(1025), 513 + 1024);
    assert.equal(await reserved(1026), 1026 + 1024);
  });

  it('grows the reservation when the one before lasted less than 250 ms (2x at 100 ms, 8x at 30 ms, 16x at most), and halves it when one lasted over 2 s', async () => {
    let now = NOW.getTime();
    const s = store({ clock: () => new Date(now) });
    const session = s.open('rate');
    const reserved = (seqs: number) => reservedAfter(s, session, seqs);
    // A reservation is renewed at the first seq that leaves less than half of it: at seq n, to n + its new size.
    assert.equal(await reserved(0), 1024, 'written at opening');
    now += 1000;
    assert.equal(await reserved(513), 513 + 1024, 'the one made at opening lasted 1 s: the same size');
    now += 100;
    assert.equal(await reserved(1026), 1026 + 2048, 'the one before lasted 100 ms: doubled');
    now += 100;
    assert.equal(await reserved(2051), 2051 + 4096);
    now += 3000;
    assert.equal(await reserved(4100), 2051 + 4096, 'the one before lasted 3 s: halved to 2,048, and what is left (2,047) is more than half of that: no write');
    now += 1000;
    assert.equal(await reserved(5125), 5124 + 2048, 'between 250 ms and 2 s: the same size');
    now += 30;
    assert.equal(await reserved(6149), 6149 + 2048 * 8, 'lasted 30 ms: 8 times, to last ~250 ms at that rate');
    now += 5;
    assert.equal(await reserved(14342), 14342 + 16384 * 16, 'lasted 5 ms: 16 times at most');
  });

  it('in audit durability, makes the names of a new session durable: its directory before any line is written, its audit file before flush() resolves', async () => {
    const q = queued();
    q.hold = () => false;
    const s = store({ fs: q.fs, durability: 'audit' });
    const session = s.open('names');
    append(session, session.nextSeq(), true);
    await session.flush();
    const names = q.calls.map((call) => `${call.name} ${call.path === s.root ? 'ROOT' : call.path === session.dir ? 'DIR' : call.path?.slice(session.dir.length + 1)}`);
    const firstLine = names.findIndex((name) => name.startsWith('write '));
    const rootSync = names.findIndex((name) => name === 'handle.sync ROOT' || name === 'fsyncSync ROOT');
    const created = names.indexOf('openSync audit.jsonl');
    const dirSyncAfter = names.findIndex((name, i) => i > created && (name === 'handle.sync DIR' || name === 'fsyncSync DIR'));
    assert.ok(rootSync !== -1 && rootSync < firstLine, `the session directory's name is durable before its first line: ${names.join(', ')}`);
    assert.ok(created !== -1 && dirSyncAfter > created, `audit.jsonl's name is durable once flush() resolves: ${names.join(', ')}`);
  });

  it('continues seq after a clean close and reopen, with no gap and no crash loss', async () => {
    const dir = await closedAfter(3, 'again');
    const second = store({ dir });
    const reopened = second.open('again');
    assert.equal(reopened.nextSeq(), 4);
    append(reopened, 4);
    await second.shutdown();
    assert.deepEqual(readMetadata(dir, 'again').crash_losses, []);
    assert.deepEqual(sessionLines(dir, 'again').map((l) => l.seq), [1, 2, 3, 4]);
  });

  it('writes the reservation before handing out a seq: at once, without waiting for an fsync', () => {
    const q = queued(); // no asynchronous call completes: only what is written synchronously is on disk
    const s = store({ fs: q.fs });
    const before = q.calls.length;
    const session = s.open('first'); // writes the first reservation, before any seq is handed out
    assert.equal(readMetadata(s.root, 'first').seq_reserved, 1024);
    assert.ok(!q.calls.slice(before).some((call) => call.name === 'fsyncSync' || call.name === 'fdatasyncSync'), 'no fsync on the way');
    assert.equal(session.nextSeq(), 1);
    assert.equal(session.nextSeq(), 2);
    assert.equal(q.calls.filter((call) => call.name === 'renameSync').length, 1, 'one synchronous write for the whole reservation');
  });

  it('at a reopen while recovery runs, the reservation written keeps what the previous run left for recovery to judge', async () => {
    const dir = await closedAfter(3, 'reopen');
    const q = queued(); // recovery's steps are held: it is still running below
    const second = store({ dir, fs: q.fs });
    const session = second.open('reopen');
    assert.equal(session.nextSeq(), 4);
    const meta = readMetadata(dir, 'reopen');
    assert.deepEqual([meta.seq_reserved, meta.last_seq, meta.written_through, meta.ended_at, meta.crash_losses], [4 + 1024, 4, 3, null, []]);
  });

  it('holds records until an fsynced metadata.json holds their reservation (the one written at once is not enough)', async () => {
    const q = queued();
    q.hold = metadataCalls;
    const s = store({ fs: q.fs, durability: 'none' });
    const session = s.open('held');
    for (let i = 0; i < 3; i++) append(session, session.nextSeq());
    await sealed();
    assert.equal(q.calls.filter((call) => call.name === 'write').length, 0, 'no record reaches the disk before its reservation is fsynced');
    await q.releaseAll();
    await session.flush();
    const sync = q.calls.findIndex((call) => call.name === 'handle.sync' && call.path!.includes('metadata.json'));
    const write = q.calls.findIndex((call) => call.name === 'write');
    assert.ok(sync !== -1 && sync < write, 'the fsync of the reservation comes before the first write');
    assert.deepEqual(sessionLines(s.root, 'held').map((l) => l.seq), [1, 2, 3]);
  });

  it('doubles the reservation once seqs outrun the one on disk', async () => {
    const q = queued();
    q.hold = () => false;
    const s = store({ fs: q.fs, durability: 'none', chunkBytes: 4096 });
    const session = s.open('grow');
    await s.drain(); // the first reservation, 1024, is on disk
    q.hold = metadataCalls;
    for (let i = 0; i < 1100; i++) append(session, session.nextSeq());
    await sealed(); // the writer waits for the next reservation
    await q.releaseAll();
    await s.drain();
    // Seq 1025 passed the 1024 on disk while the next reservation was on its way: from then on it asks
    // for 2048 ahead (once: when it asks again depends on when the writes land, never for more).
    const reserved = readMetadata(s.root, 'grow').seq_reserved as number;
    assert.ok(reserved >= 1025 + 2048 && reserved <= 1100 + 2048, `seq_reserved ${reserved}`);
  });

  describe('writeDelayMs: busy files in fewer, larger writes', () => {
    /** Append `perTurn` lines to `session` in each of `turns` turns of the event loop; the writes of its system file made meanwhile. */
    async function turnsOf(s: SessionStore, q: ControlledFileSystem, session: StoredSession, turns: number, perTurn: number): Promise<number> {
      const before = q.calls.filter((call) => call.name === 'write').length;
      for (let t = 0; t < turns; t++) {
        for (let i = 0; i < perTurn; i++) append(session, session.nextSeq());
        await sealed();
        await sealed(); // and the writes of the turn before complete
      }
      return q.calls.filter((call) => call.name === 'write').length - before;
    }

    it('lines of the turns within writeDelayMs join one chunk, written once; 0 writes every turn', async () => {
      const writes: Record<string, number> = {};
      for (const writeDelayMs of [1000, 0]) {
        const q = queued();
        q.hold = () => false;
        const s = store({ fs: q.fs, durability: 'none', writeDelayMs });
        const session = s.open('busy');
        append(session, session.nextSeq());
        await s.drain(); // the reservation is on disk: what follows is only about the writes
        const during = await turnsOf(s, q, session, 20, 10);
        await s.drain();
        writes[writeDelayMs] = q.calls.filter((call) => call.name === 'write').length;
        if (writeDelayMs === 1000) assert.equal(during, 0, 'nothing written while the 1,000 ms hold lasts and nobody waits');
        assert.deepEqual(sessionLines(s.root, 'busy').map((l) => l.seq), Array.from({ length: 201 }, (_, i) => i + 1));
      }
      assert.equal(writes[1000], 2, 'the first line, then 200 lines in one write');
      assert.equal(writes[0], 21, 'one write per turn');
    });

    it('lets held lines go within writeDelayMs with nobody waiting for them', async () => {
      const s = store({ durability: 'none' }); // the default: 5 ms
      const session = s.open('quiet');
      for (let i = 0; i < 3; i++) append(session, session.nextSeq());
      const deadline = Date.now() + 5000; // generous for a loaded machine; it takes a few ms
      while (sessionLines(s.root, 'quiet').length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.deepEqual(sessionLines(s.root, 'quiet').map((l) => l.seq), [1, 2, 3]);
    });

    it('holds at most 64 chunks at once: the other sessions write at once', async () => {
      const s = store({ durability: 'none', writeDelayMs: 1000 });
      const sessions = Array.from({ length: 100 }, (_, i) => s.open(`s${i}`));
      for (const session of sessions) append(session, session.nextSeq());
      await s.drain(); // every reservation on disk, every first line written
      for (const session of sessions) append(session, session.nextSeq());
      const written = () => sessions.filter((session) => sessionLines(s.root, session.id).length === 2).length;
      const deadline = Date.now() + 900;
      while (written() < 36 && Date.now() < deadline) await sealed();
      assert.equal(written(), 36, '100 sessions, 64 held');
      await s.drain();
      assert.equal(written(), 100);
    });
  });

  it('flush() rejects with EDROPPED when records could not be written, and resolves again once writing works', async () => {
    const q = queued();
    q.hold = (call) => call.name === 'write';
    const s = store({ fs: q.fs, durability: 'none' });
    const session = s.open('drop');
    for (let i = 0; i < 3; i++) append(session, session.nextSeq());
    const flushed = session.flush();
    await (await q.next('write')).fail('EIO');
    await assert.rejects(flushed, { name: 'StorageError', code: 'EDROPPED', message: /records between seq 1 and 3 could not be written \(3 system, EIO/ });
    q.hold = () => false;
    append(session, session.nextSeq());
    await session.flush();
    await s.shutdown();
    const meta = readMetadata(s.root, 'drop');
    assert.deepEqual(meta.drops.map((d: Record<string, unknown>) => [d.stream, d.first_seq, d.last_seq, d.count, d.error]), [['system', 1, 3, 3, 'EIO']]);
    assert.deepEqual(sessionLines(s.root, 'drop').map((l) => l.seq), [4]);
  });

  it('flush() waits for the fdatasync of audit lines (durability audit) but not of system lines', async () => {
    const q = queued();
    q.hold = (call) => call.name === 'fdatasync';
    const s = store({ fs: q.fs });
    const session = s.open('durable');
    append(session, session.nextSeq());
    await session.flush(); // a system line: written is enough
    append(session, session.nextSeq(), true);
    let done = false;
    const flushed = session.flush().then(() => (done = true));
    const sync = await q.next('fdatasync');
    assert.ok(sync.path!.endsWith('audit.jsonl'));
    assert.equal(done, false);
    await sync.complete();
    await flushed;
    assert.equal(done, true);
  });

  it('records seqs handed out but never appended (lost in a queue upstream) as ENOTDELIVERED when it closes', async () => {
    const s = store();
    const session = s.open('lost');
    append(session, session.nextSeq());
    session.nextSeq();
    session.nextSeq();
    assert.equal(session.inFlight, true);
    await s.close('lost');
    const meta = readMetadata(s.root, 'lost');
    assert.deepEqual(meta.drops.map((d: Record<string, unknown>) => [d.first_seq, d.last_seq, d.count, d.error, d.at]), [[2, 3, 2, 'ENOTDELIVERED', NOW.toISOString()]]);
    assert.equal(meta.seq_reserved, 3, 'the reservation ends at the last seq');
    assert.equal(meta.ended_at, NOW.toISOString());
    assert.equal(s.stats.dropped, 2);
  });

  it('records a gap of seqs that never arrived between records that did as ENOTDELIVERED', async () => {
    const s = store();
    const session = s.open('gap');
    const seqs = Array.from({ length: 6 }, () => session.nextSeq());
    for (const seq of [1, 2, 6]) append(session, seq); // 3-5 were dropped by a queue between the level processor and the store
    await s.close('gap');
    const meta = readMetadata(s.root, 'gap');
    assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(meta.drops.map((d: Record<string, unknown>) => [d.first_seq, d.last_seq, d.count, d.error]), [[3, 5, 3, 'ENOTDELIVERED']]);
    assert.equal(s.stats.dropped, 3);
  });

  it('does not record a passed-over seq that arrives after all (out of order) as undelivered', async () => {
    const s = store();
    const session = s.open('late');
    for (let i = 0; i < 6; i++) session.nextSeq();
    for (const seq of [1, 4, 2, 6]) append(session, seq);
    await s.close('late');
    const meta = readMetadata(s.root, 'late');
    assert.deepEqual(meta.drops.map((d: Record<string, unknown>) => [d.first_seq, d.last_seq, d.count, d.error]), [[3, 5, 2, 'ENOTDELIVERED']], 'one entry: 3 and 5, two records');
    assert.deepEqual(sessionLines(s.root, 'late').map((l) => l.seq), [1, 2, 4, 6]);
  });

  it('deletes a segment removed by the cap only after a metadata.json write that records the removal', async () => {
    const q = queued();
    q.hold = () => false;
    const s = store({ fs: q.fs, durability: 'none', compression: 'none', maxFileSize: 2000, maxSessionSize: 5000 });
    const session = s.open('cap');
    for (let i = 0; i < 30; i++) append(session, session.nextSeq());
    await s.drain();
    assert.equal(readMetadata(s.root, 'cap').removed.length, 0);
    q.hold = (call) => metadataCalls(call) || call.name === 'rename';
    session.setAttributes({ during: 'a metadata.json write under way' }); // its snapshot is taken now
    for (let i = 0; i < 15; i++) append(session, session.nextSeq());
    await (await q.next('rename')).complete(); // the rotation: the cap records the oldest segment as removed
    await sealed();
    q.hold = metadataCalls;
    let unlinks = 0;
    while (q.pending.length > 0) {
      const call = q.pending[0]!;
      if (call.name === 'promises.unlink' && /\.\d{6}\.jsonl/.test(call.path!)) {
        const name = call.path!.slice(call.path!.lastIndexOf('/') + 1);
        const removed = readMetadata(s.root, 'cap').removed.map((r: { file: string }) => r.file);
        assert.ok(removed.includes(name), `${name} is deleted while metadata.json records as removed only ${JSON.stringify(removed)}`);
        unlinks++;
      }
      await call.complete();
      if (q.pending.length === 0) await sealed();
    }
    assert.equal(unlinks, 1);
  });

  it('retention while a reopen is still recovering: a segment it removes is not listed again, and every listed one exists', async () => {
    const dir = tempDir();
    const first = store({ dir, compression: 'none', maxFileSize: 2000, maxSessionSize: 1 << 30 });
    const before = first.open('kept');
    for (let i = 0; i < 40; i++) append(before, before.nextSeq());
    await first.shutdown();
    const sessionDir = join(dir, 'kept');
    const segments = readdirSync(sessionDir).filter((name) => /\.\d{6}\.jsonl$/.test(name));
    assert.ok(segments.length >= 2);
    for (const name of segments) utimesSync(join(sessionDir, name), new Date(0), new Date(0));
    const q = queued(); // recovery's steps wait
    const second = store({ dir, fs: q.fs, compression: 'none', maxFileSize: 2000, maxSessionSize: 1 << 30 });
    const session = second.open('kept');
    const pruning = session.pruneSegmentsBefore(Date.now(), false);
    await q.releaseAll();
    assert.equal((await pruning).length, segments.length);
    await second.shutdown();
    const meta = readMetadata(dir, 'kept');
    const listed = meta.segments.map((segment: { file: string }) => segment.file);
    assert.deepEqual(listed.filter((file: string) => meta.removed.some((r: { file: string }) => r.file === file)), [], 'listed and removed at once');
    for (const file of listed) assert.ok(existsSync(join(sessionDir, file)), `${file} is listed but gone`);
  });

  it('writes audit lines to audit.jsonl and system lines to system.jsonl, sharing one seq', async () => {
    const s = store();
    const session = s.open('split');
    for (let i = 1; i <= 6; i++) append(session, session.nextSeq(), i % 3 === 0);
    await s.shutdown();
    const lines = sessionLines(s.root, 'split');
    assert.deepEqual(lines.map((l) => [l.seq, l.category]), [[1, 'system'], [2, 'system'], [3, 'audit'], [4, 'system'], [5, 'system'], [6, 'audit']]);
    assert.ok(lines.filter((l) => l.category === 'audit').every((l) => typeof l.chain === 'string'));
  });
});
