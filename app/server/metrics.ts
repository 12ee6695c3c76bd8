import type { SessionLoggingStats } from '../../src/SessionLogging.ts';

/** One metric: name, type, help and its samples (label set -> value). */
interface Metric {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  samples: Array<[labels: string, value: number]>;
}

export interface ServerCounters {
  /** Sessions by status: starting, running, exited, failed. */
  sessions: Record<string, number>;
  /** Events the session manager did not emit because of their session's level. */
  filtered: number;
  /** HTTP responses by status code. */
  responses: ReadonlyMap<number, number>;
  /** Process groups found at start-up that outlived a crashed server. */
  orphans: number;
}

function one(name: string, type: Metric['type'], help: string, value: number): Metric {
  return { name, type, help, samples: [['', value]] };
}

/** Prometheus text exposition (version 0.0.4) of the logging stats and the server's own counters. */
export function renderMetrics(stats: SessionLoggingStats, server: ServerCounters): string {
  const { files, levels, forwarding } = stats;
  const metrics: Metric[] = [
    one('session_logs_records_written_total', 'counter', 'Records written to session files.', files.records),
    one('session_logs_records_filtered_total', 'counter', 'Records not written because of their session\'s level.', levels.filtered + server.filtered),
    one('session_logs_records_dropped_total', 'counter', 'Records that could not be written (seq ranges in metadata.json drops).', files.dropped),
    one('session_logs_bytes_written_total', 'counter', 'Bytes written to active session files.', files.bytes),
    one('session_logs_rotations_total', 'counter', 'Segments rotated.', files.rotations),
    one('session_logs_errors_total', 'counter', 'I/O errors while writing session files.', files.errors),
    one('session_logs_records_passed_total', 'counter', 'Records that passed the level filter.', levels.passed),
    one('session_logs_backpressure_total', 'counter', 'Synchronous writes because a file buffer passed its high-water mark.', files.backpressure),
    one('session_logs_compressions_total', 'counter', 'Rotated segments compressed.', files.compressions),
    one('session_logs_repairs_total', 'counter', 'Torn last lines repaired on reopen.', files.repairs),
    one('session_logs_open_logs', 'gauge', 'Session logs currently open.', stats.openSessions),
    one('session_logs_orphan_groups', 'gauge', 'Process groups found at start-up that outlived a crashed server (reported or killed).', server.orphans),
    {
      name: 'session_logs_sessions', type: 'gauge', help: 'Sessions known to the server, by status.',
      samples: Object.entries(server.sessions).map(([status, count]) => [`{status="${status}"}`, count]),
    },
    {
      name: 'session_logs_http_responses_total', type: 'counter', help: 'HTTP responses, by status code.',
      samples: [...server.responses].sort(([a], [b]) => a - b).map(([code, count]) => [`{code="${code}"}`, count]),
    },
  ];
  if (forwarding) {
    metrics.push(
      one('session_logs_otlp_forwarded_total', 'counter', 'Records the OTLP Collector accepted.', forwarding.forwarded),
      {
        name: 'session_logs_otlp_not_forwarded_total', type: 'counter', help: 'Records that will not be forwarded over OTLP, by reason.',
        samples: [['{reason="queue_full"}', forwarding.queueFull], ['{reason="rejected"}', forwarding.rejected], ['{reason="shutdown"}', forwarding.unsentAtShutdown]],
      },
      one('session_logs_otlp_failed_exports_total', 'counter', 'OTLP export attempts that failed (each retry counts).', forwarding.failedExports),
      one('session_logs_otlp_outages_total', 'counter', 'Episodes of failing OTLP exports.', forwarding.outages),
      one('session_logs_otlp_outage', 'gauge', '1 while OTLP exports are failing, else 0.', forwarding.inOutage ? 1 : 0),
      one('session_logs_otlp_queued_records', 'gauge', 'Records waiting to be forwarded over OTLP.', forwarding.queued),
      one('session_logs_otlp_queued_bytes', 'gauge', 'Estimated bytes of the records waiting to be forwarded.', forwarding.queuedBytes),
      one('session_logs_otlp_queue_limit_bytes', 'gauge', 'Bound of the forwarding queue in estimated bytes.', forwarding.maxQueueBytes),
    );
  }
  let text = '';
  for (const metric of metrics) {
    text += `# HELP ${metric.name} ${metric.help}\n# TYPE ${metric.name} ${metric.type}\n`;
    for (const [labels, value] of metric.samples) text += `${metric.name}${labels} ${value}\n`;
  }
  return text;
}
