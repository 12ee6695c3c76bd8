import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { receiverPerTest } from '../../support/otlpReceiver.ts';
import { waitFor } from '../../support/service.ts';
import { sessionLines, tempDir } from '../../support/sessionFiles.ts';

const MAIN = fileURLToPath(new URL('../../../app/cli/main.ts', import.meta.url));

/** `name{labels} value` lines of a Prometheus text page, as a map. */
function metrics(text: string): Map<string, number> {
  return new Map([...text.matchAll(/^([a-z_]+(?:\{[^}]*\})?) (\S+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
}

describe('session-logs serve with OTLP forwarding (a real server process)', () => {
  const fake = receiverPerTest();

  it('OTEL_LOGS_EXPORTER=otlp turns it on; an outage prints one line when it starts and one when it ends; /metrics shows it; nothing is lost', async function () {
    this.timeout(60_000);
    const dir = tempDir('osl-serve-fwd-');
    fake.receiver.mode = 'unavailable';
    const child = spawn(process.execPath, [MAIN, 'serve', '--port', '0', '--dir', dir], {
      env: { ...process.env, CCMUX_SESSION_LOG: '', SESSION_LOGS_TOKEN: '', OTEL_LOGS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: fake.url, OTEL_EXPORTER_OTLP_TIMEOUT: '5000' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
    try {
      const server = await waitFor('serve to listen', () => /serving on (http:\/\/\S+)/.exec(stdout)?.[1], { describe: () => stderr });
      const call = (method: string, path: string, body?: unknown) => fetch(server + path, {
        method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
      });
      const page = async () => metrics(await (await call('GET', '/metrics')).text());
      assert.equal((await call('POST', '/sessions', { id: 'fwd', command: 'cat', log_level: 'full' })).status, 201);
      for (let i = 0; i < 20; i++) assert.equal((await call('POST', '/sessions/fwd/input', { data: `line ${i}\n` })).status, 202);
      await waitFor('the outage line', () => (/OTLP forwarding failed/.test(stderr) ? true : undefined), { describe: () => stderr });
      const during = await page();
      assert.equal(during.get('session_logs_otlp_outage'), 1);
      assert.equal(during.get('session_logs_otlp_outages_total'), 1);
      assert.ok(during.get('session_logs_otlp_failed_exports_total')! >= 1);
      assert.ok(during.get('session_logs_otlp_queued_records')! >= 40, 'the records wait in the queue');
      assert.ok(during.get('session_logs_otlp_queued_bytes')! > 0);
      assert.equal(during.get('session_logs_otlp_queue_limit_bytes'), 32 * 1024 * 1024);
      assert.equal(during.get('session_logs_otlp_not_forwarded_total{reason="queue_full"}'), 0);
      fake.receiver.mode = 'ok';
      await waitFor('the end-of-outage line', () => (/OTLP forwarding works again/.test(stderr) ? true : undefined), { describe: () => stderr });
      const after = await page();
      assert.equal(after.get('session_logs_otlp_outage'), 0);
      assert.equal((await call('PUT', '/sessions/fwd/log-level', { level: 'prompts' })).status, 200);
      assert.equal((await call('DELETE', '/sessions/fwd')).status, 200);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await closed, 0, stderr);
    assert.equal(stderr.match(/OTLP forwarding failed/g)?.length, 1, `one line per outage:\n${stderr}`);
    assert.equal(stderr.match(/OTLP forwarding works again/g)?.length, 1, `one line when it ends:\n${stderr}`);
    const onDisk = sessionLines(dir, 'fwd').map((l) => l.seq);
    const forwarded = fake.receiver.records.filter((r) => r.sessionId === 'fwd').map((r) => r.seq).sort((a, b) => a - b);
    assert.deepEqual(forwarded, onDisk, 'every record forwarded once, the ones queued during the outage included');
    // What a log store shows: a body on every record the server emits, and no attribute it
    // would read as the record's level (Loki: level, severity, lvl).
    const events = new Set(fake.receiver.records.map((r) => r.eventName));
    for (const event of ['session.created', 'api.request', 'process.started', 'input', 'command.started', 'output', 'log_level.changed', 'process.exited', 'session.terminated']) assert.ok(events.has(event), `${event} forwarded`);
    for (const record of fake.receiver.records) {
      assert.ok(typeof record.body === 'string' && record.body !== '', `${record.eventName} seq ${record.seq} has body ${JSON.stringify(record.body)}`);
      for (const name of ['level', 'severity', 'lvl']) assert.ok(!(name in record.attributes), `${record.eventName} seq ${record.seq} has an attribute ${name}`);
    }
  });
});
