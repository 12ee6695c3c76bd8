import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { appendChain, nextChain, splitChainedLine } from '../../format/auditChain.ts';
import type { SegmentInfo } from '../../format/sessionMetadata.ts';
import { BufferPool } from '../../storage/BufferPool.ts';
import { FdBudget } from '../../storage/FdBudget.ts';
import { type FileSystem, nodeFileSystem } from '../../storage/FileSystem.ts';
import { GroupCommit } from '../../storage/GroupCommit.ts';
import { StreamWriter, type StreamWriterOptions } from '../../storage/StreamWriter.ts';
import { type WriterStats, newWriterStats } from '../../storage/WriterStats.ts';
import { ControlledFileSystem } from '../support/ControlledFileSystem.ts';
import { tempDir } from '../support/sessionFiles.ts';

interface Drop {
  first: number;
  last: number;
  count: number;
  error: string;
  chainAfter: string | undefined;
  episodeStart: boolean;
}

interface Harness {
  writer: StreamWriter;
  dir: string;
  path: string;
  /** What reserved() answers; reserveSync() raises it (a synchronous metadata.json write that works). */
  reserved: { value: number };
  requests: { count: number };
  drops: Drop[];
  faults: Array<string | null>;
  rotated: SegmentInfo[];
  stats: WriterStats;
  chain: { head: string } | undefined;
  memory: { buffered: number; limit: number };
}

/** A StreamWriter alone, with everything the session would give it under the test's control. */
function harness(options: { fs?: FileSystem; fds?: FdBudget; pool?: BufferPool; maxFileSize?: number; highWaterMark?: number; checkIntervalMs?: number; chained?: boolean; groupCommit?: GroupCommit; reserved?: number; reserveSync?: (seq: number) => void; hold?: (writer: StreamWriter) => boolean } = {}): Harness {
  const dir = tempDir();
  const reserved = { value: options.reserved ?? Number.MAX_SAFE_INTEGER };
  const requests = { count: 0 };
  const drops: Drop[] = [];
  const faults: Array<string | null> = [];
  const rotated: SegmentInfo[] = [];
  const stats = newWriterStats();
  const chain = options.chained ? { head: '' } : undefined;
  const memory = { buffered: 0, limit: 1 << 30 };
  const writerOptions: StreamWriterOptions = {
    dir, stream: options.chained ? 'audit' : 'system', fs: options.fs ?? nodeFileSystem, fds: options.fds ?? new FdBudget(8), pool: options.pool ?? new BufferPool(4096, 4), stats,
    memory,
    maxFileSize: options.maxFileSize ?? 1 << 20, highWaterMark: options.highWaterMark ?? 1 << 20, checkIntervalMs: options.checkIntervalMs ?? 1e9,
    chain,
    groupCommit: options.groupCommit,
    reserved: () => reserved.value,
    requestReservation: () => requests.count++,
    reserveSync: options.reserveSync ?? ((seq) => (reserved.value = Math.max(reserved.value, seq))),
    scheduleSeal: () => {}, // the tests seal when they choose
    hold: options.hold ?? (() => false), // written at once unless the test holds: most tests are about what gets written, not when
    onRotated: (segment) => rotated.push(segment),
    onDropped: (first, last, count, error, chainAfter, episodeStart) => drops.push({ first, last, count, error, chainAfter, episodeStart }),
    onFault: (error) => faults.push(error === null ? null : (error.code ?? error.message)),
  };
  const writer = new StreamWriter(writerOptions);
  writer.resume({ bytes: 0, lines: 0, first_seq: 0, last_seq: 0, last_chain: '', ino: 0 }, 0, 1);
  return { writer, dir, path: writer.activePath, reserved, requests, drops, faults, rotated, stats, chain, memory };
}

/** A harness whose asynchronous writes wait for the test; every other call runs at once. */
function heldWrites(options: Parameters<typeof harness>[0] = {}): Harness & { q: ControlledFileSystem } {
  const q = new ControlledFileSystem();
  q.hold = (call) => call.name === 'write';
  return { ...harness({ ...options, fs: q.fs }), q };
}

/** One turn of the event loop (what the store's seal and the pool's callbacks wait for). */
const turn = () => new Promise((resolve) => setImmediate(resolve));

function line(seq: number, body = `record ${seq}`): string {
  return `{"seq":${seq},"body":${JSON.stringify(body)}}`;
}

