/** A stream whose written data needs fdatasync before it counts as durable. */
export interface SyncTarget {
  /** fdatasync what is written now; call `done` when finished (whatever the outcome). */
  syncWave(done: () => void): void;
}

/**
 * Group commit for every file of a store: instead of an fdatasync after each chunk, files
 * with written data are marked dirty and synced in waves. A wave syncs each dirty file once,
 * a few at a time; what is written while it runs waits for the next wave. A busy session
 * pays one fsync per wave, not per chunk, and a thousand sessions share the waves.
 */
export class GroupCommit {
  /** Waves run and fdatasync calls made (for the bench and /metrics). */
  waves = 0;
  syncs = 0;
  private readonly concurrency: number;
  private dirty = new Set<SyncTarget>();
  private running = false;

  constructor(concurrency: number) {
    this.concurrency = concurrency;
  }

  mark(target: SyncTarget): void {
    this.dirty.add(target);
    if (this.running) return;
    this.running = true;
    setImmediate(this.wave);
  }

  private readonly wave = (): void => {
    const targets = [...this.dirty];
    this.dirty.clear();
    this.waves++;
    let next = 0;
    let active = 0;
    const startMore = () => {
      while (active < this.concurrency && next < targets.length) {
        const target = targets[next++]!;
        active++;
        this.syncs++;
        target.syncWave(() => {
          active--;
          if (next < targets.length) startMore();
          else if (active === 0) this.waveDone();
        });
      }
    };
    if (targets.length === 0) this.waveDone();
    else startMore();
  };

  private waveDone(): void {
    if (this.dirty.size === 0) {
      this.running = false;
      return;
    }
    setImmediate(this.wave);
  }
}
