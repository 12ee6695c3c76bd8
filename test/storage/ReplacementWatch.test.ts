import assert from 'node:assert/strict';
import type { ActiveFile } from '../../storage/ActiveFile.ts';
import { ReplacementWatch } from '../../storage/ReplacementWatch.ts';

/** What the watch reads of a file: its inode (0: not created yet) and whether the descriptor budget closed it unchecked. */
const file = (ino: number, closedUnchecked = false) => ({ ino, closedUnchecked }) as unknown as ActiveFile;

describe('ReplacementWatch', () => {
  it('is due by the interval, at once after the descriptor budget closed the file, never for a file not created yet', () => {
    const watch = new ReplacementWatch(60_000);
    assert.equal(watch.due(file(7)), false, 'within the interval');
    assert.equal(watch.due(file(7, true)), true, 'closed unchecked: it could have been replaced meanwhile');
    assert.equal(watch.due(file(0, true)), false, 'not created yet: nothing to check');
    assert.equal(new ReplacementWatch(0).due(file(7)), true, 'interval 0: before every write');
  });

  it('lets the write after a check go unchecked, then is due again', () => {
    const watch = new ReplacementWatch(0);
    watch.checked(false);
    assert.equal(watch.due(file(7)), false, 'the step after a check writes');
    watch.writing();
    assert.equal(watch.due(file(7)), true);
  });

  it('gives the lines written since the last check that found the file ours, when it was replaced', () => {
    const watch = new ReplacementWatch(0);
    watch.wrote(1, 3, 3, 'c3');
    assert.equal(watch.checked(false), undefined, 'ours: nothing lost');
    watch.wrote(4, 6, 3, 'c6');
    watch.wrote(7, 9, 3, 'c9');
    assert.deepEqual(watch.checked(true), { first: 4, last: 9, count: 6, chain: 'c9' });
    assert.deepEqual(watch.checked(true), { first: 0, last: 0, count: 0, chain: '' }, 'each line counted once');
    watch.wrote(10, 10, 1, 'c10');
    watch.forget(); // renamed by a rotation: not at risk
    assert.deepEqual(watch.checked(true), { first: 0, last: 0, count: 0, chain: '' });
  });
});
