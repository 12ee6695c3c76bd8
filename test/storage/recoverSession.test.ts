import assert from 'node:assert/strict';
import { cpSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { appendChain, nextChain } from '../../format/auditChain.ts';
import { eventPart, formatLineOpen, sessionPart } from '../../format/formatLine.ts';
import { type SessionMetadata, newMetadata } from '../../format/sessionMetadata.ts';
import { nodeFileSystem } from '../../storage/FileSystem.ts';
import { type RecoveredSession, recoverSession } from '../../storage/recoverSession.ts';
import { runAsync, runSync } from '../../storage/recoveryIo.ts';
import { tempDir } from '../support/sessionFiles.ts';

const ID = 'rec';
const SYSTEM = eventPart('output', 'system', 'full', 'INFO');
const AUDIT = eventPart('input', 'audit', 'full', 'INFO');

/** Lines as the writer builds them; audit lines chained from `chain.head`. */
function systemLines(seqs: number[]): string {
  return seqs.map((seq) => formatLineOpen([1_700_000_000, seq], seq, sessionPart(ID), SYSTEM, `out ${seq}`, undefined, undefined) + '}\n').join('');
}

function auditLines(seqs: number[], chain: { head: string }): string {
  return seqs.map((seq) => {
    const open = formatLineOpen([1_700_000_000, seq], seq, sessionPart(ID), AUDIT, `in ${seq}`, undefined, undefined);
    chain.head = nextChain(chain.head, open + '}');
    return appendChain(open, chain.head) + '\n';
  }).join('');
}

function sessionDir(): string {
  const dir = join(tempDir(), ID);
  mkdirSync(dir);
  return dir;
}

function meta(changes: Partial<SessionMetadata> = {}): SessionMetadata {
  return { ...newMetadata(ID, 'full', {}, new Date(0)), ...changes };
}

/** Recovery run synchronously, as at an open that read `m` (its reservation is the one read at open). */
function recover(dir: string, m: SessionMetadata, compressing: boolean): RecoveredSession {
  return runSync(nodeFileSystem, recoverSession(dir, m, compressing, m.seq_reserved));
}

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** The active file state metadata.json would have recorded for `path` as it is now. */
function knownState(path: string, lines: number, first: number, last: number, lastChain = '') {
  return { bytes: statSync(path).size, lines, first_seq: first, last_seq: last, last_chain: lastChain, ino: statSync(path).ino };
}

describe('recoverSession', () => {
  it('cuts a torn last line and records how many bytes it cut', () => {
    const dir = sessionDir();
    const whole = systemLines([1, 2, 3]);
    const torn = systemLines([4]).slice(0, 40);
    writeFileSync(join(dir, 'system.jsonl'), whole + torn);
    const found = recover(dir, meta({ seq_reserved: 4 }), false);
    const active = found.active.system;
    assert.deepEqual([active.tornBytes, active.size, active.state.lines, active.state.first_seq, active.state.last_seq], [40, Buffer.byteLength(whole), 3, 1, 3]);
    assert.equal(readFileSync(join(dir, 'system.jsonl'), 'utf8'), whole);
    assert.deepEqual(found.crashLosses, [[4, 4]], 'the torn record was reserved and is not on disk');
  });

  // Crash losses = seqs reserved (up to seq_reserved) minus seqs on disk minus seqs metadata.json records.
  const lossCases: Array<{ name: string; system: number[]; audit: number[]; changes: Partial<SessionMetadata>; losses: Array<[number, number]> }> = [
    { name: 'everything reserved is on disk', system: [1, 2, 4], audit: [3], changes: { seq_reserved: 4 }, losses: [] },
    { name: 'the reserved tail never written', system: [1, 2, 4, 5], audit: [3, 6], changes: { seq_reserved: 10 }, losses: [[7, 10]] },
    { name: 'a hole in the middle and the tail', system: [1, 2, 5], audit: [3], changes: { seq_reserved: 7 }, losses: [[4, 4], [6, 7]] },
    {
      name: 'earlier crash losses are not counted again; drop and removal ranges explain nothing here (they span the other stream)', system: [1, 2, 4, 5], audit: [3, 6],
      changes: {
        seq_reserved: 12,
        drops: [{ stream: 'system', first_seq: 8, last_seq: 8, count: 1, error: 'ENOSPC', at: '' }],
        removed: [{ file: 'system.000001.jsonl', stream: 'system', first_seq: 9, last_seq: 9, lines: 1, reason: 'cap', at: '' }],
        crash_losses: [{ first_seq: 11, last_seq: 11, at: '' }],
      },
      losses: [[7, 10], [12, 12]],
    },
    { name: 'only seqs above written_through are looked at', system: [5], audit: [], changes: { seq_reserved: 6, written_through: 4 }, losses: [[6, 6]] },
    { name: 'none for a session that was closed (ended_at set)', system: [1], audit: [], changes: { seq_reserved: 9, ended_at: '2024-01-01T00:00:00.000Z' }, losses: [] },
  ];
  for (const c of lossCases) {
    it(`finds crash losses: ${c.name}`, () => {
      const dir = sessionDir();
      writeFileSync(join(dir, 'system.jsonl'), systemLines(c.system));
      writeFileSync(join(dir, 'audit.jsonl'), auditLines(c.audit, { head: '' }));
      const found = recover(dir, meta(c.changes), false);
      assert.deepEqual(found.crashLosses, c.losses);
      assert.equal(found.maxSeqOnDisk, Math.max(0, ...c.system, ...c.audit, c.changes.written_through ?? 0));
    });
  }

  it('finds seqs above written_through inside the part metadata.json knew written (the other stream was behind)', () => {
    const dir = sessionDir();
    const path = join(dir, 'system.jsonl');
    writeFileSync(path, systemLines([1, 2, 4, 5, 6]));
    // metadata.json saw all five lines written, but the audit line 3 was not yet: written_through stayed 2.
    const known = knownState(path, 5, 1, 6);
    writeFileSync(path, systemLines([1, 2, 4, 5, 6, 8]));
    writeFileSync(join(dir, 'audit.jsonl'), auditLines([3, 7], { head: '' }));
    const found = recover(dir, meta({ seq_reserved: 9, written_through: 2, active: { system: known, audit: meta().active.audit } }), false);
    assert.deepEqual(found.crashLosses, [[9, 9]]);
    assert.deepEqual([found.active.system.state.lines, found.active.system.state.last_seq], [6, 8]);
  });

  it('reads an active file from the start when its inode is not the one metadata.json knew (rotated after that write)', () => {
    const dir = sessionDir();
    const path = join(dir, 'system.jsonl');
    writeFileSync(path, systemLines([7, 8]));
    const stale = { bytes: 10_000, lines: 50, first_seq: 1, last_seq: 50, last_chain: '', ino: statSync(path).ino + 1 };
    const found = recover(dir, meta({ seq_reserved: 8, written_through: 6, active: { system: stale, audit: meta().active.audit } }), false);
    assert.deepEqual([found.active.system.state.lines, found.active.system.state.first_seq, found.active.system.size], [2, 7, statSync(path).size]);
  });

  it('describes a segment that metadata.json does not list, and continues segment numbers after it', () => {
    const dir = sessionDir();
    const chain = { head: '' };
    writeFileSync(join(dir, 'system.000001.jsonl'), systemLines([1, 2]));
    const audit = auditLines([3, 4], chain);
    writeFileSync(join(dir, 'audit.000003.jsonl.gz'), gzipSync(audit));
    const afterSegment = chain.head;
    writeFileSync(join(dir, 'system.jsonl'), systemLines([5]));
    const found = recover(dir, meta({ seq_reserved: 5 }), true);
    assert.deepEqual(found.segments, [
      { file: 'system.000001.jsonl', stream: 'system', number: 1, first_seq: 1, last_seq: 2, lines: 2, bytes: statSync(join(dir, 'system.000001.jsonl')).size, compression: 'none', stored_bytes: statSync(join(dir, 'system.000001.jsonl')).size },
      { file: 'audit.000003.jsonl.gz', stream: 'audit', number: 3, first_seq: 3, last_seq: 4, lines: 2, bytes: Buffer.byteLength(audit), compression: 'gzip', stored_bytes: statSync(join(dir, 'audit.000003.jsonl.gz')).size, last_chain: afterSegment },
    ]);
    assert.deepEqual(found.nextSegment, { system: 2, audit: 4 });
    assert.equal(found.chainHead, afterSegment, 'the audit chain continues from the last audit segment');
    assert.deepEqual(found.toCompress, [join(dir, 'system.000001.jsonl')]);
    assert.deepEqual(found.crashLosses, []);
  });

  it('finishes what a crash interrupted: temp files, a superseded plain segment, a recorded removal', () => {
    const dir = sessionDir();
    writeFileSync(join(dir, 'metadata.json.tmp'), '{');
    writeFileSync(join(dir, 'system.000002.jsonl.gz.tmp'), 'partial');
    writeFileSync(join(dir, '.lock.123.abcd.tmp'), 'another process is taking the lock');
    writeFileSync(join(dir, 'system.000001.jsonl'), systemLines([1, 2]));
    writeFileSync(join(dir, 'system.000001.jsonl.gz'), gzipSync(systemLines([1, 2])));
    writeFileSync(join(dir, 'system.000002.jsonl'), systemLines([3]));
    const removed = [{ file: 'system.000002.jsonl', stream: 'system' as const, first_seq: 3, last_seq: 3, lines: 1, reason: 'cap' as const, at: '' }];
    const found = recover(dir, meta({ seq_reserved: 3, written_through: 3, removed }), true);
    assert.deepEqual(readdirSync(dir).sort(), ['.lock.123.abcd.tmp', 'system.000001.jsonl.gz']);
    assert.deepEqual(found.segments.map((s) => s.file), ['system.000001.jsonl.gz']);
    assert.deepEqual(found.toCompress, []);
    assert.deepEqual(found.nextSegment.system, 3);
    assert.deepEqual(found.crashLosses, []);
  });

  it('refuses an active file with a second name (a hard link)', () => {
    const dir = sessionDir();
    writeFileSync(join(dir, 'system.jsonl'), systemLines([1]));
    linkSync(join(dir, 'system.jsonl'), join(tempDir(), 'outside'));
    assert.throws(() => recover(dir, meta({ seq_reserved: 1 }), false), { code: 'ESESSIONLINK', message: /hard link/ });
  });

  it('gives the same result run synchronously and asynchronously', async () => {
    const dir = sessionDir();
    const chain = { head: '' };
    writeFileSync(join(dir, 'system.000001.jsonl'), systemLines(range(1, 40)));
    writeFileSync(join(dir, 'audit.000001.jsonl.gz'), gzipSync(auditLines(range(41, 60), chain)));
    writeFileSync(join(dir, 'system.jsonl'), systemLines([61, 62, 64]) + systemLines([65]).slice(0, 30));
    writeFileSync(join(dir, 'audit.jsonl'), auditLines([63, 66], chain));
    writeFileSync(join(dir, 'metadata.json.tmp'), '{');
    const copy = join(tempDir(), ID);
    cpSync(dir, copy, { recursive: true });
    const m = meta({ seq_reserved: 70, written_through: 20 });
    const sync = runSync(nodeFileSystem, recoverSession(dir, structuredClone(m), true, m.seq_reserved));
    const async = await runAsync(nodeFileSystem, recoverSession(copy, structuredClone(m), true, m.seq_reserved));
    /** Inodes and the directory differ between the two copies; everything else must not. */
    const normal = (found: RecoveredSession, at: string) => JSON.parse(JSON.stringify(found).replaceAll(at, '<dir>').replace(/"ino":\d+/g, '"ino":0'));
    assert.deepEqual(normal(async, copy), normal(sync, dir));
    assert.deepEqual(sync.crashLosses, [[65, 65], [67, 70]]);
    assert.deepEqual(readdirSync(copy).sort(), readdirSync(dir).sort());
    for (const name of readdirSync(dir)) assert.ok(readFileSync(join(copy, name)).equals(readFileSync(join(dir, name))), name);
    assert.ok(!existsSync(join(dir, 'metadata.json.tmp')));
  });
});
