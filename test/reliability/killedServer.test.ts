import assert from 'node:assert/strict';
import { serverKillLoop } from '../support/serverKillLoop.ts';
import { tempDir } from '../support/sessionFiles.ts';

describe('reliability: session server killed with SIGKILL right after answering 202', function () {
  this.timeout(1_200_000);
  it('loses no acknowledged input in 50 kills', async () => {
    const { acknowledged, lost } = await serverKillLoop(tempDir('osl-kill-'), 50, 4242);
    console.log(`      50 kills: ${acknowledged} acknowledged inputs, ${lost} lost`);
    assert.equal(lost, 0, `${lost} of ${acknowledged} acknowledged inputs lost`);
  });
});
