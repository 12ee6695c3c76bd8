import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveSettings } from '../src/config/resolveSettings.ts';
import { describeDocCommands, repo } from './support/docBlocks.ts';
import { sessionLines } from './support/sessionFiles.ts';

describe('README', () => {
  it('starts with the two commands: run the main job, run the tests', () => {
    const lines = readFileSync(join(repo, 'README.md'), 'utf8').split('\n');
    const block = lines.slice(lines.indexOf('```sh') + 1, lines.indexOf('```sh') + 3).join('\n');
    assert.match(block, /^npm ci && npm start\b/m);
    assert.match(block, /^npm test\b/m);
  });
});

describeDocCommands('README.md', {
  skipped: {
    'README.md: npm ci && npm start   # the demo: a session server runs three real sessions, logs in ./demo-logs, then the commands to read them':
      '.ci/run runs npm ci and npm test; npm start is the demo, which these tests run into the workspace the other blocks read',
    'README.md: npm install otel-session-logs @opentelemetry/api':
      'npm run test:package installs the packed tarball this way into a fresh project',
    'README.md: npm run otelcol:build            # builds once into ~/.cache/otel-session-logs; prints the binary path':
      'needs Go and builds the Collector: npm run test:e2e builds it and validates otel-collector.yaml',
    'README.md: OTEL_LOGS_EXPORTER=otlp OTEL_EXPORTER_OTLP_LOGS_ENDPOINT=http://127.0.0.1:4318/v1/logs session-logs serve':
      'forwards to a Collector at 127.0.0.1:4318: test/app/cli/serveForwarding.test.ts runs serve with these variables against a real OTLP receiver',
  },
  servers: ['README.md: npx session-logs serve --port 7878 --dir /tmp/session-logs   # Ctrl-C ends every session and flushes the logs'],
  checks: {
    "README.md: import { createSessionLogging } from 'otel-session-logs';": (_run, space) => {
      assert.deepEqual(sessionLines(space.localise('/tmp/session-logs'), 's-1').map((line) => line.event), ['session.created', 'command.started', 'log_level.changed', 'output', 'session.terminated']);
    },
    "README.md: import { LoggerProvider } from '@opentelemetry/sdk-logs';": (_run, space) => {
      // The plugin path records the level change too: SessionLevelProcessor.setLevel writes log_level.changed.
      assert.deepEqual(sessionLines(space.localise('/tmp/session-logs'), 's-1').map((line) => line.event).slice(-2), ['process.exited', 'log_level.changed']);
    },
  },
}, (condition, message) => assert.ok(condition, message), (path) => {
  resolveSettings({ configFile: path, env: {} });
});
