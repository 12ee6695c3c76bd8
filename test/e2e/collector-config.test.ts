/**
 * The Collector and VictoriaLogs builds and otel-collector.yaml, checked with the real binaries:
 * - `npm run otelcol:build` and `npm run victorialogs:build` print the cached binary's
 *   absolute path as their last line, outside the repository, and reuse the cache;
 * - the Collector has a version and exactly the components of deploy/otelcol-builder.yaml,
 *   and otel-collector.yaml uses every one of them (the build stays minimal);
 * - what makes it lose nothing: a disk queue with batching in the backend exporter (no batch
 *   processor), read offsets on disk, a fixed memory limit, health and metrics on loopback;
 * - every setting is an environment variable with a default, documented in docs/loki.md, and
 *   the compose file sets no variable the config does not read, and runs the same feature gates;
 * - `otelcol validate` passes with every variable overridden, and fails on the mistakes a
 *   user makes (so a passing validate means something).
 * The references between docker-compose, Loki, Grafana and this config: test/deploy/composeConfig.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { COLLECTOR_FEATURE_GATES, collectorBinary, freePort } from '../support/otelcol.ts';
import { tempDir } from '../support/sessionFiles.ts';
import { victoriaLogsBinary } from '../support/victoriaLogs.ts';

type Dict = Record<string, any>;

const repo = fileURLToPath(new URL('../..', import.meta.url));
const configPath = join(repo, 'otel-collector.yaml');
const configText = readFileSync(configPath, 'utf8');
const config = parse(configText) as Dict;
const builderText = readFileSync(join(repo, 'deploy/otelcol-builder.yaml'), 'utf8');
const builder = parse(builderText) as Dict;

/** `otelcol validate` on `path` with exactly `env` (and PATH): exit status and output. */
function validate(path: string, env: Record<string, string> = {}): { status: number | null; output: string } {
  const result = spawnSync(collectorBinary(), ['validate', '--config', path, `--feature-gates=${COLLECTOR_FEATURE_GATES}`], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Every `${env:NAME}` / `${env:NAME:-default}` in the config text, by name, nested defaults included (comments skipped). */
function envVariables(text: string): Map<string, string | undefined> {
  const vars = new Map<string, string | undefined>();
  const code = text.split('\n').map((line) => line.replace(/(^|\s)#.*$/, '')).join('\n');
  for (const m of code.matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)(:-)?/g)) {
    if (!m[2]) {
      vars.set(m[1]!, undefined);
      continue;
    }
    // The default runs to the brace that closes this ${, past any nested ${...}.
    let depth = 1;
    let i = m.index! + m[0].length;
    const start = i;
    for (; i < code.length && depth > 0; i++) {
      if (code[i] === '{') depth++;
      else if (code[i] === '}') depth--;
    }
    vars.set(m[1]!, code.slice(start, i - 1));
  }
  return vars;
}

/** builder component module (without version) -> the type name it registers, as the config spells it (no underscores). */
function typeOfModule(module: string): string {
  return module.split('/').at(-1)!.replace(/(receiver|processor|exporter|extension|connector)$/, '');
}
const normalize = (type: string): string => type.split('/')[0]!.replaceAll('_', '');

describe('the Collector and VictoriaLogs builds, and otel-collector.yaml (real binaries)', function () {
  this.timeout(60_000);
  before(function () {
    this.timeout(900_000); // the first builds take minutes
    collectorBinary();
    victoriaLogsBinary();
  });

  for (const [script, name] of [['deploy/build-otelcol.sh', 'otelcol-session-logs'], ['deploy/build-victorialogs.sh', 'victoria-logs']] as const) {
    it(`${script} prints the cached binary as its last line, outside the repo, and reuses it`, () => {
      const run = (): string => execFileSync('bash', [script], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 900_000 });
      run(); // built by now either way
      const again = run();
      const lines = again.trimEnd().split('\n');
      assert.equal(lines.length, 1, `a cached run prints only the path: ${JSON.stringify(again)}`);
      const binary = lines[0]!;
      assert.ok(isAbsolute(binary), `${binary} is absolute`);
      assert.ok(relative(repo, binary).startsWith('..'), `${binary} is outside the repository`);
      assert.match(binary, new RegExp(`/[a-z]+-[0-9a-f]{16}/${name}$`), 'in a cache directory keyed by a hash');
    });
  }

  it('the Collector has a version and exactly the components of deploy/otelcol-builder.yaml, and otel-collector.yaml uses every one', () => {
    assert.equal(execFileSync(collectorBinary(), ['--version'], { encoding: 'utf8' }).trim(), `otelcol-session-logs version ${builder.dist.version}`);
    assert.match(String(builder.dist.version), /^0\.\d+\.\d+-session-logs\.\d+$/);
    const components = parse(execFileSync(collectorBinary(), ['components'], { encoding: 'utf8' })) as Dict;
    for (const kind of ['receivers', 'processors', 'exporters', 'extensions', 'providers'] as const) {
      const wanted = ((builder[kind] ?? []) as Dict[]).map((c) => String(c.gomod).trim().replace(/\s+/g, ' ')).sort();
      const built = ((components[kind] ?? []) as Dict[]).map((c) => String(c.module)).sort();
      assert.deepEqual(built, wanted, `${kind} in the binary`);
    }
    for (const kind of ['receivers', 'processors', 'exporters', 'extensions'] as const) {
      const used = new Set(Object.keys(config[kind] ?? {}).map(normalize));
      for (const c of (builder[kind] ?? []) as Dict[]) {
        const type = typeOfModule(String(c.gomod).split(/\s+/)[0]!).replace(/^storage\//, '');
        assert.ok(used.has(type), `${kind}: ${c.gomod} is built but otel-collector.yaml does not use it (drop it to keep the build small)`);
      }
    }
    // Same version everywhere: the builder that generated main.go and every component.
    const versions = new Set([...builderText.matchAll(/gomod: .* (v0\.\d+\.\d+)/g)].map((m) => m[1]));
    const script = readFileSync(join(repo, 'deploy/build-otelcol.sh'), 'utf8');
    assert.deepEqual([...versions], [/builder_version="(v[^"]+)"/.exec(script)?.[1]], 'components at the builder version');
    assert.ok(String(builder.dist.version).startsWith([...versions][0]!.slice(1)), 'dist.version starts with the Collector version');
  });

  it('loses nothing it accepted: disk queue with batching in the backend exporter, offsets on disk, fixed memory limit, health and metrics on loopback', () => {
    const pipelines = Object.values(config.service.pipelines as Dict) as Dict[];
    for (const pipeline of pipelines) {
      assert.ok(!(pipeline.processors as string[]).some((p) => normalize(p) === 'batch'), 'no batch processor: it holds accepted records in memory');
      assert.equal(pipeline.processors[0], 'memory_limiter', 'memory_limiter first');
    }
    const backend = config.exporters['otlp_http/backend'] as Dict;
    assert.equal(backend.sending_queue.storage, 'file_storage');
    assert.ok(backend.sending_queue.batch, 'batching in the exporter, after the disk queue');
    assert.equal(backend.retry_on_failure.max_elapsed_time, 0, 'never gives up on a queued batch');
    assert.equal(config.receivers['file_log/sessions'].storage, 'file_storage');
    assert.equal(config.receivers['file_log/sessions'].compression, 'auto', 'reads the gzip segments too');
    assert.deepEqual(config.service.extensions, ['file_storage', 'health_check']);
    assert.match(config.extensions.file_storage.directory, /OTELCOL_STORAGE_DIR/);
    assert.ok(config.processors.memory_limiter.limit_mib && config.processors.memory_limiter.limit_percentage === undefined, 'a fixed size, not a share of the host');
    assert.match(config.extensions.health_check.endpoint, /:-127\.0\.0\.1:13133\}$/);
    const reader = config.service.telemetry.metrics.readers[0].pull.exporter.prometheus;
    assert.equal(reader.host, '127.0.0.1');
  });

  it('every setting is an environment variable with a default, documented, and the only ones compose sets; compose runs the same feature gates', () => {
    const vars = envVariables(configText);
    assert.ok(vars.size >= 15, `found ${vars.size} variables`);
    for (const [name, fallback] of vars) assert.ok(fallback !== undefined && fallback !== '', `${name} has no default`);
    // The receiver answers only on loopback unless told otherwise: it has no authentication.
    assert.equal(vars.get('OTLP_HTTP_ENDPOINT'), '127.0.0.1:4318');
    assert.equal(vars.get('LOGS_BACKEND_ENDPOINT'), '${env:LOKI_OTLP_ENDPOINT:-http://127.0.0.1:3100/otlp}', 'LOKI_OTLP_ENDPOINT, the old name, still read');
    assert.equal(vars.get('OTELCOL_LOGS_RECEIVER'), 'otlp', 'push is the default');
    const docs = readFileSync(join(repo, 'docs/loki.md'), 'utf8');
    for (const name of vars.keys()) assert.ok(docs.includes(`\`${name}\``), `docs/loki.md does not document ${name}`);
    assert.ok(docs.includes(`--feature-gates=${COLLECTOR_FEATURE_GATES}`), 'docs/loki.md shows the feature gates');
    const compose = parse(readFileSync(join(repo, 'deploy/docker-compose.yaml'), 'utf8'), { merge: true }) as Dict;
    const collectors = Object.entries(compose.services as Dict).filter(([, s]) => /opentelemetry-collector/.test(String((s as Dict).image)));
    assert.ok(collectors.length >= 2);
    for (const [name, service] of collectors) {
      for (const key of Object.keys((service as Dict).environment ?? {})) {
        assert.ok(vars.has(key), `compose service ${name} sets ${key}, which otel-collector.yaml does not read`);
      }
      assert.ok(((service as Dict).command as string[]).includes(`--feature-gates=${COLLECTOR_FEATURE_GATES}`), `compose service ${name} runs the feature gates the tests run`);
    }
  });

  it('otelcol validate passes with every variable overridden, as the tests and compose do', async () => {
    const dir = tempDir();
    const overrides: Record<string, string> = {
      OTELCOL_LOGS_RECEIVER: 'file_log/sessions',
      OTLP_HTTP_ENDPOINT: `127.0.0.1:${await freePort()}`,
      OTELCOL_HEALTH_ENDPOINT: `127.0.0.1:${await freePort()}`,
      OTELCOL_METRICS_PORT: String(await freePort()),
      OTELCOL_STORAGE_DIR: join(dir, 'storage'),
      OTELCOL_MEMORY_LIMIT_MIB: '256',
      OTELCOL_QUEUE_RECORDS: '5000',
      OTELCOL_POLL_INTERVAL: '1s',
      SESSION_LOGS_DIR: join(dir, 'logs'),
      SESSION_LOGS_SERVICE_NAME: 'validate-test',
      LOGS_BACKEND_ENDPOINT: 'http://127.0.0.1:9/insert/opentelemetry',
      LOKI_OTLP_ENDPOINT: 'http://127.0.0.1:9/otlp',
      LOGS_BACKEND_ENCODING: 'json',
      SESSION_EXPORT_DIR: join(dir, 'export'),
      SESSION_EXPORT_MAX_MEGABYTES: '5',
      SESSION_EXPORT_MAX_BACKUPS: '2',
      OTELCOL_BATCH_TIMEOUT: '200ms',
      OTELCOL_DEBUG_VERBOSITY: 'detailed',
    };
    assert.deepEqual(Object.keys(overrides).sort(), [...envVariables(configText).keys()].sort(), 'this test covers every variable');
    for (const receiver of ['otlp', 'file_log/sessions']) {
      const { status, output } = validate(configPath, { ...overrides, OTELCOL_LOGS_RECEIVER: receiver });
      assert.equal(status, 0, `validate with ${receiver}:\n${output}`);
    }
  });

  it('otelcol validate fails on a receiver name that is not defined, a bad value, or a misspelt key', () => {
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['the receiver name before 0.165', { OTELCOL_LOGS_RECEIVER: 'filelog/sessions' }, /references receiver "filelog\/sessions" which is not configured/],
      ['encoding', { LOGS_BACKEND_ENCODING: 'xml' }, /invalid encoding type: xml/],
      ['duration', { OTELCOL_BATCH_TIMEOUT: 'soon' }, /invalid duration/],
      ['memory limit', { OTELCOL_MEMORY_LIMIT_MIB: 'lots' }, /limit_mib/],
    ];
    for (const [what, env, message] of cases) {
      const { status, output } = validate(configPath, env);
      assert.notEqual(status, 0, `${what}: validate passed`);
      assert.match(output, message, what);
    }
    const misspelt = join(tempDir(), 'otel-collector.yaml');
    writeFileSync(misspelt, configText.replace('group_by:', 'groupby:'));
    const { status, output } = validate(misspelt);
    assert.notEqual(status, 0, 'validate passed a config with an unknown key');
    assert.match(output, /groupby/);
  });
});
