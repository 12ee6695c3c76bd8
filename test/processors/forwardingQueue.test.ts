import assert from 'node:assert/strict';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { ForwardingQueue, RECORD_OVERHEAD_BYTES, estimateRecordBytes } from '../../processors/ForwardingQueue.ts';

const record = (body: unknown, attributes: Record<string, unknown> = {}): ReadableLogRecord => ({ body, attributes }) as unknown as ReadableLogRecord;

describe('the forwarding queue, bounded in bytes', () => {
  it('estimates a record by its body, its attributes and the record object', () => {
    assert.equal(estimateRecordBytes(record('x'.repeat(1000))), RECORD_OVERHEAD_BYTES + 1000);
    assert.equal(estimateRecordBytes(record(new Uint8Array(300))), RECORD_OVERHEAD_BYTES + 300);
    assert.equal(estimateRecordBytes(record(undefined, { 'session.id': 's-1', n: 7 })), RECORD_OVERHEAD_BYTES + 10 + 3 + 1 + 16);
  });

  it('refuses what would pass its bound, and takes again once batches are removed', () => {
    const queue = new ForwardingQueue(1000);
    assert.equal(queue.push(record('a'), 600), true);
    assert.equal(queue.push(record('b'), 600), false, 'past the bound');
    assert.equal(queue.push(record('c'), 400), true, 'exactly at the bound');
    assert.deepEqual([queue.length, queue.bytes], [2, 1000]);
    queue.remove(queue.peek(1, 10_000));
    assert.deepEqual([queue.length, queue.bytes], [1, 400]);
    assert.equal(queue.push(record('d'), 600), true);
  });

  it('peeks the oldest records within a count and a byte limit, always at least one, in order across compactions', () => {
    const queue = new ForwardingQueue(10_000_000);
    for (let i = 0; i < 5000; i++) queue.push(record(i), i === 0 ? 5000 : 100);
    assert.deepEqual(queue.peek(10, 1000).records.map((r) => r.body), [0], 'a record larger than the batch goes alone');
    let next = 0;
    while (queue.length > 0) {
      const batch = queue.peek(700, 25_000);
      assert.ok(batch.records.length <= 700 && (batch.bytes <= 25_000 || batch.records.length === 1));
      assert.deepEqual(batch.records.map((r) => r.body), Array.from({ length: batch.records.length }, (_, k) => next + k));
      next += batch.records.length;
      queue.remove(batch);
    }
    assert.deepEqual([next, queue.bytes], [5000, 0]);
  });
});
