import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { groupAlive } from '../../../app/session/processGroup.ts';
import { alive, call, serve } from '../../support/serveProcess.ts';
import { sessionLines, tempDir } from '../../support/sessionFiles.ts';

/** Poll GET /sessions/:id until `done` holds (the mocha timeout bounds the wait). */
async function until(url: string, id: string, done: (session: any) => boolean, headers: Record<string, string> = {}): Promise<any> {
  for (;;) {
    const reply = await call(url, 'GET', `/sessions/${id}`, undefined, headers);
    if (reply.status === 200 && done(reply.body)) return reply.body;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('session-logs serve: secrets, stalls and crashes (a real server process)', function () {
  this.timeout(60_000);

  it('passes none of its secrets to a session: the token and OTLP headers never reach the logs', async () => {
    const dir = tempDir('osl-serve-');
    const token = 'server-token-do-not-leak-1234';
    const { child, url, done } = await serve(dir, [], {
      SESSION_LOGS_TOKEN: token, OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer otlp-secret-5678', DEPLOY_API_KEY: 'api-key-9012', OSL_VISIBLE: 'visible',
    });
    const auth = { authorization: `Bearer ${token}` };
    try {
      assert.equal((await call(url, 'POST', '/sessions', { id: 'env', command: 'env', log_level: 'full' }, auth)).status, 201);
      await until(url, 'env', (s) => s.status === 'exited', auth);
    } finally {
      child.kill('SIGTERM');
      await done;
    }
    const output = sessionLines(dir, 'env').filter((l) => l.event === 'output').map((l) => l.body).join('');
    assert.match(output, /^OSL_VISIBLE=visible$/m, 'the environment was recorded');
    assert.match(output, /^PATH=/m);
    for (const secret of [token, 'otlp-secret-5678', 'api-key-9012', 'SESSION_LOGS_TOKEN', 'OTEL_EXPORTER_OTLP_HEADERS']) {
      assert.ok(!output.includes(secret), `${secret} reached the session`);
    }
  });

  it('keeps answering while a session\'s output meets a catastrophic pattern (^(a+)+$ on 5,000 a\'s)', async () => {
    const dir = tempDir('osl-serve-');
    const config = join(dir, 'redos.toml');
    writeFileSync(config, '[session_logging]\nredact = ["(x+x+)+y"]\n');
    const { child, url, done } = await serve(join(dir, 'logs'), ['--config', config]);
    try {
      const script = `printf '${'a'.repeat(5000)}!'; printf '${'x'.repeat(5000)}'; cat`;
      const created = await call(url, 'POST', '/sessions', { id: 'redos', command: 'sh', args: ['-c', script], log_level: 'full', prompt_pattern: '^(a+)+$' });
      assert.equal(created.status, 201);
      await until(url, 'redos', (s) => s.output_bytes.stdout === 10001);
      // A backtracking engine would still be matching (2^5000 steps): nothing would answer.
      assert.equal((await call(url, 'GET', '/healthz')).status, 200);
      assert.equal((await call(url, 'POST', '/sessions/redos/input', { data: 'still here\n' })).status, 202);
      await until(url, 'redos', (s) => s.output_bytes.stdout === 10012);
    } finally {
      child.kill('SIGTERM');
      assert.equal((await done).code, 0);
    }
  });

  it('on SIGTERM closes idle connections at once: kept-alive ones and one that never sent a request', async () => {
    const dir = tempDir('osl-serve-');
    const { child, url, done } = await serve(dir);
    const { hostname, port } = new URL(url);
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => request(`${url}/healthz`, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject).end());
    const silent = connect(Number(port), hostname);
    silent.on('error', () => {});
    await new Promise((resolve) => silent.once('connect', resolve));
    child.kill('SIGTERM');
    // Before: the silent connection held the server until Node's request timeout (300 s).
    const run = await done;
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /stopped; every session log is closed/);
    agent.destroy();
    silent.destroy();
  });

  it('on SIGTERM ends a session whose grandchild left the group and holds the pipe', async () => {
    const dir = tempDir('osl-serve-');
    const { child, url, done } = await serve(dir);
    await call(url, 'POST', '/sessions', { id: 'held', command: 'sh', args: ['-c', 'setsid sleep 1000 & echo $!; sleep 1000'], log_level: 'full' });
    await until(url, 'held', (s) => s.output_bytes.stdout > 0);
    child.kill('SIGTERM');
    const run = await done;
    const grandchild = Number(sessionLines(dir, 'held').find((l) => l.event === 'output')!.body!.toString().trim());
    try {
      assert.equal(run.code, 0, run.stderr);
      assert.ok(alive(grandchild), 'the escaped grandchild outlives the server (it left the group)');
      assert.equal(sessionLines(dir, 'held').at(-1)!.event, 'session.terminated');
    } finally {
      process.kill(grandchild, 'SIGKILL');
    }
  });

  it('after kill -9 of the server, the next start reports the groups that outlived it, and kills them if told to', async () => {
    const dir = tempDir('osl-serve-');
    const config = (orphans: string) => {
      const path = join(dir, `${orphans}.toml`);
      writeFileSync(path, `[session_server]\norphans = "${orphans}"\nterminate_grace_seconds = 0.2\n`);
      return ['--config', path];
    };
    const logs = join(dir, 'logs');
    const first = await serve(logs);
    // Ignores SIGTERM, SIGHUP and a broken pipe: it keeps running when its server dies.
    const script = "trap '' TERM HUP PIPE; echo ready; while :; do sleep 1; done";
    const created = await call(first.url, 'POST', '/sessions', { id: 'survivor', command: 'sh', args: ['-c', script] });
    const pgid = created.body.pid as number;
    await until(first.url, 'survivor', (s) => s.output_bytes.stdout > 0);
    // metadata.json gets the pgid in the background: wait until it is there.
    while (!existsSync(join(logs, 'survivor', 'metadata.json')) || JSON.parse(readFileSync(join(logs, 'survivor', 'metadata.json'), 'utf8')).attributes.pgid !== pgid) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    first.child.kill('SIGKILL');
    await first.done;
    try {
      assert.ok(groupAlive(pgid), 'the session outlived its server');
      const reporting = await serve(logs, config('report'));
      reporting.child.kill('SIGTERM');
      const reported = await reporting.done;
      assert.match(reported.stdout, new RegExp(`session survivor \\(sh\\) outlived server pid ${first.child.pid}: process group ${pgid} still running`));
      assert.ok(groupAlive(pgid), 'report only');
      const killing = await serve(logs, config('kill'));
      killing.child.kill('SIGTERM');
      const killed = await killing.done;
      assert.match(killed.stdout, new RegExp(`session survivor \\(sh\\) outlived server pid ${first.child.pid}: process group ${pgid} killed`));
      assert.equal(groupAlive(pgid), false);
    } finally {
      if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    }
  });
});
