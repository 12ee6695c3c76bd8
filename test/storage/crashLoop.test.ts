import { crashLoop } from '../support/crashLoop.ts';
import { tempDir } from '../support/sessionFiles.ts';

describe('crash loop (SIGKILL while writing at full)', () => {
  it('after each of 20 kills: every line parses, no seq twice, every fsynced audit record present', () => crashLoop(tempDir(), 20));
});
