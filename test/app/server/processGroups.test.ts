import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { groupAlive } from '../../../app/session/processGroup.ts';
import { alive } from '../../support/serveProcess.ts';
import { readMetadata, sessionLines } from '../../support/sessionFiles.ts';
import { type TestServer, startServer, waitForSession } from './serverHelpers.ts';

/** The process group of `pid` (field 5 of /proc/<pid>/stat). */
function pgidOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

/** The pid a session printed first, once its output record is in the log (writes are buffered). */
async function printedPid(t: TestServer, id: string): Promise<number> {
  for (;;) {
    const output = sessionLines(t.dir, id).filter((l) => l.event === 'output').map((l) => l.body).join('');
    const match = /^(\d+)\n/.exec(output);
    if (match) return Number(match[1]);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('session server: each session its own process group, cleaned up whole', () => {
  let t: TestServer;
  const strays: number[] = [];
  before(async () => {
    t = await startServer({ terminateGraceMs: 300 });
  });
  after(async () => {
    for (const pid of strays) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await t.server.close();
  });

  it('runs each session in its own group and records pid and pgid in metadata.json', async () => {
    const created = await t.call('POST', '/sessions', { id: 'grouped', command: 'sleep', args: ['1000'] });
    const pid = created.body.pid as number;
    assert.equal(pgidOf(pid), pid, 'the session leads its own group');
    assert.notEqual(pgidOf(pid), pgidOf(process.pid));
    assert.equal((await t.call('DELETE', '/sessions/grouped')).status, 200);
    const { attributes } = readMetadata(t.dir, 'grouped');
    assert.deepEqual([attributes.pid, attributes.pgid], [pid, pid]);
  });

  it('DELETE ends the whole group: members that ignore SIGTERM are killed after the grace period', async () => {
    // The shell and its background job both ignore SIGTERM (an ignored signal is inherited).
    const script = "trap '' TERM; sleep 1000 & echo $!; wait";
    const created = await t.call('POST', '/sessions', { id: 'stubborn', command: 'sh', args: ['-c', script], log_level: 'full' });
    await waitForSession(t, 'stubborn', (s) => s.output_bytes.stdout > 0);
    const member = await printedPid(t, 'stubborn');
    assert.equal(pgidOf(member), created.body.pid);
    const deleted = await t.call('DELETE', '/sessions/stubborn');
    assert.equal(deleted.status, 200, deleted.text);
    assert.equal(deleted.body.signal, 'SIGKILL');
    assert.equal(groupAlive(created.body.pid), false, 'no process of the group is left');
  });

  it('ends a session when its process exits although a grandchild that left the group holds the pipe', async () => {
    // setsid: the grandchild leaves the session's group but keeps stdout open.
    const script = 'setsid sleep 1000 & echo $!; head -c 100000 /dev/zero | tr "\\0" x; echo; exit 3';
    await t.call('POST', '/sessions', { id: 'escaped', command: 'sh', args: ['-c', script], log_level: 'full' });
    const ended = await waitForSession(t, 'escaped', (s) => s.status === 'exited');
    const grandchild = await printedPid(t, 'escaped');
    strays.push(grandchild);
    assert.ok(alive(grandchild), 'the grandchild still runs and holds the pipe');
    assert.equal(ended.exit_code, 3);
    // Everything the process wrote before it exited is in the log.
    const output = sessionLines(t.dir, 'escaped').filter((l) => l.event === 'output').map((l) => l.body).join('');
    assert.equal(Buffer.byteLength(output), ended.output_bytes.stdout);
    assert.equal(output.split('x').length - 1, 100000);
    assert.equal(sessionLines(t.dir, 'escaped').at(-1)!.event, 'session.terminated');
  });

  it('DELETE answers when the process has exited, not when a grandchild that left the group lets go of the pipe', async () => {
    const script = 'setsid sleep 1000 & echo $!; sleep 1000';
    await t.call('POST', '/sessions', { id: 'held', command: 'sh', args: ['-c', script], log_level: 'full' });
    await waitForSession(t, 'held', (s) => s.output_bytes.stdout > 0);
    const grandchild = await printedPid(t, 'held');
    strays.push(grandchild);
    const deleted = await t.call('DELETE', '/sessions/held');
    assert.equal(deleted.status, 200, deleted.text);
    assert.equal(deleted.body.status, 'exited');
    assert.ok(alive(grandchild), 'the grandchild outside the group is not the session\'s to end');
  });
});
