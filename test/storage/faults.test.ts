import assert from 'node:assert/strict';
import { unlinkSync, renameSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createSessionLogging, type SessionLogger } from '../../src/index.ts';
import { FaultyFileSystem } from '../support/FaultyFileSystem.ts';
import { readMetadata, sessionLines, tempDir } from '../support/sessionFiles.ts';

interface Report {
  what: string;
  code: string | null;
}

/** Emit a batch and wait until it is written or counted as dropped (flush rejects while the fault lasts). */
async function emitBatch(log: SessionLogger, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) log.emit(i % 5 === 0 ? 'input' : 'output', `r${i}`);
  await log.flush().catch((error: NodeJS.ErrnoException) => assert.equal(error.code, 'EDROPPED', error.message));
}

/** Seqs on disk plus seqs in recorded drop ranges must cover 1..last with nothing twice. */
function assertAccounted(root: string, id: string): { present: number; dropped: number } {
  const lines = sessionLines(root, id);
  const meta = readMetadata(root, id);
  const seen = new Set<number>();
  for (const line of lines) {
    assert.ok(!seen.has(line.seq), `seq ${line.seq} twice`);
    seen.add(line.seq);
  }
  let dropped = 0;
  for (let seq = 1; seq <= meta.last_seq; seq++) {
    if (seen.has(seq)) continue;
    const covered = meta.drops.some((d: { first_seq: number; last_seq: number }) => seq >= d.first_seq && seq <= d.last_seq);
    assert.ok(covered, `seq ${seq} is missing and not recorded as dropped`);
    dropped++;
  }
  return { present: seen.size, dropped };
}

describe('disk faults', () => {
  for (const code of ['ENOSPC', 'EIO', 'EACCES']) {
    it(`${code}: keeps running, counts and ranges what it could not write, reports once, recovers`, async () => {
      const root = tempDir();
      const faulty = new FaultyFileSystem();
      const reports: Report[] = [];
      const logging = createSessionLogging({
        dir: root, env: {}, defaultLevel: 'full', fs: faulty.fs,
        onError: (_id, what, error) => reports.push({ what, code: error ? ((error as NodeJS.ErrnoException).code ?? 'x') : null }),
      });
      const log = logging.open('faulty');
      await emitBatch(log, 0, 100);
      faulty.fail(code, ['write', 'writeSync', 'fdatasync', 'promises']);
      for (let k = 0; k < 5; k++) await emitBatch(log, 100 + k * 40, 40);
      faulty.heal();
      await emitBatch(log, 300, 100);
      await logging.shutdown();
      assert.ok(faulty.failures > 1);
      const stats = logging.stats().files;
      const { present, dropped } = assertAccounted(root, 'faulty');
      assert.equal(stats.dropped, dropped, 'counted drops equal the seqs missing on disk');
      assert.ok(dropped >= 200, `${dropped} dropped`);
      const bodies = sessionLines(root, 'faulty').map((l) => l.body);
      for (let i = 300; i < 400; i++) assert.ok(bodies.includes(`r${i}`), `r${i} written after recovery`);
      for (let i = 0; i < 100; i++) assert.ok(bodies.includes(`r${i}`), `r${i} written before the fault`);
      // One report when the episode starts and one when it ends, per file that saw it.
      const starts = reports.filter((r) => r.code === code);
      const ends = reports.filter((r) => r.code === null);
      assert.ok(starts.length >= 1 && starts.length <= 3, JSON.stringify(reports));
      assert.ok(ends.length >= 1, JSON.stringify(reports));
      assert.ok(present > 200);
    });
  }

  it('a file deleted under the writer: a new file is started and the lost range recorded', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', checkIntervalMs: 0, onError: () => {} });
    const log = logging.open('deleted');
    await emitBatch(log, 0, 50);
    unlinkSync(join(root, 'deleted', 'system.jsonl'));
    await emitBatch(log, 50, 50);
    await emitBatch(log, 100, 50);
    await logging.shutdown();
    const { dropped } = assertAccounted(root, 'deleted');
    assert.ok(dropped > 0);
    const bodies = sessionLines(root, 'deleted').map((l) => l.body);
    for (let i = 100; i < 150; i++) assert.ok(bodies.includes(`r${i}`));
    assert.equal(logging.stats().files.dropped, dropped);
  });

  it('a file replaced under the writer (moved away): writing continues in a new file', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', checkIntervalMs: 0, onError: () => {} });
    const log = logging.open('moved');
    await emitBatch(log, 0, 50);
    renameSync(join(root, 'moved', 'system.jsonl'), join(root, 'moved', 'elsewhere.txt'));
    await emitBatch(log, 50, 50);
    await logging.shutdown();
    assert.ok(readdirSync(join(root, 'moved')).includes('system.jsonl'));
    assertAccounted(root, 'moved');
  });
});
