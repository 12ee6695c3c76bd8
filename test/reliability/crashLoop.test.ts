import { crashLoop } from '../support/crashLoop.ts';
import { tempDir } from '../support/sessionFiles.ts';

describe('reliability: crash loop', () => {
  it('survives 60 SIGKILLs at random moments with nothing fsynced lost and no seq twice', () => crashLoop(tempDir(), 60, 987654321));
});
