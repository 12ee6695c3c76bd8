import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';

/**
 * Memory a queued SDK log record holds besides its body and caller attributes: measured
 * ~430 bytes on Node 24 for a LogRecord with the library's own attributes (session.id,
 * seq, category, tier, event.name), rounded up.
 */
export const RECORD_OVERHEAD_BYTES = 512;

/**
 * Estimated bytes a record keeps alive while queued. Cheap (no serialisation): string
 * lengths, one byte per character, plus the fixed overhead of the record object.
 */
export function estimateRecordBytes(record: ReadableLogRecord): number {
  let bytes = RECORD_OVERHEAD_BYTES;
  const body = record.body;
  if (typeof body === 'string') bytes += body.length;
  else if (body instanceof Uint8Array) bytes += body.byteLength;
  else if (body !== undefined && body !== null) bytes += 256;
  const attributes = record.attributes;
  for (const key in attributes) {
    const value = attributes[key];
    bytes += key.length + (typeof value === 'string' ? value.length : 16);
  }
  return bytes;
}

/** The oldest queued records, still in the queue until `remove`. */
export interface QueuedBatch {
  records: ReadableLogRecord[];
  bytes: number;
}

/**
 * A FIFO of records bounded by their estimated size. Batches are read from the head and
 * removed only once they were sent (or given up), so a failed export is retried in order.
 */
export class ForwardingQueue {
  readonly maxBytes: number;
  /** Estimated bytes of the records in the queue, the batch being sent included. */
  bytes = 0;
  private records: ReadableLogRecord[] = [];
  private sizes: number[] = [];
  private head = 0;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  get length(): number {
    return this.records.length - this.head;
  }

  /** Appends the record unless it would pass the bound; false tells the caller to count it. */
  push(record: ReadableLogRecord, size: number): boolean {
    if (this.bytes + size > this.maxBytes) return false;
    this.records.push(record);
    this.sizes.push(size);
    this.bytes += size;
    return true;
  }

  /** The oldest records, at most `maxCount` and `maxBytes` of them (but always one). */
  peek(maxCount: number, maxBytes: number): QueuedBatch {
    const end = Math.min(this.records.length, this.head + maxCount);
    let bytes = this.sizes[this.head] ?? 0;
    let i = this.head + 1;
    for (; i < end; i++) {
      const size = this.sizes[i]!;
      if (bytes + size > maxBytes) break;
      bytes += size;
    }
    return { records: this.records.slice(this.head, i), bytes };
  }

  /** Drops the `batch` peeked last from the head. */
  remove(batch: QueuedBatch): void {
    this.head += batch.records.length;
    this.bytes -= batch.bytes;
    // Compact now and then instead of shifting the arrays on every batch.
    if (this.head >= 1024 && this.head * 2 >= this.records.length) {
      this.records = this.records.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }

  /** Empties the queue; returns how many records it held. */
  clear(): number {
    const count = this.length;
    this.records = [];
    this.sizes = [];
    this.head = 0;
    this.bytes = 0;
    return count;
  }
}
