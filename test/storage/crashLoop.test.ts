import assert from 'node:assert/strict';
import { crashLoop } from '../support/crashLoop.ts';
import { tempDir } from '../support/sessionFiles.ts';

// Issue 11, finding 2: an acknowledged input lost after kill -9, its seq reused, the loss not recorded.
describe('crash loop (SIGKILL while writing at full)', function () {
  this.timeout(300_000);
  it('after each of 20 kills: nothing acknowledged lost, no seq twice, every seq up to the reservation on disk or recorded', async () => {
    const { acknowledged } = await crashLoop(tempDir(), 20);
    assert.ok(acknowledged > 20, `${acknowledged} acknowledged records checked`);
  });
});
