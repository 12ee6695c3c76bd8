import { fileURLToPath } from 'node:url';
import { type RunningService, answers200, builtBinary, freePort, startService } from './service.ts';

export { freePort };

/** The repository's Collector configuration. */
export const COLLECTOR_CONFIG = fileURLToPath(new URL('../../otel-collector.yaml', import.meta.url));

/**
 * Feature gates the Collector runs with (docs/loki.md, deploy/docker-compose.yaml): the pull
 * receiver hands each batch on before it records the read offset, so a kill loses nothing.
 */
export const COLLECTOR_FEATURE_GATES = 'stanza.synchronousLogEmitter';

/**
 * The Collector built from deploy/otelcol-builder.yaml: OTELCOL_BIN when .ci/run built it,
 * else `bash deploy/build-otelcol.sh` (a few minutes the first time).
 */
export function collectorBinary(): string {
  return builtBinary('the Collector', 'OTELCOL_BIN', 'deploy/build-otelcol.sh');
}

export interface RunningCollector extends RunningService {
  /** Its OTLP/HTTP logs endpoint (push). */
  endpoint: string;
  /** Its own metrics (Prometheus text), parsed: `name{labels}` -> value, summed over labels when asked by name alone. */
  metrics(): Promise<Map<string, number>>;
  /** The environment it was started with, to start it again on the same ports and directories. */
  env: Record<string, string>;
}

/** Ports of one Collector: OTLP receiver, health check, own metrics. */
export async function collectorPorts(): Promise<Record<string, string>> {
  return {
    OTLP_HTTP_ENDPOINT: `127.0.0.1:${await freePort()}`,
    OTELCOL_HEALTH_ENDPOINT: `127.0.0.1:${await freePort()}`,
    OTELCOL_METRICS_PORT: String(await freePort()),
  };
}

/** Prometheus text -> map of `name{labels}` and `name` (summed) to values. */
function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const value = Number(match[3]);
    values.set(match[1]! + (match[2] ?? ''), value);
    if (match[2]) values.set(match[1]!, (values.get(match[1]!) ?? 0) + value);
  }
  return values;
}

/**
 * Start the real Collector on otel-collector.yaml with `env` on top of fresh loopback ports
 * (pass the `env` of a previous run to restart it on the same ports and storage). Resolves
 * once its health check answers 200, i.e. every component started.
 */
export async function startCollector(env: Record<string, string>): Promise<RunningCollector> {
  const full = { ...(await collectorPorts()), ...env };
  const health = `http://${full.OTELCOL_HEALTH_ENDPOINT}/`;
  const service = await startService({
    name: 'the Collector', binary: collectorBinary(),
    args: ['--config', COLLECTOR_CONFIG, `--feature-gates=${COLLECTOR_FEATURE_GATES}`],
    env: full, ready: () => answers200(health),
  });
  return {
    ...service, env: full,
    endpoint: `http://${full.OTLP_HTTP_ENDPOINT}/v1/logs`,
    metrics: async () => parseMetrics(await (await fetch(`http://127.0.0.1:${full.OTELCOL_METRICS_PORT}/metrics`)).text()),
  };
}
