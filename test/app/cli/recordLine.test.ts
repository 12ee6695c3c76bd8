import assert from 'node:assert/strict';
import { shorten } from '../../../app/cli/format/recordLine.ts';

describe('shortening a body for a column', () => {
  it('cuts at the last word boundary that keeps at least half, never inside a word', () => {
    assert.equal(shorten('create session: /usr/local/bin/node -e something', 30), 'create session: /usr/local/...');
    assert.equal(shorten('the quick brown fox jumps over', 20), 'the quick brown...');
    assert.equal(shorten('a=1, b=2, c=3, d=4', 14), 'a=1, b=2,...');
  });

  it('keeps text that fits, and cuts a single long word at the width', () => {
    assert.equal(shorten('fits exactly', 12), 'fits exactly');
    assert.equal(shorten('x'.repeat(30), 10), 'xxxxxxx...');
    // A boundary too early would throw most of the room away: cut at the width instead.
    assert.equal(shorten(`a ${'y'.repeat(30)}`, 12), 'a yyyyyyy...');
  });
});
