import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { findOrphanGroups } from '../../../app/session/orphanGroups.ts';
import { groupAlive, killGroup, processStartTicks } from '../../../app/session/processGroup.ts';
import { tempDir } from '../../support/sessionFiles.ts';

/** A metadata.json as a server writes it, with the fields the orphan search reads. */
function writeMeta(root: string, id: string, fields: { pid: number; ended_at?: string | null; host?: string; attributes: Record<string, unknown> }): void {
  mkdirSync(join(root, id), { recursive: true });
  writeFileSync(join(root, id, 'metadata.json'), JSON.stringify({
    format: 1, session_id: id, created_at: new Date().toISOString(), ended_at: fields.ended_at ?? null, pid: fields.pid,
    hostname: fields.host ?? hostname(), level: 'signals', attributes: fields.attributes,
  }));
}

describe('findOrphanGroups: process groups that outlived the server that ran them', () => {
  it('finds a live group whose server is gone, and only that', async () => {
    const root = tempDir('osl-orphans-');
    const child = spawn('sleep', ['1000'], { detached: true, stdio: 'ignore' });
    await new Promise((resolve) => child.once('spawn', resolve));
    const pgid = child.pid!;
    const started = processStartTicks(pgid);
    const gone = 2 ** 22 + 17; // above any pid_max in use: no such process
    try {
      writeMeta(root, 'orphan', { pid: gone, attributes: { pgid, pid_start_ticks: started, command: 'sleep' } });
      // Our own number in metadata.json is an earlier server (this one has opened nothing).
      writeMeta(root, 'same-pid', { pid: process.pid, attributes: { pgid, pid_start_ticks: started, command: 'sleep' } });
      writeMeta(root, 'ended', { pid: gone, ended_at: new Date().toISOString(), attributes: { pgid, command: 'sleep' } });
      writeMeta(root, 'server-alive', { pid: pgid, attributes: { pgid, command: 'sleep' } });
      writeMeta(root, 'other-host', { pid: gone, host: 'elsewhere.example', attributes: { pgid, command: 'sleep' } });
      writeMeta(root, 'reused', { pid: gone, attributes: { pgid, pid_start_ticks: (started ?? 0) + 1, command: 'sleep' } });
      writeMeta(root, 'group-gone', { pid: gone, attributes: { pgid: gone, command: 'sleep' } });
      writeMeta(root, 'no-pgid', { pid: gone, attributes: { command: 'sleep' } });
      mkdirSync(join(root, 'not-a-session'));
      writeFileSync(join(root, 'broken'), 'x');
      const found = await findOrphanGroups(root);
      assert.deepEqual(found.map((orphan) => orphan.id), ['orphan', 'same-pid']);
      assert.deepEqual(found[0], { id: 'orphan', pgid, command: 'sleep', server_pid: gone });
      assert.deepEqual(await findOrphanGroups(join(root, 'missing')), []);
    } finally {
      await killGroup(pgid, 1000);
    }
    assert.equal(groupAlive(pgid), false);
    assert.deepEqual(await findOrphanGroups(root), []);
  });
});
