import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createSessionLogging } from '../../../src/index.ts';
import { maxOpenFilesFor } from '../../../src/config/openFileLimit.ts';
import { tempDir } from '../../support/sessionFiles.ts';

const limits = (soft: string, hard: string) => `Limit                     Soft Limit           Hard Limit           Units     \nMax processes             95420                95420                processes \nMax open files            ${soft.padEnd(20)} ${hard.padEnd(20)} files     \nMax locked memory         8388608              8388608              bytes     \n`;

describe('the default descriptor budget (maxOpenFiles)', () => {
  it('is a quarter of the soft limit on open files, between 256 and 8,192', () => {
    assert.equal(maxOpenFilesFor(limits('20000', '20000')), 5000);
    assert.equal(maxOpenFilesFor(limits('4096', '524288')), 1024);
    assert.equal(maxOpenFilesFor(limits('1024', '4096')), 256);
    assert.equal(maxOpenFilesFor(limits('1048576', '1048576')), 8192);
    assert.equal(maxOpenFilesFor(limits('unlimited', 'unlimited')), 8192);
  });

  it('is 256 where the limit cannot be read', () => {
    assert.equal(maxOpenFilesFor(undefined), 256);
    assert.equal(maxOpenFilesFor('not a limits file'), 256);
  });

  it('is what the store uses when none is given, and an explicit one wins', async () => {
    const expected = maxOpenFilesFor(readFileSync('/proc/self/limits', 'utf8'));
    const implicit = createSessionLogging({ dir: tempDir(), env: {} });
    const explicit = createSessionLogging({ dir: tempDir(), env: {}, maxOpenFiles: 3 });
    assert.equal(implicit.store!.options.maxOpenFiles, expected);
    assert.equal(explicit.store!.options.maxOpenFiles, 3);
    await Promise.all([implicit.shutdown(), explicit.shutdown()]);
  });
});
