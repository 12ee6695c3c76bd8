import assert from 'node:assert/strict';
import { serverKillLoop } from '../../support/serverKillLoop.ts';
import { tempDir } from '../../support/sessionFiles.ts';

// Issue 11, finding 2: the server answered 202 to an input, was killed with SIGKILL, and the input was not on disk.
describe('session server killed with SIGKILL right after answering 202', function () {
  this.timeout(300_000);
  it('loses no acknowledged input in 6 kills, and every session verifies after a reopen', async () => {
    const { acknowledged, lost } = await serverKillLoop(tempDir('osl-kill-'), 6);
    assert.ok(acknowledged >= 6, `${acknowledged} acknowledged inputs`);
    assert.equal(lost, 0, `${lost} of ${acknowledged} acknowledged inputs lost`);
  });
});
