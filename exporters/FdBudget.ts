/** An open file the budget may close while it is idle; the owner reopens it on demand. */
export interface BudgetedFile {
  /** True while an asynchronous write is under way on the descriptor. */
  isBusy(): boolean;
  /** Close the descriptor now (it is idle). */
  closeIdle(): void;
}

/**
 * Keeps the number of open descriptors near a budget by closing the least recently used
 * idle files, so thousands of sessions can be written with a small descriptor limit.
 */
export class FdBudget {
  readonly limit: number;
  private readonly open = new Map<BudgetedFile, true>();
  closedForBudget = 0;

  constructor(limit = 256) {
    if (!Number.isInteger(limit) || limit < 2) throw new RangeError(`FdBudget: limit ${limit} is not allowed; allowed: an integer >= 2`);
    this.limit = limit;
  }

  get size(): number {
    return this.open.size;
  }

  /** Record use of a file (most recent last), closing idle ones past the budget. */
  touch(file: BudgetedFile): void {
    this.open.delete(file);
    this.open.set(file, true);
    if (this.open.size <= this.limit) return;
    for (const candidate of this.open.keys()) {
      if (this.open.size <= this.limit) break;
      if (candidate === file || candidate.isBusy()) continue;
      this.open.delete(candidate);
      candidate.closeIdle();
      this.closedForBudget++;
    }
  }

  release(file: BudgetedFile): void {
    this.open.delete(file);
  }
}
