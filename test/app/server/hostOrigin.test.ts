import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { type TestServer, assertApiError, startServer } from './serverHelpers.ts';

/** A request with any Host header (fetch does not let a caller set Host, a browser sets it from the name it resolved). */
function raw(t: TestServer, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; body: any; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(t.url + path, { method, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text || 'null'), text }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('session server: DNS rebinding and cross-site requests are refused (Host and Origin)', () => {
  let t: TestServer;
  let port: string;
  before(async () => {
    t = await startServer({ allowedHosts: ['sessions.example.com'], allowedOrigins: ['https://dash.example.com'] });
    port = new URL(t.url).port;
  });
  after(async () => {
    await t.server.close();
  });

  it('refuses a Host that does not name this server with 403, and runs nothing', async () => {
    for (const host of ['attacker.example', `attacker.example:${port}`, '127.0.0.1.nip.io', 'localhost.attacker.example', '10.0.0.5']) {
      const reply = await raw(t, 'POST', '/sessions', { host }, { id: 'rebound', command: 'touch', args: [join(t.dir, 'ran')] });
      assertApiError(reply, 403, 'host_not_allowed');
    }
    assertApiError(await raw(t, 'GET', '/healthz', { host: 'attacker.example' }), 403, 'host_not_allowed');
    assert.equal(existsSync(join(t.dir, 'rebound')), false);
    assert.equal(existsSync(join(t.dir, 'ran')), false, 'the command did not run');
  });

  it('accepts loopback names, the bound address and configured names', async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, '127.0.0.2', `[::1]:${port}`, 'LOCALHOST', 'sessions.example.com', `sessions.example.com:443`]) {
      assert.equal((await raw(t, 'GET', '/healthz', { host })).status, 200, host);
    }
  });

  it('refuses an Origin other than the server itself or a configured one with 403', async () => {
    for (const origin of ['http://attacker.example', 'null', `http://localhost:${Number(port) + 1}`, 'https://dash.example.com.attacker.example']) {
      assertApiError(await raw(t, 'POST', '/sessions', { origin }, { id: 'csrf', command: 'cat' }), 403, 'origin_not_allowed');
    }
    assert.equal(existsSync(join(t.dir, 'csrf')), false);
    assert.equal((await raw(t, 'GET', '/healthz', { origin: 'https://dash.example.com' })).status, 200);
    assert.equal((await raw(t, 'GET', '/healthz', { origin: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}` })).status, 200);
  });

  it('accepts any Host with allowed_hosts = ["*"]', async () => {
    const open = await startServer({ allowedHosts: ['*'] });
    try {
      assert.equal((await raw(open, 'GET', '/healthz', { host: 'anything.example' })).status, 200);
    } finally {
      await open.server.close();
    }
  });
});
