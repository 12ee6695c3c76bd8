import { type RunningService, answers200, builtBinary, freePort, startService } from './service.ts';

/**
 * VictoriaLogs built by deploy/build-victorialogs.sh: VICTORIALOGS_BIN when .ci/run built
 * it, else the script's last line (it builds into the cache the first time, about a minute).
 */
export function victoriaLogsBinary(): string {
  return builtBinary('VictoriaLogs', 'VICTORIALOGS_BIN', 'deploy/build-victorialogs.sh');
}

/** One log entry as LogsQL returns it: every field a string. */
export type Row = Record<string, string>;

export interface RunningVictoriaLogs extends RunningService {
  /** Base URL, http://127.0.0.1:<port>. */
  url: string;
  /** Where the Collector's otlp_http exporter sends (LOGS_BACKEND_ENDPOINT; the exporter appends /v1/logs). */
  otlpEndpoint: string;
  dataDir: string;
  /** Run a LogsQL query over all time; one row per entry or stats result. */
  query(logsql: string): Promise<Row[]>;
}

/**
 * Start VictoriaLogs on a free loopback port with its data in `dataDir` (start it again on
 * the same directory to restart it). Retention covers any timestamp the tests write.
 */
export async function startVictoriaLogs(dataDir: string): Promise<RunningVictoriaLogs> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const service = await startService({
    name: 'VictoriaLogs', binary: victoriaLogsBinary(),
    args: [`-storageDataPath=${dataDir}`, `-httpListenAddr=127.0.0.1:${port}`, '-retentionPeriod=100y', '-futureRetention=100y', '-loggerLevel=WARN'],
    ready: () => answers200(`${url}/health`),
  });
  const query = async (logsql: string): Promise<Row[]> => {
    // Recently ingested entries become searchable on the next flush; force one so that a
    // poll sees everything accepted so far.
    await fetch(`${url}/internal/force_flush`).then((r) => r.arrayBuffer());
    const response = await fetch(`${url}/select/logsql/query`, { method: 'POST', body: new URLSearchParams({ query: logsql }) });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`LogsQL ${JSON.stringify(logsql)}: HTTP ${response.status}: ${text}`);
    return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Row);
  };
  return { ...service, url, otlpEndpoint: `${url}/insert/opentelemetry`, dataDir, query };
}

/** LogsQL string literal. */
export function quote(value: string): string {
  return JSON.stringify(value);
}

/** Per session: entries in the store and distinct seq among them. */
export interface StoredCounts {
  count: number;
  distinct: number;
}

/** Entries and distinct seq per session id, for the given sessions (absent ones count 0). */
export async function storedCounts(store: RunningVictoriaLogs, ids: string[]): Promise<Map<string, StoredCounts>> {
  const rows = await store.query(`session.id:in(${ids.map(quote).join(',')}) | stats by (session.id) count() n, count_uniq(session.log.seq) u`);
  const counts = new Map(ids.map((id) => [id, { count: 0, distinct: 0 }]));
  for (const row of rows) counts.set(row['session.id']!, { count: Number(row.n), distinct: Number(row.u) });
  return counts;
}

/** `_time` as VictoriaLogs prints it (RFC 3339, trailing zeros of the fraction dropped) in nanoseconds. */
export function timeToUnixNano(time: string): bigint {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(time);
  if (!match) throw new Error(`not an RFC 3339 UTC time: ${time}`);
  return BigInt(Date.parse(match[1] + 'Z')) * 1_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}