/** Append seqs first..last (bodies of `bodyChars` when given) and seal them into one chunk. */
function chunk(writer: StreamWriter, first: number, last: number, bodyChars?: number): void {
  for (let seq = first; seq <= last; seq++) writer.append(bodyChars === undefined ? line(seq) : line(seq, 'x'.repeat(bodyChars)), seq);
  writer.seal();
}

function bytesOf(first: number, last: number): number {
  let bytes = 0;
  for (let seq = first; seq <= last; seq++) bytes += Buffer.byteLength(line(seq)) + 1;
  return bytes;
}

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** Seqs of a file, failing on any line that is not complete JSON (a torn or mixed line). */
function seqsIn(path: string): number[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  if (text !== '') assert.ok(text.endsWith('\n'), `${path} ends mid-line`);
  return text.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { seq: number }).seq);
}

function positionOf(call: { args: readonly unknown[] }): number {
  return call.args[4] as number;
}

describe('StreamWriter', () => {
  it('keeps chunks in append order: one write under way at a time, each at the offset it got when sealed', async () => {
    const h = heldWrites();
    const { q } = h;
    const positions: number[] = [];
    chunk(h.writer, 1, 3);
    for (const next of [[4, 6], [7, 9], undefined] as Array<[number, number] | undefined>) {
      const write = await q.next('write');
      if (next !== undefined) chunk(h.writer, next[0], next[1]); // sealed while the write before it is under way
      assert.equal(q.held('write').length, 1, 'the pump writes one chunk at a time');
      positions.push(positionOf(write));
      await write.complete();
    }
    await h.writer.idle();
    assert.deepEqual(positions, [0, bytesOf(1, 3), bytesOf(1, 6)]);
    assert.deepEqual(seqsIn(h.path), range(1, 9));
    assert.equal(h.stats.records, 9);
    assert.deepEqual(h.writer.activeState().last_seq, 9);
  });

  it('puts lines sealed behind a chunk that waits into that chunk, while its buffer has room: one write, not one per seal', async () => {
    const h = heldWrites();
    const { q } = h;
    chunk(h.writer, 1, 3); // its write starts at once and is held
    chunk(h.writer, 4, 6);
    chunk(h.writer, 7, 9); // joins 4-6, which no write has touched
    const first = await q.next('write');
    await first.complete();
    const second = await q.next('write');
    assert.equal(positionOf(second), bytesOf(1, 3));
    assert.equal((second.args[1] as Buffer).length, bytesOf(4, 9), 'one write for 4-9');
    chunk(h.writer, 10, 12); // 4-9 is being written: a chunk of its own
    await second.complete();
    const third = await q.next('write');
    assert.equal(positionOf(third), bytesOf(1, 9));
    await third.complete();
    await h.writer.idle();
    assert.deepEqual(seqsIn(h.path), range(1, 12));
    assert.equal(h.stats.records, 12);
    assert.equal(h.memory.buffered, 0);
  });

  it('encodes gathered lines into their chunk once they hold 4,096 characters, without waiting for the end of the turn (the strings do not outlive it on the heap)', async () => {
    for (const chained of [false, true]) {
      const q = new ControlledFileSystem();
      q.hold = () => false;
      // A pool of 64 KiB buffers, as the store's: the limit is 4,096 characters, not the buffer.
      const h = harness({ fs: q.fs, chained, pool: new BufferPool(64 * 1024, 4) });
      const stream = chained ? 'audit' : 'system';
      // ~300 characters each (chained lines are appended without their closing brace); no seal()
      for (let seq = 1; seq <= 40; seq++) h.writer.append(chained ? line(seq, 'x'.repeat(270)).slice(0, -1) : line(seq, 'x'.repeat(270)), seq);
      await turn();
      await turn();
      const written = seqsIn(h.path);
      assert.ok(written.length >= 26 && written.length < 40, `${stream}: ${written.length} of 40 lines written before the turn ended`);
      await h.writer.idle();
      assert.deepEqual(seqsIn(h.path), range(1, 40));
    }
  });

  describe('holding a chunk back for more lines', () => {
    /** A harness whose store holds every chunk it is asked to, until the test ends the hold; writes counted. */
    function holding(options: Parameters<typeof harness>[0] = {}) {
      const asked: StreamWriter[] = [];
      const q = new ControlledFileSystem();
      q.hold = () => false; // every call completes on the next turn
      const h = harness({ ...options, fs: q.fs, hold: (writer) => (asked.push(writer), true) });
      const writes = () => q.calls.filter((call) => call.name === 'write').length;
      return { ...h, asked, writes };
    }

    it('writes nothing while held; lines sealed meanwhile join the chunk: one write when the hold ends', async () => {
      const h = holding();
      chunk(h.writer, 1, 3);
      await turn();
      chunk(h.writer, 4, 6);
      await turn();
      assert.equal(h.writes(), 0, 'held: not written yet');
      assert.equal(h.asked.length, 1, 'the store was asked once, not once per seal');
      h.writer.endHold();
      await h.writer.idle();
      assert.equal(h.writes(), 1);
      assert.deepEqual(seqsIn(h.path), range(1, 6));
      assert.equal(h.stats.records, 6);
      assert.equal(h.memory.buffered, 0);
    });

    it('writes at once when the store holds no more (its cap)', async () => {
      const h = harness({ hold: () => false });
      chunk(h.writer, 1, 3);
      await h.writer.idle();
      assert.deepEqual(seqsIn(h.path), range(1, 3));
    });

    it('does not hold back what somebody waits for: waitFor() and idle() write it now', async () => {
      for (const wait of ['waitFor', 'idle'] as const) {
        const h = holding();
        chunk(h.writer, 1, 3);
        await turn();
        assert.equal(h.writes(), 0);
        await (wait === 'waitFor' ? h.writer.waitFor(false) : h.writer.idle());
        assert.deepEqual(seqsIn(h.path), range(1, 3), `${wait}() resolved with the lines written`);
        chunk(h.writer, 4, 4);
        const pending = h.writer.waitFor(false); // a waiter present when the chunk reaches the pump
        await pending;
        assert.deepEqual(seqsIn(h.path), range(1, 4), `${wait}: a chunk somebody waits for is not held`);
      }
    });

    it('writes the held chunk as soon as another queues behind it (its buffer is full)', async () => {
      const h = holding();
      chunk(h.writer, 1, 1);
      await turn();
      assert.equal(h.writes(), 0);
      chunk(h.writer, 2, 2, 3900); // does not fit the 4,096-byte pooled buffer after line 1
      await h.writer.waitFor(false);
      assert.deepEqual(seqsIn(h.path), range(1, 2));
    });

    it('flushSync (backpressure, exit) writes a held chunk', () => {
      const h = holding();
      chunk(h.writer, 1, 3);
      h.writer.flushSync(true);
      assert.deepEqual(seqsIn(h.path), range(1, 3));
    });
  });

  it('starts a new chunk when the one that waits has no room left in its pooled buffer', async () => {
    const h = heldWrites();
    const { q } = h;
    chunk(h.writer, 1, 1);
    const body = 'x'.repeat(1500); // three lines of ~1.5 KB do not fit one 4 KiB buffer
    for (let seq = 2; seq <= 4; seq++) {
      h.writer.append(line(seq, body), seq);
      h.writer.seal();
    }
    const bytes = (seqs: number[]) => seqs.reduce((sum, seq) => sum + Buffer.byteLength(seq === 1 ? line(1) : line(seq, body)) + 1, 0);
    for (const seqs of [[1], [2, 3], [4]]) {
      const write = await q.next('write');
      assert.equal((write.args[1] as Buffer).length, bytes(seqs), `one write for ${seqs.join(', ')}`);
      await write.complete();
    }
    await h.writer.idle();
    assert.deepEqual(seqsIn(h.path), range(1, 4));
  });

  it('continues a short write where it stopped, so a chunk is complete before the next one starts', async () => {
    const h = heldWrites();
    const { q } = h;
    chunk(h.writer, 1, 5);
    chunk(h.writer, 6, 6);
    await (await q.next('write')).complete({ bytes: 7 });
    const rest = await q.next('write');
    assert.equal(positionOf(rest), 7, 'the rest of the first chunk, not the second chunk');
    await rest.complete();
    await (await q.next('write')).complete();
    await h.writer.idle();
    assert.deepEqual(seqsIn(h.path), range(1, 6));
  });

  it('rotates before a line would pass maxFileSize: every segment ends at a line boundary, seqs in order across files', async () => {
    const maxFileSize = 250;
    const h = harness({ maxFileSize });
    for (let seq = 1; seq <= 40; seq++) {
      h.writer.append(line(seq), seq);
      if (seq % 7 === 0) h.writer.seal();
    }
    await h.writer.idle();
    const segments = readdirSync(h.dir).filter((name) => /^system\.\d{6}\.jsonl$/.test(name)).sort();
    assert.ok(segments.length >= 4, `${segments.length} segments`);
    const all: number[] = [];
    for (const name of segments) {
      const size = statSync(join(h.dir, name)).size;
      assert.ok(size <= maxFileSize, `${name}: ${size} bytes`);
      const seqs = seqsIn(join(h.dir, name));
      const recorded = h.rotated.find((segment) => segment.file === name)!;
      assert.deepEqual([recorded.first_seq, recorded.last_seq, recorded.lines, recorded.bytes], [seqs[0], seqs.at(-1), seqs.length, size], name);
      all.push(...seqs);
    }
    all.push(...seqsIn(h.path));
    assert.deepEqual(all, range(1, 40));
    assert.equal(h.stats.rotations, segments.length);
  });

  it('sizes chunks and files by bytes whatever the text: lines of 1- to 4-byte characters land whole, in order, no file past maxFileSize', async () => {
    // Chunks are reckoned in UTF-16 units until encoded (a unit is 1-3 bytes): a chunk of
    // 4,096 units may need 12 KiB, and the last chunks before maxFileSize are counted in bytes.
    const text = fc.array(fc.constantFrom('a', 'é', '€', '😀', '"', '\n'), { maxLength: 1500, size: 'max' }).map((chars) => chars.join(''));
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ body: text, seal: fc.integer({ min: 0, max: 9 }).map((n) => n === 0) }), { minLength: 1, maxLength: 60, size: 'max' }),
      fc.constantFrom(300, 2000, 9000, 1 << 20),
      fc.boolean(),
      async (records, maxFileSize, chained) => {
        const h = harness({ maxFileSize, chained });
        let expected = '';
        let chain = '';
        records.forEach(({ body, seal }, i) => {
          const full = line(i + 1, body);
          if (chained) {
            chain = nextChain(chain, full);
            expected += appendChain(full.slice(0, -1), chain) + '\n';
          } else expected += full + '\n';
          h.writer.append(chained ? full.slice(0, -1) : full, i + 1);
          if (seal) h.writer.seal();
        });
        h.writer.seal();
        await h.writer.idle();
        const stream = chained ? 'audit' : 'system';
        const files = readdirSync(h.dir).filter((name) => name.startsWith(`${stream}.`) && /\.\d{6}\.jsonl$/.test(name)).sort();
        let all = '';
        for (const name of files) {
          const data = readFileSync(join(h.dir, name), 'utf8');
          assert.ok(data.length > 0 && data.endsWith('\n'), `${name} ends at a line boundary`);
          const lines = data.split('\n').length - 1;
          assert.ok(Buffer.byteLength(data) <= maxFileSize || lines === 1, `${name}: ${Buffer.byteLength(data)} bytes in ${lines} lines, maxFileSize ${maxFileSize}`);
          all += data;
        }
        if (existsSync(h.path)) all += readFileSync(h.path, 'utf8');
        assert.equal(all, expected);
        assert.equal(h.stats.records, records.length);
        assert.equal(h.writer.activeBytes, existsSync(h.path) ? statSync(h.path).size : 0);
        assert.equal(h.memory.buffered, 0, 'what the writer counted as buffered is all released');
      },
    ), { numRuns: 40 });
  });

  it('puts a line longer than maxFileSize in a file of its own', async () => {
    const h = harness({ maxFileSize: 100 });
    h.writer.append(line(1), 1);
    h.writer.append(line(2, 'x'.repeat(300)), 2);
    h.writer.append(line(3), 3);
    await h.writer.idle();
    assert.deepEqual(seqsIn(join(h.dir, 'system.000001.jsonl')), [1]);
    assert.deepEqual(seqsIn(join(h.dir, 'system.000002.jsonl')), [2]);
    assert.deepEqual(seqsIn(h.path), [3]);
  });

  it('drops exactly the chunk whose write failed and moves later chunks back: no hole, no torn line', async () => {
    const h = heldWrites();
    const { q } = h;
    chunk(h.writer, 1, 3);
    chunk(h.writer, 4, 6);
    await (await q.next('write')).complete();
    const second = await q.next('write');
    chunk(h.writer, 7, 9); // sealed while 4-6 is being written
    // The disk fills up 10 bytes into the second chunk: part of a line is left in the file.
    await second.fail('ENOSPC', { written: 10 });
    const third = await q.next('write');
    assert.equal(positionOf(third), bytesOf(1, 3), 'the third chunk takes the failed one\'s place');
    await third.complete();
    await h.writer.idle();
    assert.deepEqual(seqsIn(h.path), [1, 2, 3, 7, 8, 9]);
    assert.equal(statSync(h.path).size, bytesOf(1, 3) + bytesOf(7, 9));
    assert.deepEqual(h.drops, [{ first: 4, last: 6, count: 3, error: 'ENOSPC', chainAfter: undefined, episodeStart: true }]);
    assert.deepEqual(h.faults, ['ENOSPC', null], 'one report when the fault starts, one when writing works again');
    assert.deepEqual([h.stats.records, h.stats.dropped], [6, 3]);
    assert.equal(h.writer.activeState().lines, 6);
  });

  it('writes nothing twice when flushSync runs while an asynchronous write is under way', async () => {
    const h = heldWrites();
    const { q } = h;
    chunk(h.writer, 1, 3);
    const inflight = await q.next('write');
    for (let seq = 4; seq <= 6; seq++) h.writer.append(line(seq), seq);
    h.writer.flushSync(false);
    assert.deepEqual(seqsIn(h.path), range(1, 6), 'written synchronously, in order');
    // The pump's write of the first chunk lands afterwards: the same bytes at the same offset.
    await inflight.complete();
    await h.writer.idle();
    assert.deepEqual(seqsIn(h.path), range(1, 6));
    assert.equal(statSync(h.path).size, bytesOf(1, 6));
    assert.equal(h.stats.records, 6, 'each chunk counted once');
    assert.equal(q.pending.length, 0);
  });

  it('lets nothing above reserved() reach the disk until reservationDurable()', async () => {
    const h = heldWrites({ reserved: 5 });
    const { q } = h;
    chunk(h.writer, 1, 5);
    chunk(h.writer, 6, 10);
    await (await q.next('write')).complete();
    assert.equal(q.held('write').length, 0, 'the chunk up to seq 10 waits');
    assert.equal(h.requests.count, 1, 'and asks for a reservation');
    assert.deepEqual(seqsIn(h.path), range(1, 5));
    h.writer.reservationDurable(); // a reservation that does not cover it changes nothing
    assert.equal(q.held('write').length, 0);
    h.reserved.value = 10;
    h.writer.reservationDurable();
    await (await q.next('write')).complete();
    await h.writer.idle();
    assert.deepEqual(seqsIn(h.path), range(1, 10));
  });

  it('holds a whole chunk that only partly lies above the reservation', () => {
    const h = heldWrites({ reserved: 3 });
    const { q } = h;
    chunk(h.writer, 1, 5); // the pump decides at once: no write is issued
    assert.equal(q.held('write').length, 0);
    assert.equal(h.requests.count, 1);
    assert.ok(!existsSync(h.path) || statSync(h.path).size === 0);
  });

  it('flushSync reserves synchronously first, and writes nothing above the reservation when that fails', () => {
    const reserveCalls: number[] = [];
    const h = harness({ reserved: 3, reserveSync: (seq) => reserveCalls.push(seq) }); // a reservation write that failed
    chunk(h.writer, 1, 3);
    for (let seq = 4; seq <= 6; seq++) h.writer.append(line(seq), seq);
    h.writer.flushSync(false);
    assert.deepEqual(reserveCalls, [6]);
    assert.deepEqual(seqsIn(h.path), range(1, 3));
    assert.ok(h.requests.count >= 1, 'the rest waits for an asynchronous reservation');
  });

  it('dropAbove drops the chunks above the reservation after the write under way, counted and ranged', async () => {
    const h = heldWrites({ reserved: 5 });
    const { q } = h;
    chunk(h.writer, 1, 5);
    const first = await q.next('write');
    for (let seq = 6; seq <= 10; seq++) h.writer.append(line(seq), seq); // not sealed yet: dropAbove seals it
    const settled = h.writer.waitFor(false);
    h.writer.dropAbove(Object.assign(new Error('metadata.json could not be written'), { code: 'EIO' }));
    assert.equal(h.drops.length, 0, 'nothing is settled while a write is under way');
    await first.complete();
    await settled;
    assert.deepEqual(seqsIn(h.path), range(1, 5));
    assert.deepEqual(h.drops.map((d) => [d.first, d.last, d.count, d.error]), [[6, 10, 5, 'EIO']]);
    assert.equal(h.stats.dropped, 5);
  });

  it('dropAbove drops nothing before a chunk below the reservation that waits (held back) has been written or dropped: ranges stay in seq order', async () => {
    const q = new ControlledFileSystem();
    q.hold = () => false;
    const h = harness({ fs: q.fs, reserved: 3, hold: () => true });
    chunk(h.writer, 1, 3); // below the reservation: held back for more lines
    await turn();
    q.fail('ENOSPC', ['write', 'writeSync']); // the disk fills up
    h.writer.append(line(4, 'x'.repeat(3900)), 4); // above the reservation; does not fit the held chunk's buffer
    h.writer.dropAbove(Object.assign(new Error('metadata.json could not be written'), { code: 'ENOSPC' }));
    await h.writer.idle();
    assert.deepEqual(h.drops.map((d) => [d.first, d.last, d.error, d.episodeStart]), [[1, 3, 'ENOSPC', true], [4, 4, 'ENOSPC', false]]);
  });

  it('holds nothing back during a fault: the next chunk is tried at once', async () => {
    const q = new ControlledFileSystem();
    q.hold = () => false;
    const asked: StreamWriter[] = [];
    const h = harness({ fs: q.fs, hold: (writer) => (asked.push(writer), true) });
    q.fail('ENOSPC', ['write']);
    chunk(h.writer, 1, 1);
    await turn();
    h.writer.endHold(); // the store's timer
    await turn();
    await turn();
    assert.equal(h.drops.length, 1, 'the first chunk failed: a fault episode is on');
    chunk(h.writer, 2, 2);
    await turn();
    await turn();
    assert.equal(asked.length, 1, 'not held back again during the fault');
    assert.deepEqual(h.drops.map((d) => [d.first, d.last]), [[1, 1], [2, 2]]);
  });

  it('dropAbove writes what was reserved by the time the write under way ends', async () => {
    const h = heldWrites({ reserved: 5 });
    const { q } = h;
    chunk(h.writer, 1, 5);
    chunk(h.writer, 6, 10);
    const first = await q.next('write');
    h.writer.dropAbove(Object.assign(new Error('x'), { code: 'EIO' }));
    h.reserved.value = 10;
    await first.complete();
    await (await q.next('write')).complete();
    await h.writer.idle();
    assert.deepEqual(seqsIn(h.path), range(1, 10));
    assert.deepEqual(h.drops, []);
  });

  it('notices a deleted active file: the lines written since the last check are recorded as EREPLACED, writing starts over at offset 0', async () => {
    const h = harness({ checkIntervalMs: 0 });
    chunk(h.writer, 1, 3);
    await h.writer.idle();
    unlinkSync(h.path);
    chunk(h.writer, 4, 6);
    await h.writer.idle();
    assert.deepEqual(seqsIn(h.path), [4, 5, 6]);
    assert.equal(statSync(h.path).size, bytesOf(4, 6));
    assert.deepEqual(h.drops.map((d) => [d.first, d.last, d.count, d.error, d.episodeStart]), [[1, 3, 3, 'EREPLACED', true]]);
    assert.ok(h.faults.includes('EREPLACED'));
    assert.deepEqual([h.writer.activeState().first_seq, h.writer.activeState().lines], [4, 3]);
    assert.deepEqual([h.stats.records, h.stats.dropped], [3, 3]);
  });

  it('notices a file deleted while the descriptor budget had it closed, before opening it again: no hole, the lines since the last check recorded as EREPLACED', async () => {
    const fds = new FdBudget(2);
    const h = harness({ checkIntervalMs: 1e9, fds }); // no periodic check: only the reopen may notice
    chunk(h.writer, 1, 3);
    await h.writer.idle();
    // Two other files take the budget's slots: ours, idle, is closed.
    const other = { isBusy: () => false, closeIdle: () => {} };
    fds.acquireNow({ ...other });
    fds.acquireNow({ ...other });
    unlinkSync(h.path);
    chunk(h.writer, 4, 6);
    await h.writer.idle();
    assert.deepEqual(seqsIn(h.path), [4, 5, 6]);
    assert.equal(statSync(h.path).size, bytesOf(4, 6), 'written from offset 0, not after a hole where the deleted lines were');
    assert.deepEqual(h.drops.map((d) => [d.first, d.last, d.count, d.error]), [[1, 3, 3, 'EREPLACED']]);
    assert.deepEqual([h.stats.records, h.stats.dropped], [3, 3]);
  });

  it('moves a file planted in place of the active file aside, never writing into it', async () => {
    const h = harness({ checkIntervalMs: 0 });
    chunk(h.writer, 1, 3);
    await h.writer.idle();
    const planted = join(h.dir, 'planted');
    writeFileSync(planted, 'not ours\n');
    renameSync(planted, h.path);
    chunk(h.writer, 4, 6);
    await h.writer.idle();
    assert.deepEqual(seqsIn(h.path), [4, 5, 6]);
    const aside = readdirSync(h.dir).filter((name) => name.startsWith('system.jsonl.replaced-'));
    assert.equal(aside.length, 1);
    assert.equal(readFileSync(join(h.dir, aside[0]!), 'utf8'), 'not ours\n');
    assert.deepEqual(h.drops.map((d) => [d.first, d.last, d.error]), [[1, 3, 'EREPLACED']]);
  });

  it('checks the file no more often than checkIntervalMs', async () => {
    const q = new ControlledFileSystem();
    q.hold = () => false;
    const h = harness({ fs: q.fs, checkIntervalMs: 1e9 });
    for (let i = 0; i < 5; i++) {
      chunk(h.writer, i * 3 + 1, i * 3 + 3);
      await h.writer.idle();
    }
    assert.equal(q.calls.filter((call) => call.name === 'lstat').length, 0);
  });

  it('waitFor(true) resolves when written if the stream has no group commit, without any fdatasync', async () => {
    const q = new ControlledFileSystem();
    q.hold = () => false;
    const h = harness({ fs: q.fs });
    chunk(h.writer, 1, 3);
    await h.writer.waitFor(true);
    assert.deepEqual(seqsIn(h.path), [1, 2, 3]);
    assert.equal(q.calls.filter((call) => call.name.startsWith('fdatasync') || call.name.startsWith('fsync')).length, 0);
  });

  it('waitFor(true) resolves only after the group commit fdatasync\'ed the lines; waitFor(false) once written', async () => {
    const q = new ControlledFileSystem();
    q.hold = (call) => call.name === 'write' || call.name === 'fdatasync';
    const h = harness({ fs: q.fs, groupCommit: new GroupCommit(4) });
    chunk(h.writer, 1, 3);
    let durable = false;
    const durablePromise = h.writer.waitFor(true).then(() => (durable = true));
    const written = h.writer.waitFor(false);
    await (await q.next('write')).complete();
    await written;
    const sync = await q.next('fdatasync');
    assert.equal(durable, false, 'written is not durable');
    await sync.complete();
    await durablePromise;
    assert.equal(durable, true);
  });

  it('waitFor(true) rejects when the fdatasync fails, and the fault is reported', async () => {
    const q = new ControlledFileSystem();
    q.hold = (call) => call.name === 'fdatasync';
    const h = harness({ fs: q.fs, groupCommit: new GroupCommit(4) });
    chunk(h.writer, 1, 3);
    const durable = h.writer.waitFor(true);
    await (await q.next('fdatasync')).fail('EIO');
    await assert.rejects(durable, { code: 'EIO' });
    assert.deepEqual(h.faults, ['EIO']);
  });

  it('gives chained (audit) lines their chain when the chunk is sealed, continuing across chunks', async () => {
    const h = harness({ chained: true });
    const open = (seq: number) => line(seq).slice(0, -1); // chained lines are appended without their closing brace
    for (let seq = 1; seq <= 3; seq++) h.writer.append(open(seq), seq);
    assert.equal(h.chain!.head, '', 'appended, not sealed: no chain computed yet');
    h.writer.seal();
    assert.equal(h.chain!.head, nextChain(nextChain(nextChain('', open(1) + '}'), open(2) + '}'), open(3) + '}'));
    for (let seq = 4; seq <= 5; seq++) h.writer.append(open(seq), seq);
    h.writer.seal();
    await h.writer.idle();
    const lines = readFileSync(h.path, 'utf8').split('\n').filter((l) => l !== '');
    let previous = '';
    lines.forEach((text, i) => {
      const split = splitChainedLine(text)!;
      assert.equal(split.hashed, open(i + 1) + '}');
      assert.equal(split.chain, nextChain(previous, open(i + 1) + '}'), `chain of seq ${i + 1}`);
      previous = split.chain;
    });
    assert.equal(lines.length, 5);
    assert.equal(h.writer.activeState().last_chain, previous);
  });

  it('chains a chunk sealed behind a dropped one again from the last line written, at the same size', async () => {
    const h = heldWrites({ chained: true });
    const { q } = h;
    const open = (seq: number) => line(seq).slice(0, -1);
    const seal = (first: number, last: number) => {
      for (let seq = first; seq <= last; seq++) h.writer.append(open(seq), seq);
      h.writer.seal(); // each chunk is chained from the one before when sealed
    };
    seal(1, 2);
    seal(3, 4);
    await (await q.next('write')).complete();
    const second = await q.next('write');
    seal(5, 6); // chained after 3-4, which is being written
    await second.fail('EIO'); // 3-4 lost: 5-6 was chained after them
    await (await q.next('write')).complete();
    await h.writer.idle();
    assert.deepEqual(h.drops.map((d) => [d.first, d.last, d.chainAfter]), [[3, 4, undefined]]);
    const lines = readFileSync(h.path, 'utf8').split('\n').filter((l) => l !== '');
    let previous = '';
    for (const text of lines) {
      const split = splitChainedLine(text)!;
      assert.equal(split.chain, nextChain(previous, split.hashed), `the chain runs over the lines written: ${split.hashed}`);
      previous = split.chain;
    }
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as { seq: number }).seq), [1, 2, 5, 6]);
    assert.equal(h.writer.writtenChain, previous);
  });

  it('chains lines that join a chunk that waits on from its last line', async () => {
    const h = heldWrites({ chained: true });
    const { q } = h;
    const open = (seq: number) => line(seq).slice(0, -1);
    for (const [first, last] of [[1, 2], [3, 4], [5, 6]]) {
      for (let seq = first!; seq <= last!; seq++) h.writer.append(open(seq), seq);
      h.writer.seal(); // 5-6 joins 3-4
    }
    await (await q.next('write')).complete();
    await (await q.next('write')).complete();
    await h.writer.idle();
    const lines = readFileSync(h.path, 'utf8').split('\n').filter((l) => l !== '');
    let previous = '';
    for (const text of lines) {
      const split = splitChainedLine(text)!;
      assert.equal(split.chain, nextChain(previous, split.hashed));
      previous = split.chain;
    }
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as { seq: number }).seq), range(1, 6));
    assert.equal(h.writer.activeState().last_chain, previous);
  });

  it('writes synchronously past the high-water mark (backpressure), in order', () => {
    const q = new ControlledFileSystem(); // holds every asynchronous call: only the synchronous path can write
    const h = harness({ fs: q.fs, highWaterMark: 200 });
    for (let seq = 1; seq <= 20; seq++) h.writer.append(line(seq), seq);
    assert.ok(h.stats.backpressure > 0);
    const seqs = seqsIn(h.path);
    assert.ok(seqs.length >= 15, `${seqs.length} written synchronously`);
    assert.deepEqual(seqs, range(1, seqs.length));
  });

  it('flushSync during a rotation\'s rename writes what precedes it and leaves the new file\'s lines for after it', async () => {
    const q = new ControlledFileSystem();
    q.hold = (call) => call.name === 'rename';
    const h = harness({ fs: q.fs, maxFileSize: bytesOf(1, 6) + 10 });
    for (let seq = 1; seq <= 6; seq++) h.writer.append(line(seq), seq);
    h.writer.flushSync(false); // seals, writes; the seventh line does not fit: it starts a rotation
    for (let seq = 7; seq <= 9; seq++) h.writer.append(line(seq), seq);
    h.writer.seal();
    const rename = await q.next('rename');
    h.writer.flushSync(false);
    assert.deepEqual(seqsIn(h.path), range(1, 6), 'the old file, whole; nothing of the new one yet');
    rename.complete();
    await h.writer.idle();
    assert.deepEqual(seqsIn(join(h.dir, 'system.000001.jsonl')), range(1, 6));
    assert.deepEqual(seqsIn(h.path), range(7, 9));
    assert.deepEqual(readdirSync(h.dir).filter((name) => name.includes('replaced')), []);
  });

  it('keeps writing to the old file when the rotation rename fails: no segment, no hole', async () => {
    const q = new ControlledFileSystem();
    q.hold = (call) => call.name === 'rename';
    const h = harness({ fs: q.fs, maxFileSize: 200 });
    for (let seq = 1; seq <= 8; seq++) h.writer.append(line(seq), seq);
    await (await q.next('rename')).fail('EACCES');
    q.hold = () => false;
    await h.writer.idle();
    assert.deepEqual(seqsIn(h.path), range(1, 8));
    assert.deepEqual(h.rotated, []);
    assert.ok(h.faults.includes('EACCES'));
  });
});
