import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSessionLogging } from '../../../src/SessionLogging.ts';
import { SessionServer } from '../../../app/server/SessionServer.ts';
import { tokenId } from '../../../app/server/auth.ts';
import { assertContiguous, sessionLines, tempDir } from '../../support/sessionFiles.ts';
import { type TestServer, assertApiError, startServer, waitForSession } from './serverHelpers.ts';

describe('session server: every bad input gets a 4xx that says what is allowed, and the server keeps serving', () => {
  let t: TestServer;
  let echoed = 0;
  before(async () => {
    t = await startServer();
    // A session that must keep working through every bad request below.
    assert.equal((await t.call('POST', '/sessions', { id: 'bystander', command: 'cat', log_level: 'full' })).status, 201);
  });
  afterEach(async () => {
    // After each bad request: the bystander still takes input and echoes it.
    const data = `still here ${echoed}\n`;
    assert.equal((await t.call('POST', '/sessions/bystander/input', { data })).status, 202);
    echoed += data.length;
    await waitForSession(t, 'bystander', (s) => s.output_bytes.stdout === echoed);
  });
  after(async () => {
    await t.server.close();
    const lines = sessionLines(t.dir, 'bystander');
    assertContiguous(lines);
    assert.equal(lines.filter((l) => l.event === 'input').length, lines.filter((l) => l.event === 'command.started').length);
  });

  it('rejects malformed JSON with 400 invalid_json', async () => {
    assertApiError(await t.call('POST', '/sessions', '{"command": "cat",'), 400, 'invalid_json');
    assertApiError(await t.call('POST', '/sessions', '{"__proto__": {"x": 1}, "command": "cat"}'), 400, 'invalid_json');
  });

  it('rejects an empty JSON body and a body that is not an object', async () => {
    assertApiError(await t.call('POST', '/sessions', '', { 'content-type': 'application/json' }), 400, 'invalid_json');
    assertApiError(await t.call('POST', '/sessions', '[1,2]'), 400, 'invalid_request');
  });

  it('rejects a body that is not JSON in UTF-8 with 415, text/plain and other charsets included', async () => {
    assertApiError(await t.call('POST', '/sessions', 'command=cat', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
    assertApiError(await t.call('POST', '/sessions', '{"command":"cat"}', { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
    assertApiError(await t.call('POST', '/sessions', '{"command":"cat"}', { 'content-type': 'application/json; charset=utf-16' }), 415, 'unsupported_media_type');
    assertApiError(await t.call('POST', '/sessions/bystander/input', '{"data":"x"}', { 'content-type': 'application/json;charset=latin1' }), 415, 'unsupported_media_type');
    // UTF-8, said or not, is JSON.
    const utf8 = await t.call('POST', '/sessions/bystander/input', '{"data":"é\\n"}', { 'content-type': 'application/json; charset=UTF-8' });
    assert.equal(utf8.status, 202, utf8.text);
    echoed += Buffer.byteLength('é\n');
  });

  it('accepts DELETE with a JSON content-type and no body', async () => {
    assert.equal((await t.call('POST', '/sessions', { id: 'gone', command: 'cat' })).status, 201);
    const reply = await t.call('DELETE', '/sessions/gone', undefined, { 'content-type': 'application/json' });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.body.status, 'exited');
  });

  it('rejects env names that are not variable names, and NUL characters, with 400', async () => {
    for (const env of [{ 'A=B': 'x' }, { '': 'x' }, { '1A': 'x' }, { 'A B': 'x' }, { A: 'x\u0000y' }]) {
      const reply = await t.call('POST', '/sessions', { command: 'cat', env });
      assertApiError(reply, 400, 'invalid_request');
    }
    assertApiError(await t.call('POST', '/sessions', { command: 'cat', args: ['a\u0000b'] }), 400, 'invalid_request');
  });

  it('refuses a prompt pattern the linear-time engine cannot take with 400, saying why', async () => {
    const refusals: Array<[string, RegExp]> = [
      ['(?=\\$)', /lookahead and lookbehind are not supported/],
      ['(a)\\1', /backreferences are not supported/],
      ['(a|aa){1,300}', /more than 1000/],
    ];
    for (const [prompt_pattern, why] of refusals) {
      const reply = await t.call('POST', '/sessions', { id: 'pp', command: 'cat', prompt_pattern });
      assertApiError(reply, 400, 'invalid_prompt_pattern');
      assert.match(reply.body.error.message, why);
    }
    assertApiError(await t.call('POST', '/sessions', { id: 'pp', command: 'cat', prompt_pattern: 'x'.repeat(1001) }), 400, 'invalid_request');
    assert.equal(existsSync(join(t.dir, 'pp')), false);
  });

  it('rejects an unknown level on create and on change, listing the levels', async () => {
    const onCreate = await t.call('POST', '/sessions', { id: 'lv', command: 'cat', log_level: 'verbose' });
    assertApiError(onCreate, 400, 'invalid_level');
    assert.match(onCreate.body.error.message, /spawns, signals, prompts, full/);
    const onChange = await t.call('PUT', '/sessions/bystander/log-level', { level: 'debug' });
    assertApiError(onChange, 400, 'invalid_level');
    assert.match(onChange.body.error.message, /"debug".*spawns, signals, prompts, full/);
    assertApiError(await t.call('PUT', '/sessions/bystander/log-level', { level: 3 }), 400, 'invalid_level');
    assertApiError(await t.call('PUT', '/sessions/bystander/log-level', {}), 400, 'invalid_level');
    assertApiError(await t.call('GET', '/sessions/lv'), 404, 'session_not_found');
  });

  it('rejects invalid session ids in the body and in the path', async () => {
    for (const id of ['../etc', '.hidden', 'a/b', '', 'x'.repeat(129), 'sp ace']) {
      assertApiError(await t.call('POST', '/sessions', { id, command: 'cat' }), 400, 'invalid_session_id');
    }
    assertApiError(await t.call('GET', '/sessions/bad%24id'), 400, 'invalid_session_id');
    assertApiError(await t.call('POST', '/sessions/.hidden/input', { data: 'x' }), 400, 'invalid_session_id');
    assertApiError(await t.call('DELETE', `/sessions/${'y'.repeat(200)}`), 400, 'invalid_session_id');
    assertApiError(await t.call('DELETE', `/sessions/${'y'.repeat(2000)}`), 400, 'invalid_session_id');
    assertApiError(await t.call('GET', '/sessions/%E0%A4%A'), 400, 'bad_url');
  });

  it('rejects a duplicate session id with 409', async () => {
    const duplicate = await t.call('POST', '/sessions', { id: 'bystander', command: 'cat' });
    assertApiError(duplicate, 409, 'session_exists');
  });

  it('rejects a missing command, wrong types and unknown keys', async () => {
    const missing = await t.call('POST', '/sessions', { id: 'nocmd' });
    assertApiError(missing, 400, 'invalid_request');
    assert.match(missing.body.error.message, /command is missing/);
    assertApiError(await t.call('POST', '/sessions', { command: '' }), 400, 'invalid_request');
    assertApiError(await t.call('POST', '/sessions', { command: 'cat', args: 'not-an-array' }), 400, 'invalid_request');
    assertApiError(await t.call('POST', '/sessions', { command: 'cat', env: { A: 1 } }), 400, 'invalid_request');
    assertApiError(await t.call('POST', '/sessions', { command: 'cat', colour: 'red' }), 400, 'invalid_request');
    assertApiError(await t.call('POST', '/sessions', { command: 'cat', prompt_pattern: '([' }), 400, 'invalid_prompt_pattern');
    assertApiError(await t.call('POST', '/sessions/bystander/input', { text: 'x' }), 400, 'invalid_request');
  });

  it('refuses a command that does not exist, is not executable, or a missing cwd with 422, leaving nothing on disk', async () => {
    const reply = await t.call('POST', '/sessions', { id: 'ghost', command: 'no-such-command-osl', log_level: 'spawns' });
    assertApiError(reply, 422, 'spawn_failed');
    assert.match(reply.body.error.message, /no-such-command-osl.*not found/);
    const plain = join(tempDir('osl-plain-'), 'not-a-program');
    writeFileSync(plain, 'echo hi\n', { mode: 0o644 });
    assertApiError(await t.call('POST', '/sessions', { id: 'ghost2', command: plain }), 422, 'spawn_failed');
    assertApiError(await t.call('POST', '/sessions', { id: 'ghost3', command: './no-such-script.sh' }), 422, 'spawn_failed');
    assertApiError(await t.call('POST', '/sessions', { id: 'nowhere', command: 'cat', cwd: '/no/such/dir/osl' }), 422, 'spawn_failed');
    for (const id of ['ghost', 'ghost2', 'ghost3', 'nowhere']) assert.equal(existsSync(join(t.dir, id)), false, `${id} left a directory`);
    assertApiError(await t.call('GET', '/sessions/ghost'), 404, 'session_not_found');
  });

  it('rejects input to an ended or unknown session', async () => {
    assert.equal((await t.call('POST', '/sessions', { id: 'short', command: 'true' })).status, 201);
    await waitForSession(t, 'short', (s) => s.status === 'exited');
    const ended = await t.call('POST', '/sessions/short/input', { data: 'x\n' });
    assertApiError(ended, 409, 'session_ended');
    assertApiError(await t.call('POST', '/sessions/never-was/input', { data: 'x\n' }), 404, 'session_not_found');
    assertApiError(await t.call('PUT', '/sessions/never-was/log-level', { level: 'full' }), 404, 'session_not_found');
    assertApiError(await t.call('DELETE', '/sessions/never-was'), 404, 'session_not_found');
  });

  it('answers an unknown route or method with 404 and the list of routes', async () => {
    const unknown = await t.call('GET', '/session');
    assertApiError(unknown, 404, 'route_not_found');
    assert.match(unknown.body.error.message, /POST \/sessions, GET \/sessions/);
    assertApiError(await t.call('PATCH', '/sessions/bystander', { level: 'full' }), 404, 'route_not_found');
  });

  it('rejects a body over 1 MiB with 413', async () => {
    const big = await t.call('POST', '/sessions/bystander/input', { data: 'z'.repeat(1024 * 1024) });
    assertApiError(big, 413, 'body_too_large');
    // Just under the limit is accepted (the child echoes it, counted by afterEach's wait).
    const data = 'w'.repeat(1024 * 1024 - 20) + '\n';
    assert.equal((await t.call('POST', '/sessions/bystander/input', { data })).status, 202);
    echoed += data.length;
  });
});

describe('session server: bearer token', () => {
  it('refuses to start on a non-loopback address without a token', () => {
    const logging = createSessionLogging({ dir: tempDir(), env: {} });
    assert.throws(() => new SessionServer({ logging, host: '0.0.0.0', port: 0 }), /refusing to listen on 0\.0\.0\.0 without a bearer token; allowed: --token/);
    assert.throws(() => new SessionServer({ logging, host: '127.0.0.1', port: 0, token: 'short' }), /too short; allowed: at least 8/);
  });

  it('rejects requests without the token or with a wrong one (401), and records the token id, never the token', async () => {
    const token = 'correct-horse-battery-staple';
    const t = await startServer({ token });
    try {
      const auth = { authorization: `Bearer ${token}` };
      assertApiError(await t.call('GET', '/sessions'), 401, 'unauthorized');
      assertApiError(await t.call('GET', '/sessions', undefined, { authorization: 'Bearer wrong-token-123' }), 401, 'unauthorized');
      assertApiError(await t.call('POST', '/sessions', { id: 'x', command: 'cat' }, { authorization: token }), 401, 'unauthorized');
      assertApiError(await t.call('GET', '/metrics'), 401, 'unauthorized');
      assertApiError(await t.call('GET', '/no-such-route'), 401, 'unauthorized');
      assert.equal((await t.call('GET', '/healthz')).status, 200);
      assert.equal((await t.call('POST', '/sessions', { id: 'tok', command: 'cat', log_level: 'full' }, auth)).status, 201);
      assert.equal((await t.call('POST', '/sessions/tok/input', { data: 'hi\n' }, auth)).status, 202);
      assert.equal((await t.call('PUT', '/sessions/tok/log-level', { level: 'prompts' }, auth)).status, 200);
      assert.equal((await t.call('DELETE', '/sessions/tok', undefined, auth)).status, 200);
      const lines = sessionLines(t.dir, 'tok');
      const audit = lines.filter((l) => l.category === 'audit' && l.event !== 'log_level.changed');
      assert.ok(audit.length >= 5);
      for (const line of audit) assert.equal(line.attrs.token_id, tokenId(token), line.event);
      assert.equal(lines.find((l) => l.event === 'log_level.changed')!.attrs.by, `api 127.0.0.1 token ${tokenId(token)}`);
      assert.doesNotMatch(JSON.stringify(lines), new RegExp(token));
    } finally {
      await t.server.close();
    }
  });
});
