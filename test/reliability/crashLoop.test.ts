import { crashLoop } from '../support/crashLoop.ts';
import { tempDir } from '../support/sessionFiles.ts';

describe('reliability: crash loop', function () {
  this.timeout(900_000);
  it('after each of 60 SIGKILLs at random moments: nothing acknowledged lost, every seq on disk once or recorded', () => crashLoop(tempDir(), 60, 987654321));
});
