type Waiter = { seq: number; resolve: () => void; reject: (error: Error) => void };

/**
 * How far one stream's seqs are settled (written or dropped) and durable (fdatasync'ed, or
 * settled when the stream has no group commit), and the promises waiting for either: what
 * `flush()` and an acknowledgement wait on.
 */
export class SeqProgress {
  /** Every seq of the stream up to here is written or dropped. */
  settled = 0;
  /** ... and fdatasync'ed (streams with a group commit; the same as `settled` otherwise). */
  durable = 0;
  private settledWaiters: Waiter[] = [];
  private durableWaiters: Waiter[] = [];
  private readonly synced: boolean;

  /** `synced`: the stream's files are fdatasync'ed through a group commit. */
  constructor(synced: boolean) {
    this.synced = synced;
  }

  /** Seqs up to `seq` are settled. */
  settle(seq: number): void {
    if (seq > this.settled) this.settled = seq;
    if (!this.synced) this.durable = this.settled;
    this.settledWaiters = resolveUpTo(this.settledWaiters, this.settled);
    this.durableWaiters = resolveUpTo(this.durableWaiters, this.durable);
  }

  /** Recovery found seqs up to `seq` on disk: settled and durable. */
  resume(seq: number): void {
    this.settled = this.durable = Math.max(this.settled, seq);
  }

  /** An fdatasync covering seqs up to `seq` succeeded, or failed with `error` (whoever waits for them is told). */
  syncedThrough(seq: number, error: NodeJS.ErrnoException | null): void {
    if (error) this.durableWaiters = this.durableWaiters.filter((waiter) => waiter.seq > seq || (waiter.reject(error), false));
    else this.durableWaiters = resolveUpTo(this.durableWaiters, seq);
    if (seq > this.durable) this.durable = seq;
  }

  /** Somebody waits for a seq of this stream. */
  get waiting(): boolean {
    return this.settledWaiters.length > 0 || this.durableWaiters.length > 0;
  }

  /** Resolves once `seq` is settled, or durable when `durable`. */
  waitFor(seq: number, durable: boolean): Promise<void> {
    if (seq <= (durable ? this.durable : this.settled)) return Promise.resolve();
    return new Promise((resolve, reject) => (durable ? this.durableWaiters : this.settledWaiters).push({ seq, resolve, reject }));
  }
}

function resolveUpTo(waiters: Waiter[], seq: number): Waiter[] {
  if (waiters.length === 0) return waiters;
  const left: Waiter[] = [];
  for (const waiter of waiters) {
    if (waiter.seq <= seq) waiter.resolve();
    else left.push(waiter);
  }
  return left;
}
