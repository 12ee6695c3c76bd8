import assert from 'node:assert/strict';
import { readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSessionLogging } from '../../src/index.ts';
import { verifySession } from '../../reader/verifySession.ts';
import { tempDir } from '../support/sessionFiles.ts';

/** An ended session with plain segments in both files. */
async function makeSession(): Promise<{ root: string; dir: string }> {
  const root = tempDir();
  const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', maxFileSize: '8KB', compression: 'none', retention: false });
  const log = logging.open('x');
  for (let i = 0; i < 600; i++) log.emit(i % 3 === 0 ? 'input' : 'output', `record ${i} ${'x'.repeat(20)}`, { i });
  await logging.shutdown();
  return { root, dir: join(root, 'x') };
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const linesOf = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean);

/** Remove a segment the way the cap does: file gone, its range in `removed`. */
function removeAsCap(dir: string, file: string): { first_seq: number; last_seq: number } {
  const metaPath = join(dir, 'metadata.json');
  const meta = readJson(metaPath);
  const segment = meta.segments.find((s: { file: string }) => s.file === file);
  meta.segments = meta.segments.filter((s: { file: string }) => s.file !== file);
  meta.removed.push({ file, stream: segment.stream, first_seq: segment.first_seq, last_seq: segment.last_seq, lines: segment.lines, reason: 'cap', at: new Date().toISOString() });
  writeFileSync(metaPath, JSON.stringify(meta));
  unlinkSync(join(dir, file));
  return segment;
}

describe('verify: what metadata.json explains and what it does not', () => {
  it('a removed audit segment explains its own lines, not a system line deleted inside its seq range', async () => {
    const { root, dir } = await makeSession();
    const removed = removeAsCap(dir, 'audit.000001.jsonl');
    assert.deepEqual(await verifySession(root, 'x'), [], 'the removal alone is explained');
    // A system line whose seq lies inside the removed audit segment's range.
    const systemFile = join(dir, 'system.000001.jsonl');
    const system = linesOf(systemFile);
    const index = system.findIndex((l) => { const seq = JSON.parse(l).seq; return seq > removed.first_seq && seq < removed.last_seq; });
    assert.ok(index > 0, 'a system line inside the range');
    const seq = JSON.parse(system[index]!).seq;
    system.splice(index, 1);
    writeFileSync(systemFile, system.join('\n') + '\n');
    const problems = await verifySession(root, 'x');
    const gap = problems.find((p) => p.kind === 'gap');
    assert.ok(gap, JSON.stringify(problems));
    assert.ok(gap.seq! <= seq && /1 more than metadata\.json explains \(audit\.000001\.jsonl \(cap/.test(gap.message), gap.message);
  });

  it('a drop recorded in metadata.json does not excuse an audit line deleted from a file: the chain runs over the lines written', async () => {
    const { root, dir } = await makeSession();
    const auditFile = join(dir, 'audit.000002.jsonl');
    const audit = linesOf(auditFile);
    const deleted = JSON.parse(audit[3]!).seq;
    audit.splice(3, 1);
    writeFileSync(auditFile, audit.join('\n') + '\n');
    const before = await verifySession(root, 'x');
    assert.ok(before.some((p) => p.kind === 'broken_chain' && p.file === 'audit.000002.jsonl' && p.line === 4), JSON.stringify(before));
    // Someone hides the deletion as a drop: the gap is explained, the chain still is not.
    const metaPath = join(dir, 'metadata.json');
    const meta = readJson(metaPath);
    meta.drops.push({ stream: 'audit', first_seq: deleted, last_seq: deleted, count: 1, error: 'ENOSPC', at: new Date().toISOString() });
    const segment = meta.segments.find((s: { file: string }) => s.file === 'audit.000002.jsonl');
    segment.lines--;
    writeFileSync(metaPath, JSON.stringify(meta));
    const after = await verifySession(root, 'x');
    assert.deepEqual(after.map((p) => [p.kind, p.file, p.line]), [['broken_chain', 'audit.000002.jsonl', 4]]);
  });

  it('catches the last audit lines of an ended session deleted (chain_head) and a lowered last_seq', async () => {
    const { root, dir } = await makeSession();
    const auditFile = join(dir, 'audit.jsonl');
    const audit = linesOf(auditFile);
    writeFileSync(auditFile, audit.slice(0, -1).join('\n') + '\n');
    const problems = await verifySession(root, 'x');
    assert.ok(problems.some((p) => p.kind === 'broken_chain' && p.file === 'metadata.json' && /chain_head/.test(p.message)), JSON.stringify(problems));
    const metaPath = join(dir, 'metadata.json');
    const meta = readJson(metaPath);
    meta.last_seq -= 5;
    writeFileSync(metaPath, JSON.stringify(meta));
    assert.ok((await verifySession(root, 'x')).some((p) => p.kind === 'metadata' && /last_seq \d+ is below/.test(p.message)));
  });

  it('reports a segment on disk that metadata.json does not list, and one whose counts disagree', async () => {
    const { root, dir } = await makeSession();
    const metaPath = join(dir, 'metadata.json');
    const meta = readJson(metaPath);
    meta.segments = meta.segments.filter((s: { file: string }) => s.file !== 'system.000002.jsonl');
    meta.segments.find((s: { file: string }) => s.file === 'system.000001.jsonl').lines += 1;
    writeFileSync(metaPath, JSON.stringify(meta));
    const kinds = (await verifySession(root, 'x')).map((p) => `${p.kind} ${p.file}`);
    assert.deepEqual(kinds.sort(), ['segment_mismatch system.000001.jsonl', 'unlisted_segment system.000002.jsonl']);
  });

  it('finds nothing wrong in a live session while it is being written and rotated', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', maxFileSize: '4KB', compression: 'gzip', retention: false });
    const log = logging.open('busy');
    await logging.forceFlush(); // metadata.json exists
    let checks = 0;
    for (let round = 0; round < 15; round++) {
      for (let i = 0; i < 60; i++) log.emit(i % 4 === 0 ? 'input' : 'output', `r${round} ${i} ${'b'.repeat(30)}`);
      // Not flushed: verify meets buffered seqs, rotations and compressions under way.
      assert.deepEqual(await verifySession(root, 'busy'), [], `round ${round}`);
      checks++;
    }
    assert.equal(checks, 15);
    assert.ok(readdirSync(join(root, 'busy')).filter((n) => n.endsWith('.gz')).length > 3, 'rotated while checked');
    await logging.shutdown();
    assert.deepEqual(await verifySession(root, 'busy'), [], 'and after it ended');
  });
});
