import type { ActiveFile } from './ActiveFile.ts';

/** Lines written to the active file since it was last known to be ours. */
export interface Unverified {
  first: number;
  last: number;
  count: number;
  /** The chain value after the last of them (chained streams). */
  chain: string;
}

/**
 * When a stream's active file is checked for having been deleted or replaced under us (at
 * most every `intervalMs`, and before writing to a file the descriptor budget closed), and
 * which lines a replacement took: those written since the last check that found it ours.
 */
export class ReplacementWatch {
  private readonly intervalMs: number;
  private lastCheck = Date.now();
  /** A check just ran: the next step writes, whatever the interval. */
  private justChecked = false;
  private unverified: Unverified = { first: 0, last: 0, count: 0, chain: '' };

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  /** Check `file` before the next write to it? */
  due(file: ActiveFile): boolean {
    return !this.justChecked && file.ino !== 0 && (file.closedUnchecked || Date.now() - this.lastCheck >= this.intervalMs);
  }

  /** A check ended; when the file was replaced, the lines it took (possibly none). */
  checked(replaced: boolean): Unverified | undefined {
    this.lastCheck = Date.now();
    this.justChecked = true;
    const lost = this.unverified;
    this.unverified = { first: 0, last: 0, count: 0, chain: '' };
    return replaced ? lost : undefined;
  }

  /** A write starts: the check after it is due by the interval again. */
  writing(): void {
    this.justChecked = false;
  }

  /** Lines first..last (chain after them) were written to the active file. */
  wrote(first: number, last: number, count: number, chain: string): void {
    if (this.unverified.count === 0) this.unverified.first = first;
    this.unverified.last = last;
    this.unverified.count += count;
    this.unverified.chain = chain;
  }

  /** The active file was renamed by us (rotation): what was written to it is not at risk. */
  forget(): void {
    this.unverified = { first: 0, last: 0, count: 0, chain: '' };
  }
}
