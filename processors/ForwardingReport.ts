/**
 * One report per episode of OTLP forwarding trouble, and one when it ends: what a session
 * server prints (`session-logs serve` writes each as a line on stderr), not a log per record.
 */
export type ForwardingReport =
  /** Exports fail (Collector down, hung or overloaded): records are kept and retried. */
  | { kind: 'outage'; error: Error; queued: number }
  /** An export succeeded again after an outage. */
  | { kind: 'recovered'; outageMillis: number; failedExports: number; notForwarded: number }
  /** The queue is full while exports work (the Collector is slower than the sessions). */
  | { kind: 'overflow'; maxQueueBytes: number }
  /** The queue has room again after an overflow. */
  | { kind: 'overflow-ended'; notForwarded: number }
  /** The endpoint refused a batch for good (an HTTP status OTLP says not to retry). */
  | { kind: 'rejected'; error: Error; records: number };

function mebibytes(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;
}

/** The report as one line of text. */
export function describeForwardingReport(report: ForwardingReport): string {
  switch (report.kind) {
    case 'outage':
      return `OTLP forwarding failed (${report.error.message}); ${report.queued} record(s) queued, kept and retried; what does not fit the queue is counted as not forwarded`;
    case 'recovered':
      return `OTLP forwarding works again after ${(report.outageMillis / 1000).toFixed(1)} s (${report.failedExports} failed export(s); ${report.notForwarded} record(s) did not fit the queue and were not forwarded)`;
    case 'overflow':
      return `OTLP forwarding cannot keep up: its queue is full (${mebibytes(report.maxQueueBytes)}); new records are counted as not forwarded until it drains`;
    case 'overflow-ended':
      return `OTLP forwarding queue has room again (${report.notForwarded} record(s) were not forwarded)`;
    case 'rejected':
      return `the OTLP endpoint rejected ${report.records} record(s) (${report.error.message}); they are counted as not forwarded and not retried`;
  }
}
