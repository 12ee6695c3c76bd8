/**
 * Chunk buffers of one size, reused instead of allocated per chunk, so a steady stream of
 * records does not churn the young generation. At most `keep` idle buffers are held.
 */
export class BufferPool {
  readonly size: number;
  private readonly keep: number;
  private readonly idle: Buffer[] = [];

  constructor(size: number, keep: number) {
    this.size = size;
    this.keep = keep;
  }

  take(): Buffer {
    return this.idle.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  give(buffer: Buffer): void {
    if (buffer.length === this.size && this.idle.length < this.keep) this.idle.push(buffer);
  }
}
