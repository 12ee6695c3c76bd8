import assert from 'node:assert/strict';
import { BufferPool } from '../../storage/BufferPool.ts';

describe('BufferPool', () => {
  it('hands out buffers of its size and reuses the ones given back, newest first', () => {
    const pool = new BufferPool(1024, 2);
    const a = pool.take();
    const b = pool.take();
    assert.equal(a.length, 1024);
    assert.notEqual(a, b);
    pool.give(a);
    pool.give(b);
    assert.equal(pool.take(), b);
    assert.equal(pool.take(), a);
  });

  it('keeps at most `keep` idle buffers', () => {
    const pool = new BufferPool(64, 2);
    const taken = [pool.take(), pool.take(), pool.take()];
    for (const buffer of taken) pool.give(buffer);
    const again = new Set([pool.take(), pool.take(), pool.take()]);
    assert.equal(taken.filter((buffer) => again.has(buffer)).length, 2, 'the third was left to the garbage collector');
  });

  it('never keeps a buffer of another size', () => {
    const pool = new BufferPool(64, 4);
    const other = Buffer.alloc(32);
    pool.give(other);
    assert.notEqual(pool.take(), other);
  });
});
