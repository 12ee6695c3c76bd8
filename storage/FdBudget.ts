/** An open file the budget may close while it is idle; the owner reopens it on demand. */
export interface BudgetedFile {
  /** True while an asynchronous write is under way on the descriptor. */
  isBusy(): boolean;
  /** Close the descriptor now (it is idle). */
  closeIdle(): void;
}

/**
 * Keeps open descriptors within a budget so thousands of sessions can be written with a
 * small descriptor limit: a file needs a slot before it opens; past the budget the least
 * recently used idle file is closed, and when every open file is busy the write waits for
 * one to become idle (it is delayed, never dropped).
 */
export class FdBudget {
  readonly limit: number;
  private readonly open = new Map<BudgetedFile, true>();
  private readonly waiting: Array<{ file: BudgetedFile; granted: () => void }> = [];
  /** Times an idle file was closed to make room. */
  evictions = 0;
  /** Times a write waited for a free slot. */
  waits = 0;

  constructor(limit = 256) {
    if (!Number.isInteger(limit) || limit < 2) throw new RangeError(`maxOpenFiles: ${limit} is not allowed; allowed: an integer >= 2`);
    this.limit = limit;
  }

  get size(): number {
    return this.open.size;
  }

  /** Call `granted` once `file` may hold a descriptor (at once when a slot is free). */
  acquire(file: BudgetedFile, granted: () => void): void {
    if (this.open.has(file)) {
      this.open.delete(file);
      this.open.set(file, true);
      return granted();
    }
    if (this.open.size >= this.limit && !this.evictIdle()) {
      this.waits++;
      this.waiting.push({ file, granted });
      return;
    }
    this.open.set(file, true);
    granted();
  }

  /** A slot for a synchronous write (backpressure, exit): never waits, may pass the budget briefly. */
  acquireNow(file: BudgetedFile): void {
    this.open.delete(file);
    this.open.set(file, true);
    if (this.open.size > this.limit) this.evictIdle(file);
  }

  /** `file` finished its writes; if others wait for a slot, close it and hand its slot on. */
  idle(file: BudgetedFile): void {
    if (this.waiting.length === 0 || !this.open.has(file)) return;
    this.open.delete(file);
    file.closeIdle();
    this.evictions++;
    this.grantNext();
  }

  /** `file` closed its descriptor on its own. */
  release(file: BudgetedFile): void {
    if (this.open.delete(file)) this.grantNext();
  }

  private grantNext(): void {
    while (this.waiting.length > 0 && this.open.size < this.limit) {
      const next = this.waiting.shift()!;
      this.open.set(next.file, true);
      next.granted();
    }
  }

  /** `keep`: the file a synchronous write is about to use (it is not marked busy). */
  private evictIdle(keep?: BudgetedFile): boolean {
    for (const candidate of this.open.keys()) {
      if (candidate === keep || candidate.isBusy()) continue;
      this.open.delete(candidate);
      candidate.closeIdle();
      this.evictions++;
      return true;
    }
    return false;
  }
}
