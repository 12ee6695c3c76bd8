import assert from 'node:assert/strict';
import { createSessionLogging } from '../../src/index.ts';
import { assertContiguous, sessionLines, tempDir } from '../support/sessionFiles.ts';

describe('load at full', () => {
  it('writes 100,000 records over 10 sessions: counts equal, seq contiguous, every line parses', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', compression: 'none' });
    const sessions = Array.from({ length: 10 }, (_, i) => logging.open(`load-${i}`));
    const perSession = 10_000;
    for (let i = 0; i < perSession; i++) {
      for (const log of sessions) log.emit(i % 10 === 0 ? 'input' : 'output', `line ${i} of ${log.id}`, { i });
      if (i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await logging.shutdown();
    let total = 0;
    for (const log of sessions) {
      const lines = sessionLines(root, log.id); // JSON.parse of every line
      assertContiguous(lines);
      const records = lines.filter((l) => l.event === 'output' || l.event === 'input');
      assert.equal(records.length, perSession, log.id);
      records.forEach((line, i) => assert.equal(line.body, `line ${i} of ${log.id}`));
      total += records.length;
    }
    assert.equal(total, 100_000);
    const stats = logging.stats();
    assert.equal(stats.files.dropped, 0);
    assert.equal(stats.files.records, 100_000 + 20);
  });
});
