import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readMetadata, sessionLines, tempDir } from '../support/sessionFiles.ts';

const writer = fileURLToPath(new URL('../fixtures/soakWriter.ts', import.meta.url));

describe('soak: 60 seconds at a steady load', () => {
  it('keeps RSS flat (under 10% growth after warm-up) and accounts for every record', async () => {
    const dir = tempDir();
    const sessions = 20;
    // V8 grows its young generation in steps up to a ceiling during the first minute under a
    // high allocation rate (heapUsed stays flat, heapTotal jumps); pinning the ceiling makes
    // RSS show what the library keeps, which is what this test is about.
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--max-semi-space-size=8', writer, dir, '60', '10000', String(sessions)], { maxBuffer: 1 << 20 });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { rss: number[]; emitted: number[]; stats: { dropped: number } };
    assert.ok(result.rss.length >= 55, `${result.rss.length} samples`);
    const warm = result.rss.slice(10, 15);
    const baseline = warm.reduce((a, b) => a + b, 0) / warm.length;
    const late = Math.max(...result.rss.slice(-10));
    assert.ok(late <= baseline * 1.1, `RSS grew from ${baseline.toFixed(1)} MiB to ${late.toFixed(1)} MiB`);
    assert.equal(result.stats.dropped, 0);
    for (let i = 0; i < sessions; i++) {
      const id = `soak-${i}`;
      const meta = readMetadata(dir, id);
      const present = new Set(sessionLines(dir, id).map((l) => l.seq));
      assert.equal(present.size, sessionLines(dir, id).length, `${id}: no seq twice`);
      for (let seq = 1; seq <= meta.last_seq; seq++) {
        if (present.has(seq)) continue;
        assert.ok(meta.removed.some((r: { first_seq: number; last_seq: number }) => seq >= r.first_seq && seq <= r.last_seq), `${id}: seq ${seq} missing without a recorded removal`);
      }
      // session.created + emitted records + session.terminated
      assert.equal(meta.last_seq, result.emitted[i]! + 2, id);
    }
  });
});
