import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createSessionLogging } from '../../src/index.ts';
import { FaultyFileSystem } from '../support/FaultyFileSystem.ts';
import { readMetadata, sessionLines, tempDir } from '../support/sessionFiles.ts';

describe('reliability: 1,000 concurrent sessions, 32 descriptors, disk faults coming and going', () => {
  it('every seq is on disk exactly once or recorded as dropped, and the counts agree', async () => {
    const root = tempDir();
    const faulty = new FaultyFileSystem();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', maxFileSize: '8KB', maxSessionSize: '1GB', compression: 'gzip', maxOpenFiles: 32, fs: faulty.fs, onError: () => {} });
    // Descriptors of the whole test process: count those this test adds.
    const before = readdirSync('/proc/self/fd').length;
    const sessions = Array.from({ length: 1000 }, (_, i) => logging.open(`m-${i}`));
    const codes = ['ENOSPC', 'EIO', 'EACCES'];
    let peakFds = 0;
    for (let round = 0; round < 30; round++) {
      if (round % 10 === 4) faulty.fail(codes[(round / 10) | 0]!, ['write', 'writeSync', 'fdatasync', 'open']);
      if (round % 10 === 7) faulty.heal();
      for (const log of sessions) log.emit(round % 3 === 0 ? 'input' : 'output', `round ${round} ${'z'.repeat(40)}`);
      // Each round is written (or dropped) while its fault state holds, however loaded the machine.
      await Promise.all(sessions.map((log) => log.flush().catch(() => {})));
      peakFds = Math.max(peakFds, readdirSync('/proc/self/fd').length - before);
    }
    faulty.heal();
    await logging.shutdown();
    let onDisk = 0;
    let dropped = 0;
    for (const log of sessions) {
      const lines = sessionLines(root, log.id);
      const meta = readMetadata(root, log.id);
      const seqs = new Set(lines.map((l) => l.seq));
      assert.equal(seqs.size, lines.length, `${log.id}: a seq twice`);
      for (let seq = 1; seq <= meta.last_seq; seq++) {
        if (seqs.has(seq)) continue;
        assert.ok(meta.drops.some((d: { first_seq: number; last_seq: number }) => seq >= d.first_seq && seq <= d.last_seq), `${log.id}: seq ${seq} lost without a record`);
        dropped++;
      }
      onDisk += lines.length;
    }
    const stats = logging.stats().files;
    assert.equal(stats.dropped, dropped, 'counted drops equal the seqs missing from the files');
    assert.equal(onDisk + dropped, 1000 * 32, 'created + 30 rounds + terminated per session');
    assert.ok(dropped > 0 && onDisk > 1000 * 2, `${dropped} dropped, ${onDisk} on disk`);
    assert.ok(peakFds < 200, `peak ${peakFds} descriptors more than before the test`);
  });
});
