import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { tempDir } from '../../support/sessionFiles.ts';
import { type TestServer, startServer } from './serverHelpers.ts';

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
}

function send(t: TestServer, sent: Sent): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    // A body always goes with its length: a client that sends one without it is broken, not fuzzed.
    const headers = sent.body === undefined ? sent.headers : { ...sent.headers, 'content-length': String(Buffer.byteLength(sent.body)) };
    const req = request(t.url + sent.path, { method: sent.method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    req.end(sent.body);
  });
}

/** Commands a fuzzed create may name: harmless, and found only through the server's own PATH. */
const SAFE_COMMANDS = ['true', 'sleep', 'no-such-command', '', 'true ', './true'];

const id = fc.oneof({ arbitrary: fc.constantFrom('a', 'fuzz-1', 's.1', '..', '.', '-x'), weight: 4 }, fc.string({ maxLength: 140 }), fc.string({ unit: 'binary', maxLength: 20 }));
const segment = id.map((value) => (value.length % 3 === 0 ? value.replace(/[^A-Za-z0-9._~-]/g, '') : encodeURIComponent(value)));
const path = fc.oneof(
  { arbitrary: fc.constant('/sessions'), weight: 4 },
  fc.constantFrom('/sessions', '/healthz', '/metrics', '/', '/sessions/', '//sessions', '/sessions?x=1', '/%', '/sessions/%E0%A4%A'),
  segment.map((s) => `/sessions/${s}`),
  segment.map((s) => `/sessions/${s}/input`),
  segment.map((s) => `/sessions/${s}/log-level`),
  fc.webPath(),
);
/** A create request's fields, each sometimes valid, sometimes not. */
const createBody = fc.record({
  id: fc.oneof({ arbitrary: id, weight: 4 }, fc.jsonValue()),
  command: fc.oneof({ arbitrary: fc.constantFrom(...SAFE_COMMANDS), weight: 6 }, fc.integer(), fc.constant(null)),
  args: fc.oneof({ arbitrary: fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }), weight: 4 }, fc.jsonValue()),
  cwd: fc.oneof(fc.constantFrom('/', '/tmp', '/no/such/dir', ''), fc.string()),
  env: fc.oneof({ arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }), weight: 4 }, fc.jsonValue()),
  log_level: fc.oneof({ arbitrary: fc.constantFrom('spawns', 'signals', 'prompts', 'full'), weight: 4 }, fc.jsonValue()),
  prompt_pattern: fc.oneof(fc.constantFrom('^(a+)+$', '(?=x)', '[', '\\1', 'x'.repeat(1001), '\\$ $'), fc.string({ maxLength: 30 })),
}, { requiredKeys: ['command'] });
const validCreate = fc.record({
  id: fc.constantFrom('a', 'fuzz-1', 's.1'),
  command: fc.constantFrom('true', 'sleep'),
  args: fc.constantFrom([], ['1000'], ['x']),
  log_level: fc.constantFrom('spawns', 'signals', 'prompts', 'full'),
}, { requiredKeys: ['command'] });
const jsonBody = fc.oneof(
  { arbitrary: validCreate, weight: 3 },
  createBody,
  fc.record({ data: fc.oneof(fc.string({ maxLength: 50 }), fc.jsonValue()) }, { requiredKeys: [] }),
  fc.record({ level: fc.oneof(fc.constantFrom('full', 'spawns', 'loud'), fc.jsonValue()) }, { requiredKeys: [] }),
  // Any other JSON, with a harmless command if it happens to name one.
  fc.jsonValue().map((value) => (value !== null && typeof value === 'object' && 'command' in value ? { ...value, command: 'true' } : value)),
);
const body = fc.oneof(
  { arbitrary: jsonBody.map((value) => JSON.stringify(value)), weight: 6 },
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  fc.constant(undefined),
  fc.constant(''),
);
const contentType = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 8 },
  fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/json; charset=utf-16', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json;;', 'APPLICATION/JSON', '*/*', ''),
  fc.stringMatching(/^[\x21-\x7e]{0,40}$/),
);
const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/).filter((name) => !['content-length', 'transfer-encoding', 'host', 'connection', 'expect', 'upgrade'].includes(name));
const request_ = fc.record({
  method: fc.oneof({ arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'), weight: 6 }, fc.constantFrom('PATCH', 'OPTIONS', 'HEAD')),
  path,
  body,
  contentType: fc.option(contentType, { freq: 10 }),
  headers: fc.dictionary(headerName, fc.stringMatching(/^[\x20-\x7e]{0,60}$/), { maxKeys: 4 }),
  origin: fc.oneof({ arbitrary: fc.constant(null), weight: 10 }, fc.constantFrom('http://attacker.example', 'null', 'http://127.0.0.1')),
});

describe('session server: fuzzed requests never get a 5xx, never crash it, and its memory stays bounded', function () {
  this.timeout(60_000);
  let t: TestServer;
  before(async () => {
    const bin = join(tempDir('osl-fuzz-bin-'), 'bin');
    mkdirSync(bin);
    for (const command of ['true', 'sleep']) symlinkSync(`/bin/${command}`, join(bin, command));
    t = await startServer({ maxSessions: 8, terminateGraceMs: 200, sessionEnv: ['PATH'], baseEnv: { PATH: bin } });
  });
  after(async () => {
    await t.server.close();
  });

  it('answers every request with a status below 500 and an {"error":{code,message}} body for every refusal', async () => {
    const before = process.memoryUsage().rss;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request_, async (r) => {
        const headers: Record<string, string> = { ...r.headers };
        if (r.contentType !== null) headers['content-type'] = r.contentType;
        if (r.origin !== null) headers.origin = r.origin;
        const reply = await send(t, { method: r.method, path: r.path, headers, body: r.method === 'GET' || r.method === 'HEAD' ? undefined : r.body });
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        assert.ok(reply.status < 500, `${r.method} ${r.path} -> ${reply.status} ${reply.text}`);
        if (reply.status >= 400 && r.method !== 'HEAD') {
          const parsed = JSON.parse(reply.text) as { error: { code: string; message: string } };
          assert.deepEqual(Object.keys(parsed), ['error'], reply.text);
          assert.equal(typeof parsed.error.code, 'string');
          assert.doesNotMatch(parsed.error.message, /\n\s+at |\.ts:\d+/, 'no stack trace');
        }
      }),
      // The budget for `npm test`: a few seconds; FUZZ_RUNS=100000 for a long run.
      { numRuns: Number(process.env.FUZZ_RUNS ?? 400), interruptAfterTimeLimit: Number(process.env.FUZZ_MS ?? 8000) },
    );
    // The server still serves, and it did not grow without bound.
    assert.equal((await send(t, { method: 'GET', path: '/healthz', headers: {}, body: undefined })).status, 200);
    const grown = (process.memoryUsage().rss - before) / (1024 * 1024);
    assert.ok(grown < 200, `RSS grew by ${grown.toFixed(0)} MiB`);
    assert.ok(statuses.size > 3, `replies spread over several statuses: ${[...statuses.keys()].join(', ')}`);
    if (process.env.FUZZ_STATUSES) console.log([...statuses].sort());
  });

  it('answers arbitrary bytes on a connection with a 4xx or nothing, never a 5xx, and keeps serving', async () => {
    const { hostname, port } = new URL(t.url);
    const line = fc.constantFrom('GET / HTTP/1.1\r\n', 'POST /sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\n', 'GET /healthz HTTP/1.0\r\n\r\n', '', 'PRI * HTTP/2.0\r\n\r\n');
    const junk = fc.oneof(fc.string({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1')));
    await fc.assert(
      fc.asyncProperty(line, junk, async (start, rest) => {
        const answer = await new Promise<string>((resolve, reject) => {
          const socket = connect(Number(port), hostname);
          let text = '';
          socket.setEncoding('latin1');
          socket.on('data', (chunk) => (text += chunk));
          socket.on('close', () => resolve(text));
          socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? resolve(text) : reject(error)));
          socket.end(Buffer.from(start + rest, 'latin1'));
        });
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1];
        if (status !== undefined) assert.ok(Number(status) < 500, answer.slice(0, 200));
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 200), interruptAfterTimeLimit: Number(process.env.FUZZ_MS ?? 5000) },
    );
    assert.equal((await send(t, { method: 'GET', path: '/healthz', headers: {}, body: undefined })).status, 200);
  });
});
