import assert from 'node:assert/strict';
import { readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tempDir } from '../../support/sessionFiles.ts';
import { join } from 'node:path';
import { type TestServer, assertApiError, startServer, waitForSession } from './serverHelpers.ts';

describe('session server: limits, and what a refusal leaves behind', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ maxSessions: 2 });
  });
  after(async () => {
    await t.server.close();
  });

  it('refuses a session past max_sessions with 429 and leaves nothing on disk; ended sessions do not count', async () => {
    assert.equal((await t.call('POST', '/sessions', { id: 'one', command: 'cat' })).status, 201);
    assert.equal((await t.call('POST', '/sessions', { id: 'two', command: 'sh', args: ['-c', 'read line'] })).status, 201);
    const refused = await t.call('POST', '/sessions', { id: 'three', command: 'cat' });
    assertApiError(refused, 429, 'too_many_sessions');
    assert.match(refused.body.error.message, /at most 2 \(max_sessions\)/);
    // `two` ends but stays listed: it holds no place. Creates racing for that place: exactly one wins.
    assert.equal((await t.call('POST', '/sessions/two/input', { data: 'bye\n' })).status, 202);
    await waitForSession(t, 'two', (s) => s.status === 'exited');
    const racing = await Promise.all(['r1', 'r2', 'r3', 'r4'].map((id) => t.call('POST', '/sessions', { id, command: 'cat' })));
    assert.deepEqual(racing.map((r) => r.status).sort(), [201, 429, 429, 429]);
    assert.deepEqual(readdirSync(t.dir).sort(), ['one', 'two', ...racing.filter((r) => r.status === 201).map((r) => r.body.id)].sort());
  });

  it('answers 202 for input only once its audit record is in the file', async () => {
    assert.equal((await t.call('DELETE', '/sessions/one')).status, 200);
    assert.equal((await t.call('POST', '/sessions', { id: 'durable', command: 'cat', log_level: 'full' })).status, 201);
    for (let i = 1; i <= 20; i++) {
      assert.equal((await t.call('POST', '/sessions/durable/input', { data: `line ${i}\n` })).status, 202);
      const inputs = readFileSync(join(t.dir, 'durable', 'audit.jsonl'), 'utf8').split('\n').filter((line) => line.includes('"event":"input"'));
      assert.equal(inputs.length, i, `input ${i} acknowledged before it was written`);
    }
  });
});

describe('session server: a session whose log cannot be opened does not run', () => {
  it('answers 409 log_unavailable when a symbolic link stands where the session directory would be, and kills the process', async () => {
    const t = await startServer();
    try {
      const target = tempDir('osl-elsewhere-');
      symlinkSync(target, join(t.dir, 'linked'));
      const reply = await t.call('POST', '/sessions', { id: 'linked', command: 'sleep', args: ['1000'] });
      assertApiError(reply, 409, 'log_unavailable');
      assert.match(reply.body.error.message, /symbolic link/);
      assert.deepEqual(readdirSync(target), [], 'nothing written through the link');
      assert.deepEqual((await t.call('GET', '/sessions')).body.sessions, []);
      assert.equal(listSleepers().length, 0, 'the process was killed');
    } finally {
      await t.server.close();
    }
  });
});

/** `sleep 1000` processes that are children of this test process. */
function listSleepers(): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (fields[0] !== 'Z' && Number(fields[1]) === process.pid && cmdline === 'sleep\u00001000\u0000') pids.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
