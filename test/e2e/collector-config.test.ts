/**
 * The Collector build and otel-collector.yaml, checked with the real binary:
 * - `npm run otelcol:build` (deploy/build-otelcol.sh) prints the cached binary's absolute
 *   path as its last line and reuses the cache;
 * - the binary has exactly the components of deploy/otelcol-builder.yaml, and
 *   otel-collector.yaml uses every one of them (the build stays minimal);
 * - every setting of otel-collector.yaml is an environment variable with a default, documented
 *   in docs/loki.md, and the compose file sets no variable the config does not read;
 * - `otelcol validate` passes with every variable overridden, and fails on the mistakes a
 *   user makes (so a passing validate means something).
 * `otelcol validate` with the defaults is in collector.test.ts; the references between
 * docker-compose, Loki, Grafana and this config in composeConfig.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { collectorBinary, freePort } from '../support/otelcol.ts';
import { tempDir } from '../support/sessionFiles.ts';

type Dict = Record<string, any>;

const repo = fileURLToPath(new URL('../..', import.meta.url));
const configPath = join(repo, 'otel-collector.yaml');
const configText = readFileSync(configPath, 'utf8');
const builder = parse(readFileSync(join(repo, 'deploy/otelcol-builder.yaml'), 'utf8')) as Dict;

/** `otelcol validate` on `path` with exactly `env` (and PATH): exit status and output. */
function validate(path: string, env: Record<string, string> = {}): { status: number | null; output: string } {
  const result = spawnSync(collectorBinary(), ['validate', '--config', path], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Every `${env:NAME}` / `${env:NAME:-default}` in the config text, by name (comments skipped). */
function envVariables(text: string): Map<string, string | undefined> {
  const vars = new Map<string, string | undefined>();
  const code = text.split('\n').map((line) => line.replace(/(^|\s)#.*$/, '')).join('\n');
  for (const m of code.matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g)) vars.set(m[1]!, m[2]);
  return vars;
}

/** builder component module (without version) -> the type name it registers, as the config spells it (no underscores). */
function typeOfModule(module: string): string {
  return module.split('/').at(-1)!.replace(/(receiver|processor|exporter|extension|connector)$/, '');
}
const normalize = (type: string): string => type.split('/')[0]!.replaceAll('_', '');

describe('the Collector build and otel-collector.yaml (real binary)', function () {
  this.timeout(60_000);
  before(function () {
    this.timeout(900_000); // the first build takes minutes
    collectorBinary();
  });

  it('npm run otelcol:build prints the cached binary as its last line, outside the repo, and reuses it', () => {
    const run = (): { stdout: string; ms: number } => {
      const start = Date.now();
      const stdout = execFileSync('bash', ['deploy/build-otelcol.sh'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 900_000 });
      return { stdout, ms: Date.now() - start };
    };
    run(); // built by now either way
    const again = run();
    const lines = again.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 1, `a cached run prints only the path: ${JSON.stringify(again.stdout)}`);
    const binary = lines[0]!;
    assert.ok(isAbsolute(binary), `${binary} is absolute`);
    assert.ok(relative(repo, binary).startsWith('..'), `${binary} is outside the repository`);
    assert.match(binary, /\/otelcol-[0-9a-f]{16}\/otelcol-session-logs$/, 'in a cache directory keyed by a hash');
    assert.ok(again.ms < 10_000, `a cached run takes ${again.ms} ms: it must reuse the binary, not rebuild`);
    if (!process.env.OTELCOL_BIN) assert.equal(binary, collectorBinary(), 'the tests use the same binary');
  });

  it('the binary has exactly the components of deploy/otelcol-builder.yaml, and otel-collector.yaml uses every one', () => {
    const components = parse(execFileSync(collectorBinary(), ['components'], { encoding: 'utf8' })) as Dict;
    const config = parse(configText) as Dict;
    for (const kind of ['receivers', 'processors', 'exporters', 'providers'] as const) {
      const wanted = ((builder[kind] ?? []) as Dict[]).map((c) => String(c.gomod).trim().replace(/\s+/g, ' ')).sort();
      const built = ((components[kind] ?? []) as Dict[]).map((c) => String(c.module)).sort();
      assert.deepEqual(built, wanted, `${kind} in the binary`);
    }
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      const used = new Set(Object.keys(config[kind] ?? {}).map(normalize));
      for (const c of (builder[kind] ?? []) as Dict[]) {
        const type = typeOfModule(String(c.gomod).split(/\s+/)[0]!);
        assert.ok(used.has(type), `${kind}: ${c.gomod} is built but otel-collector.yaml does not use it (drop it to keep the build small)`);
      }
    }
    // Same version everywhere: the builder that generated main.go and every component.
    const versions = new Set([...readFileSync(join(repo, 'deploy/otelcol-builder.yaml'), 'utf8').matchAll(/gomod: .* (v0\.\d+\.\d+)/g)].map((m) => m[1]));
    const script = readFileSync(join(repo, 'deploy/build-otelcol.sh'), 'utf8');
    assert.deepEqual([...versions], [/builder_version="(v[^"]+)"/.exec(script)?.[1]], 'components at the builder version');
  });

  it('every setting is an environment variable with a default, documented, and the only ones compose sets', () => {
    const vars = envVariables(configText);
    assert.ok(vars.size >= 10, `found ${vars.size} variables`);
    for (const [name, fallback] of vars) assert.ok(fallback !== undefined && fallback !== '', `${name} has no default`);
    // The receiver answers only on loopback unless told otherwise: it has no authentication.
    assert.match(vars.get('OTLP_HTTP_ENDPOINT')!, /^127\.0\.0\.1:4318$/);
    assert.equal(vars.get('LOKI_OTLP_ENDPOINT'), 'http://loki:3100/otlp');
    assert.equal(vars.get('OTELCOL_LOGS_RECEIVER'), 'otlp', 'push is the default');
    const docs = readFileSync(join(repo, 'docs/loki.md'), 'utf8');
    for (const name of vars.keys()) assert.ok(docs.includes(`\`${name}\``), `docs/loki.md does not document ${name}`);
    const compose = parse(readFileSync(join(repo, 'deploy/docker-compose.yaml'), 'utf8'), { merge: true }) as Dict;
    const collectors = Object.entries(compose.services as Dict).filter(([, s]) => /opentelemetry-collector/.test(String((s as Dict).image)));
    assert.ok(collectors.length >= 1);
    for (const [name, service] of collectors) {
      for (const key of Object.keys((service as Dict).environment ?? {})) {
        assert.ok(vars.has(key), `compose service ${name} sets ${key}, which otel-collector.yaml does not read`);
      }
    }
  });

  it('otelcol validate passes with every variable overridden, as the tests and compose do', async () => {
    const dir = tempDir();
    const overrides: Record<string, string> = {
      OTELCOL_LOGS_RECEIVER: 'filelog/sessions',
      OTLP_HTTP_ENDPOINT: `127.0.0.1:${await freePort()}`,
      SESSION_LOGS_DIR: join(dir, 'logs'),
      SESSION_LOGS_SERVICE_NAME: 'validate-test',
      LOKI_OTLP_ENDPOINT: 'http://127.0.0.1:9/otlp',
      LOKI_OTLP_ENCODING: 'json',
      SESSION_EXPORT_DIR: join(dir, 'export'),
      SESSION_EXPORT_MAX_MEGABYTES: '5',
      SESSION_EXPORT_MAX_BACKUPS: '2',
      OTELCOL_BATCH_TIMEOUT: '200ms',
      OTELCOL_DEBUG_VERBOSITY: 'detailed',
    };
    assert.deepEqual(Object.keys(overrides).sort(), [...envVariables(configText).keys()].sort(), 'this test covers every variable');
    for (const receiver of ['otlp', 'filelog/sessions']) {
      const { status, output } = validate(configPath, { ...overrides, OTELCOL_LOGS_RECEIVER: receiver });
      assert.equal(status, 0, `validate with ${receiver}:\n${output}`);
    }
  });

  it('otelcol validate fails on a receiver name that is not defined, a bad value, or a misspelt key', () => {
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['receiver typo', { OTELCOL_LOGS_RECEIVER: 'filelog' }, /references receiver "filelog" which is not configured/],
      ['encoding', { LOKI_OTLP_ENCODING: 'xml' }, /invalid encoding type: xml/],
      ['duration', { OTELCOL_BATCH_TIMEOUT: 'soon' }, /invalid duration/],
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
