import assert from 'node:assert/strict';
import { type SessionLoggingOptions, createSessionLogging } from '../../../src/SessionLogging.ts';
import { SessionServer, type SessionServerOptions } from '../../../app/server/SessionServer.ts';
import { tempDir } from '../../support/sessionFiles.ts';

export interface Reply {
  status: number;
  body: any;
  text: string;
}

export interface TestServer {
  server: SessionServer;
  dir: string;
  url: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
}

/** A real server on 127.0.0.1, port 0, logging into a fresh temp dir (env {}: no CCMUX_SESSION_LOG). */
export async function startServer(options: Partial<SessionServerOptions> = {}, logging: SessionLoggingOptions = {}): Promise<TestServer> {
  const dir = tempDir('osl-server-');
  const server = await SessionServer.start({ logging: createSessionLogging({ dir, env: {}, ...logging }), host: '127.0.0.1', port: 0, terminateGraceMs: 2000, ...options });
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const response = await fetch(server.url + path, init);
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed, text };
  };
  return { server, dir, url: server.url, call };
}

/** Poll GET /sessions/:id until `done` holds (the mocha timeout bounds the wait). */
export async function waitForSession(t: TestServer, id: string, done: (session: any) => boolean): Promise<any> {
  for (;;) {
    const reply = await t.call('GET', `/sessions/${id}`);
    assert.equal(reply.status, 200, reply.text);
    if (done(reply.body)) return reply.body;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A 4xx reply shaped {"error":{"code","message"}} saying what is allowed, without a stack trace. */
export function assertApiError(reply: Reply, status: number, code: string): void {
  assert.equal(reply.status, status, reply.text);
  assert.deepEqual(Object.keys(reply.body ?? {}), ['error'], reply.text);
  assert.deepEqual(Object.keys(reply.body.error).sort(), ['code', 'message'], reply.text);
  assert.equal(reply.body.error.code, code, reply.text);
  assert.match(reply.body.error.message, /allowed/, reply.text);
  assert.doesNotMatch(reply.text, /\n\s+at |\.ts:\d+/, 'no stack trace');
}

export const NODE = process.execPath;
