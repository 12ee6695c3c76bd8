import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { assertContiguous, readMetadata, sessionLines } from '../../support/sessionFiles.ts';
import { NODE, type TestServer, assertApiError, startServer, waitForSession } from './serverHelpers.ts';

describe('session server over HTTP with real child processes', () => {
  let t: TestServer;
  beforeEach(async () => {
    t = await startServer();
  });
  afterEach(async () => {
    await t.server.close();
  });

  it('records create, input, a level change and terminate exactly as they happened', async () => {
    const created = await t.call('POST', '/sessions', { id: 'e2e', command: 'cat', log_level: 'prompts' });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.status, 'running');
    assert.equal(created.body.level, 'prompts');
    assert.equal((await t.call('POST', '/sessions/e2e/input', { data: 'first line\nsecond ' })).status, 202);
    assert.equal((await t.call('POST', '/sessions/e2e/input', { data: 'half\n' })).status, 202);
    await waitForSession(t, 'e2e', (s) => s.output_bytes.stdout === 'first line\nsecond half\n'.length);

    const changed = await t.call('PUT', '/sessions/e2e/log-level', { level: 'full' });
    assert.equal(changed.status, 200, changed.text);
    assert.deepEqual([changed.body.id, changed.body.previous, changed.body.level], ['e2e', 'prompts', 'full']);
    assert.equal((await t.call('POST', '/sessions/e2e/input', { data: 'third\n' })).status, 202);
    await waitForSession(t, 'e2e', (s) => s.output_bytes.stdout === 'first line\nsecond half\nthird\n'.length);

    const listed = await t.call('GET', '/sessions');
    assert.deepEqual(listed.body.sessions.map((s: any) => s.id), ['e2e']);
    const deleted = await t.call('DELETE', '/sessions/e2e');
    assert.equal(deleted.status, 200, deleted.text);
    assert.equal(deleted.body.signal, 'SIGTERM');
    assert.notEqual(deleted.body.ended_at, null);
    assertApiError(await t.call('GET', '/sessions/e2e'), 404, 'session_not_found');

    const lines = sessionLines(t.dir, 'e2e');
    assertContiguous(lines);
    const meta = readMetadata(t.dir, 'e2e');
    assert.equal(meta.last_seq, lines.length);
    assert.match(meta.ended_at, /^\d{4}-/);
    assert.deepEqual(meta.level_history.map((h: any) => [h.from, h.to, h.by]), [[null, 'prompts', 'open'], ['prompts', 'full', 'api 127.0.0.1']]);
    // At prompts: commands but no input or output; at full: all three.
    assert.deepEqual(lines.map((l) => [l.event, l.body]), [
      ['session.created', 'session e2e created at level prompts'],
      ['api.request', 'create session: cat'],
      ['process.started', lines[2]!.body],
      ['command.started', 'first line'],
      ['command.started', 'second half'],
      ['api.request', 'set level to full'],
      ['log_level.changed', 'log level prompts -> full'],
      ['input', 'third\n'],
      ['command.started', 'third'],
      ['output', 'third\n'],
      ['api.request', 'terminate session'],
      ['process.exited', 'killed by SIGTERM'],
      ['session.terminated', 'session e2e terminated (terminated)'],
    ]);
    assert.equal(changed.body.seq, lines.find((l) => l.event === 'log_level.changed')!.seq);
    // Every audit record names who asked: client address (log_level.changed in its `by`).
    for (const line of lines.filter((l) => l.category === 'audit')) assert.equal(line.attrs.client ?? line.attrs.by, line.event === 'log_level.changed' ? 'api 127.0.0.1' : '127.0.0.1', line.event);
    assert.deepEqual(lines.filter((l) => l.event === 'api.request').map((l) => [l.attrs.action, l.attrs.method, l.attrs.route]), [
      ['create', 'POST', '/sessions'], ['set_level', 'PUT', '/sessions/:id/log-level'], ['terminate', 'DELETE', '/sessions/:id'],
    ]);
    assert.deepEqual(lines.at(-2)!.attrs, { pid: created.body.pid, signal: 'SIGTERM', terminated: true });
  });

  it('records prompts by pattern, the exit code, and refuses input once the process has exited', async () => {
    const script = 'printf "ready> "; read a; echo "got $a"; printf "again> "; read b; exit 3';
    assert.equal((await t.call('POST', '/sessions', { id: 'asker', command: 'sh', args: ['-c', script], log_level: 'prompts', prompt_pattern: '> $' })).status, 201);
    await waitForSession(t, 'asker', (s) => s.output_bytes.stdout === 'ready> '.length);
    assert.equal((await t.call('POST', '/sessions/asker/input', { data: 'one\n' })).status, 202);
    await waitForSession(t, 'asker', (s) => s.output_bytes.stdout === 'ready> got one\nagain> '.length);
    assert.equal((await t.call('POST', '/sessions/asker/input', { data: 'two\n' })).status, 202);
    const ended = await waitForSession(t, 'asker', (s) => s.status === 'exited');
    assert.equal(ended.exit_code, 3);
    const late = await t.call('POST', '/sessions/asker/input', { data: 'three\n' });
    assertApiError(late, 409, 'session_ended');
    assert.match(late.body.error.message, /exited with code 3/);
    assertApiError(await t.call('PUT', '/sessions/asker/log-level', { level: 'full' }), 409, 'session_ended');
    const lines = sessionLines(t.dir, 'asker');
    assertContiguous(lines);
    assert.deepEqual(lines.filter((l) => l.event === 'prompt.detected').map((l) => l.body), ['ready> ', 'again> ']);
    assert.deepEqual(lines.filter((l) => l.event === 'command.started').map((l) => l.body), ['one', 'two']);
    const exited = lines.find((l) => l.event === 'process.exited')!;
    assert.deepEqual([exited.attrs.exit_code, exited.attrs.terminated], [3, false]);
    assert.equal(lines.at(-1)!.event, 'session.terminated');
    assert.equal((await t.call('DELETE', '/sessions/asker')).status, 200);
  });

  it('records a warning when input is written to a process that no longer reads it', async () => {
    // The child closes its stdin, says so, and keeps running: the write fails with EPIPE.
    assert.equal((await t.call('POST', '/sessions', { id: 'deaf', command: 'sh', args: ['-c', 'exec 0<&-; echo closed; exec sleep 30'], log_level: 'full' })).status, 201);
    await waitForSession(t, 'deaf', (s) => s.output_bytes.stdout === 'closed\n'.length);
    let reply = await t.call('POST', '/sessions/deaf/input', { data: 'hello?\n' });
    while (reply.status === 202) reply = await t.call('POST', '/sessions/deaf/input', { data: 'hello?\n' });
    assertApiError(reply, 409, 'input_closed');
    assert.equal((await t.call('GET', '/healthz')).status, 200);
    assert.equal((await t.call('DELETE', '/sessions/deaf')).status, 200);
    const lines = sessionLines(t.dir, 'deaf');
    assertContiguous(lines);
    const warnings = lines.filter((l) => l.event === 'warning');
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.equal(warnings[0]!.attrs.code, 'EPIPE');
    assert.equal(warnings[0]!.severity, 'WARN');
  });

  it('reports in /metrics exactly the records that are on disk, and the filtered ones', async () => {
    assert.equal((await t.call('POST', '/sessions', { id: 'm1', command: 'cat', log_level: 'full' })).status, 201);
    assert.equal((await t.call('POST', '/sessions', { id: 'm2', command: 'cat', log_level: 'spawns' })).status, 201);
    for (let i = 0; i < 5; i++) {
      assert.equal((await t.call('POST', '/sessions/m1/input', { data: `x${i}\n` })).status, 202);
      assert.equal((await t.call('POST', '/sessions/m2/input', { data: `y${i}\n` })).status, 202);
    }
    await waitForSession(t, 'm2', (s) => s.output_bytes.stdout === 15);
    for (const id of ['m1', 'm2']) assert.equal((await t.call('DELETE', `/sessions/${id}`)).status, 200);
    const metrics = await t.call('GET', '/metrics');
    assert.equal(metrics.status, 200);
    const value = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics.text)?.[1]);
    const onDisk = readdirSync(t.dir).reduce((sum, id) => sum + sessionLines(t.dir, id).length, 0);
    assert.equal(value('session_logs_records_written_total'), onDisk);
    // m2 at spawns: 5 inputs, 5 command lines and its output chunks (at least one) were not recorded.
    assert.ok(value('session_logs_records_filtered_total') >= 11, metrics.text);
    assert.equal(value('session_logs_records_dropped_total'), 0);
    assert.equal(value('session_logs_errors_total'), 0);
    assert.match(metrics.text, /^# TYPE session_logs_bytes_written_total counter$/m);
    assert.match(metrics.text, /^session_logs_rotations_total 0$/m);
  });
});
