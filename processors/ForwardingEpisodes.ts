import type { ForwardingReport } from './ForwardingReport.ts';

/**
 * Turns what happens to exports and to the queue into one report per episode and one when it
 * ends: an outage (exports fail and are retried), an overflow (the queue is full while exports
 * work), a run of rejections (the endpoint refuses batches for good).
 */
export class ForwardingEpisodes {
  /** Outages so far. */
  outages = 0;
  private readonly report: (report: ForwardingReport) => void;
  private readonly maxQueueBytes: number;
  /** While exports fail: since when, and what failed or did not fit meanwhile. */
  private outage: { since: number; failedExports: number; notForwarded: number } | undefined;
  /** While the queue is full (until it drains to half): what did not fit, and whether it was reported. */
  private overflow: { notForwarded: number; reported: boolean } | undefined;
  /** A rejection was reported and no export went through since. */
  private rejecting = false;

  constructor(report: (report: ForwardingReport) => void, maxQueueBytes: number) {
    this.report = report;
    this.maxQueueBytes = maxQueueBytes;
  }

  get inOutage(): boolean {
    return this.outage !== undefined;
  }

  /** An export failed in a way worth retrying; `queued` records wait. */
  exportFailed(error: Error, queued: number): void {
    if (this.outage) {
      this.outage.failedExports++;
      return;
    }
    this.outages++;
    this.outage = { since: Date.now(), failedExports: 1, notForwarded: 0 };
    this.report({ kind: 'outage', error, queued });
  }

  /** The endpoint refused `records` for good. */
  exportRejected(error: Error, records: number, queueBytes: number): void {
    if (this.outage) this.outage.failedExports++;
    if (!this.rejecting) {
      this.rejecting = true;
      this.report({ kind: 'rejected', error, records });
    }
    this.queueShrank(queueBytes);
  }

  /** An export went through; the queue now holds `queueBytes`. */
  exportSucceeded(queueBytes: number): void {
    this.rejecting = false;
    if (this.outage) {
      const { since, failedExports, notForwarded } = this.outage;
      this.outage = undefined;
      this.report({ kind: 'recovered', outageMillis: Date.now() - since, failedExports, notForwarded });
    }
    this.queueShrank(queueBytes);
  }

  /** A record did not fit the queue. */
  recordDropped(): void {
    if (this.outage) this.outage.notForwarded++;
    if (this.overflow) {
      this.overflow.notForwarded++;
      return;
    }
    // During an outage the outage's own reports tell the story (and its end counts these).
    this.overflow = { notForwarded: 1, reported: !this.outage };
    if (this.overflow.reported) this.report({ kind: 'overflow', maxQueueBytes: this.maxQueueBytes });
  }

  /** Half empty ends an overflow: a queue hovering at its bound would otherwise report on every record. */
  private queueShrank(queueBytes: number): void {
    if (!this.overflow || queueBytes > this.maxQueueBytes / 2) return;
    const { notForwarded, reported } = this.overflow;
    this.overflow = undefined;
    if (reported) this.report({ kind: 'overflow-ended', notForwarded });
  }
}
