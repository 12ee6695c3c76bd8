import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const PEAK_RSS = new URL('../../bench/peakRss.ts', import.meta.url).href;

describe('bench peak RSS', () => {
  it("reports a child's own peak, not the parent's it inherits through fork and exec", function () {
    if (process.platform !== 'linux') this.skip(); // VmHWM comes from /proc/self/status, which only Linux has; CI runs on Linux, so it runs there
    const ballast = Buffer.alloc(256 * 1024 * 1024, 1); // resident in this process while the child starts
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', `
      import { peakRssMiB } from ${JSON.stringify(PEAK_RSS)};
      console.log(JSON.stringify({ peak: peakRssMiB(), maxRSS: process.resourceUsage().maxRSS / 1024 }));
    `], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    const { peak, maxRSS } = JSON.parse(child.stdout) as { peak: number; maxRSS: number };
    assert.ok(maxRSS >= 256, `getrusage reports the parent's ${maxRSS} MiB (what the bench used to read)`);
    assert.ok(peak < 128, `the child's own peak is ${peak} MiB`);
    assert.equal(ballast[0], 1);
  });
});
