import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertContiguous, readMetadata, sessionLines, tempDir } from '../../support/sessionFiles.ts';
import { CHATTY, NODE, alive, call, cli, serve } from '../../support/serveProcess.ts';

describe('session-logs serve (a real server process)', () => {
  it('on SIGTERM during activity terminates every child, ends every session cleanly and leaves files that parse', async () => {
    const dir = tempDir('osl-serve-');
    const { child, url, done } = await serve(dir);
    const pids: number[] = [];
    const ids = ['chatty-0', 'chatty-1', 'chatty-2', 'cat-0', 'cat-1'];
    for (const id of ids) {
      const body = id.startsWith('chatty') ? { id, command: NODE, args: ['-e', CHATTY], log_level: 'full' } : { id, command: 'cat', log_level: 'full' };
      const created = await call(url, 'POST', '/sessions', body);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      pids.push(created.body.pid);
    }
    for (let i = 0; i < 20; i++) {
      for (const id of ['cat-0', 'cat-1']) assert.equal((await call(url, 'POST', `/sessions/${id}/input`, { data: `in ${i}\n` })).status, 202);
    }
    // Wait until the chatty children are mid-burst.
    for (;;) {
      const sessions = (await call(url, 'GET', '/sessions')).body.sessions as any[];
      if (sessions.filter((s) => s.id.startsWith('chatty')).every((s) => s.output_bytes.stdout > 20_000)) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    child.kill('SIGTERM');
    const run = await done;
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /SIGTERM: terminating 5 running session/);
    assert.match(run.stdout, /stopped; every session log is closed/);
    for (const pid of pids) assert.equal(alive(pid), false, `child ${pid} still running`);
    assert.deepEqual(readdirSync(dir).sort(), [...ids].sort());
    for (const id of ids) {
      for (const file of readdirSync(join(dir, id))) {
        const text = readFileSync(join(dir, id, file), 'utf8');
        if (file.endsWith('.jsonl')) {
          assert.ok(text.endsWith('\n'), `${id}/${file} ends mid-line`);
          for (const line of text.split('\n').filter(Boolean)) JSON.parse(line);
        } else JSON.parse(text);
      }
      const lines = sessionLines(dir, id);
      assertContiguous(lines);
      const meta = readMetadata(dir, id);
      assert.match(meta.ended_at, /^\d{4}-/, id);
      assert.equal(meta.last_seq, lines.length, id);
      assert.deepEqual(lines.slice(-2).map((l) => [l.event, l.attrs.signal ?? l.attrs.reason]), [['process.exited', 'SIGTERM'], ['session.terminated', 'terminated']], id);
      assert.ok(lines.some((l) => l.event === 'output'), id);
    }
    for (const id of ['cat-0', 'cat-1']) {
      assert.deepEqual(sessionLines(dir, id).filter((l) => l.event === 'input').map((l) => l.body), Array.from({ length: 20 }, (_, i) => `in ${i}\n`));
    }
  });

  it('set-level drives the running server: exit 0 on success, 1 when the server says no, 2 on bad arguments', async () => {
    const dir = tempDir('osl-serve-');
    const token = 'set-level-test-token';
    const { child, url, done } = await serve(dir, [], { SESSION_LOGS_TOKEN: token });
    try {
      const auth = { authorization: `Bearer ${token}` };
      assert.equal((await call(url, 'POST', '/sessions', { id: 'lv', command: 'cat', log_level: 'signals' }, auth)).status, 201);
      const ok = await cli(['set-level', 'lv', 'full', '--server', url, '--token', token]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /lv: signals -> full/);
      const viaEnv = await cli(['set-level', 'lv', 'prompts', '--json'], { SESSION_LOGS_SERVER: url, SESSION_LOGS_TOKEN: token });
      assert.equal(viaEnv.code, 0, viaEnv.stderr);
      assert.deepEqual(Object.keys(JSON.parse(viaEnv.stdout)).slice(0, 3), ['id', 'previous', 'level']);
      const noToken = await cli(['set-level', 'lv', 'full', '--server', url]);
      assert.equal(noToken.code, 1);
      assert.match(noToken.stderr, /401 unauthorized.*bearer token/);
      const unknown = await cli(['set-level', 'nobody', 'full', '--server', url, '--token', token]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /404 session_not_found/);
      const badLevel = await cli(['set-level', 'lv', 'loud', '--server', url]);
      assert.equal(badLevel.code, 2);
      assert.match(badLevel.stderr, /unknown level "loud"; allowed: spawns, signals, prompts, full/);
      assert.equal((await cli(['set-level', '../lv', 'full', '--server', url])).code, 2);
      assert.equal((await cli(['set-level', 'lv'])).code, 2);
      assert.equal((await cli(['set-level', 'lv', 'full', '--server', 'not a url'])).code, 2);
      assert.equal((await call(url, 'DELETE', '/sessions/lv', undefined, auth)).status, 200);
      const history = readMetadata(dir, 'lv').level_history.map((h: any) => h.to);
      assert.deepEqual(history, ['signals', 'full', 'prompts']);
    } finally {
      child.kill('SIGINT');
      assert.equal((await done).code, 0);
    }
    const down = await cli(['set-level', 'lv', 'full', '--server', url]);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /cannot reach the server/);
  });

  it('refuses bad arguments with exit 2: a public address without a token, a bad port, a bad config file', async () => {
    const dir = tempDir('osl-serve-');
    const open = await cli(['serve', '--host', '0.0.0.0', '--port', '0', '--dir', dir]);
    assert.equal(open.code, 2);
    assert.match(open.stderr, /refusing to listen on 0\.0\.0\.0 without a bearer token; allowed/);
    const port = await cli(['serve', '--port', 'eighty']);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /not a port; allowed/);
    const config = await cli(['serve', '--port', '0', '--config', join(dir, 'missing.toml')]);
    assert.equal(config.code, 2);
    assert.match(config.stderr, /cannot read configuration file/);
  });
});
