import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { resolveSettings } from '../src/config/resolveSettings.ts';
import { describeDocCommands, repo } from './support/docBlocks.ts';

const check = (condition: boolean, message: string) => assert.ok(condition, message);
const loadConfig = (path: string) => {
  resolveSettings({ configFile: path, env: {} });
};

describeDocCommands('docs/parsing.md', {
  skipped: {},
  stopWhen: { "docs/parsing.md: import { followSession } from 'otel-session-logs';": /session\.terminated/ },
  checks: {
    'docs/parsing.md: S=demo-logs/calc                     # a session directory (the demo\'s, after npm start)': (run) => {
      assert.match(run.stdout, /^6 \* 7$/m, 'what the user typed');
      assert.match(run.stdout, /"from":"signals","to":"full"/, 'the level change and who made it');
    },
    "docs/parsing.md: import { readSession } from 'otel-session-logs';": (run) => {
      assert.match(run.stdout, /^\d+ command\.started 6 \* 7 audit\.jsonl:\d+ \d+$/m);
    },
  },
}, check, loadConfig);

describeDocCommands('docs/server.md', {
  skipped: {},
  servers: ['docs/server.md: npx session-logs serve --port 7878 --dir /tmp/session-logs    # Ctrl-C stops it'],
  checks: {
    "docs/server.md: import { createSessionLogging } from 'otel-session-logs';": (run) => assert.match(run.stdout, /^http:\/\/127\.0\.0\.1:\d+ \[\]$/m, 'the URL, and no orphan groups'),
  },
}, check, loadConfig);

const FORWARDING_SERVE = 'forwards to a Collector at 127.0.0.1:4318: test/app/cli/serveForwarding.test.ts runs serve with these variables against a real OTLP receiver';

describeDocCommands('docs/loki.md', {
  skipped: {
    'docs/loki.md: docker compose -f deploy/docker-compose.yaml up -d': 'needs Docker and pulls images; test/deploy/composeConfig.test.ts checks the compose, Collector, Loki and Grafana files agree',
    'docs/loki.md: OTEL_LOGS_EXPORTER=otlp OTEL_EXPORTER_OTLP_LOGS_ENDPOINT=http://127.0.0.1:4318/v1/logs session-logs serve': FORWARDING_SERVE,
    'docs/loki.md: LOGS_BACKEND_ENDPOINT=http://127.0.0.1:3100/otlp OTELCOL_STORAGE_DIR=~/.local/state/otelcol \\': 'needs Go and a running Loki: npm run test:e2e runs the built Collector on this configuration against a real backend (VictoriaLogs)',
    'docs/loki.md: SESSION_LOGS_DIR=~/.ccmux/logs OTELCOL_USER="$(id -u):$(id -g)" \\': 'needs Docker; npm run test:e2e runs the pull receiver on the same configuration',
    'docs/loki.md: logcli --addr=http://127.0.0.1:3100 query --forward --since=24h --limit=100000 --output=raw \\': 'needs a running Loki and logcli',
  },
}, check, loadConfig);

describeDocCommands('docs/victorialogs.md', {
  skipped: {
    'docs/victorialogs.md: npm run victorialogs:build     # builds once into ~/.cache/otel-session-logs; prints the binary path': 'needs Go: .ci/run builds VictoriaLogs this way and npm run test:e2e runs it',
    'docs/victorialogs.md: LOGS_BACKEND_ENDPOINT=http://127.0.0.1:9428/insert/opentelemetry OTELCOL_STORAGE_DIR=$HOME/.local/state/otelcol \\': 'needs Go: npm run test:e2e runs the built Collector on this configuration against a real VictoriaLogs',
    'docs/victorialogs.md: OTEL_LOGS_EXPORTER=otlp OTEL_EXPORTER_OTLP_LOGS_ENDPOINT=http://127.0.0.1:4318/v1/logs session-logs serve': FORWARDING_SERVE,
    'docs/victorialogs.md: curl -s http://127.0.0.1:9428/select/logsql/query --data-urlencode \'query=session.id:"s-1" | sort by (session.log.seq)\'': 'needs a running VictoriaLogs: test/e2e/victorialogs-docs.test.ts runs every query on this page against a real one',
  },
}, check, loadConfig);

describeDocCommands('docs/performance.md', {
  skipped: {
    'docs/performance.md: npm run bench -- --help': 'minutes of both cores; bench/ is run by hand, not in the test suites (test/bench/run.test.ts runs --help, refused options and a small --json run)',
  },
}, check, loadConfig);

for (const file of ['docs/architecture.md', 'docs/configuration.md', 'docs/layout.md', 'docs/levels.md']) describeDocCommands(file, { skipped: {} }, check, loadConfig);

describe('docs/', () => {
  it('every page has its commands tested here', () => {
    const pages = readdirSync(join(repo, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`);
    const tested = [...readFileSync(new URL(import.meta.url), 'utf8').matchAll(/'(docs\/[\w-]+\.md)'/g)].map((match) => match[1]);
    assert.deepEqual(pages.filter((page) => !tested.includes(page)), []);
  });

  it('every Markdown file that the README, docs and sources point at exists', () => {
    const sources = ['README.md', ...['docs', 'src', 'processors', 'exporters', 'storage', 'format', 'reader', 'app', 'test', 'bench', 'deploy', '.ci']
      .flatMap((dir) => (readdirSync(join(repo, dir), { recursive: true }) as string[]).map((name) => join(dir, name)))]
      .filter((path) => /\.(md|ts|sh|ya?ml)$|^\.ci\//.test(path) && !path.includes('node_modules'));
    const missing: string[] = [];
    for (const path of sources) {
      for (const [reference] of readFileSync(join(repo, path), 'utf8').matchAll(/[\w./-]+\.md\b/g)) {
        const candidates = [join(repo, reference), join(repo, dirname(path), reference)];
        if (!candidates.some((candidate) => existsSync(candidate))) missing.push(`${path}: ${reference}`);
      }
    }
    assert.deepEqual(missing.filter((entry) => !entry.startsWith(relative(repo, new URL(import.meta.url).pathname))), []);
  });
});
