import assert from 'node:assert/strict';
import { createSessionLogging, verifySession } from '../../src/index.ts';
import { sessionLines, tempDir } from '../support/sessionFiles.ts';

// Issue 11, finding 1 as it was reported: 500,000 records as fast as possible through the
// facade (every 10th an input, a setImmediate every 5,000), maxFileSize 4 MiB; 2 runs of 3
// wrote duplicate lines into rotated segments.
describe('reliability: bursts through rotations', function () {
  this.timeout(1_800_000);
  it('writes 20 bursts of 500,000 records with no duplicate and nothing missing', async () => {
    let duplicates = 0;
    let missing = 0;
    for (let run = 0; run < 20; run++) {
      const root = tempDir();
      const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', maxFileSize: '4MB', maxSessionSize: '10GB', compression: run % 2 ? 'gzip' : 'none', retention: false });
      const log = logging.open('burst');
      for (let i = 1; i <= 500_000; i++) {
        log.emit(i % 10 === 0 ? 'input' : 'output', `record ${i} ${'x'.repeat(i % 97)}`);
        if (i % 5000 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await logging.shutdown();
      const seen = new Set<number>();
      for (const line of sessionLines(root, 'burst')) {
        if (seen.has(line.seq)) duplicates++;
        seen.add(line.seq);
      }
      missing += 500_002 - seen.size;
      assert.deepEqual(await verifySession(root, 'burst'), [], `run ${run}`);
    }
    console.log(`      20 bursts of 500,000 records: ${duplicates} duplicates, ${missing} missing`);
    assert.equal(duplicates, 0);
    assert.equal(missing, 0);
  });
});
