import assert from 'node:assert/strict';
import { assertContiguous, readMetadata, sessionLines } from '../../support/sessionFiles.ts';
import { startServer, waitForSession } from './serverHelpers.ts';

describe('session server under parallel load', () => {
  it('records every input of 50 parallel sessions x 100 inputs once, in order, with seq contiguous', async () => {
    const t = await startServer();
    const sessions = 50;
    const inputs = 100;
    const ids = Array.from({ length: sessions }, (_, i) => `par-${i}`);
    try {
      await Promise.all(ids.map(async (id) => {
        const created = await t.call('POST', '/sessions', { id, command: 'cat', log_level: 'full' });
        assert.equal(created.status, 201, created.text);
        for (let i = 0; i < inputs; i++) {
          const reply = await t.call('POST', `/sessions/${id}/input`, { data: `${id} input ${i}\n` });
          assert.equal(reply.status, 202, reply.text);
        }
        const expected = Array.from({ length: inputs }, (_, i) => `${id} input ${i}\n`).join('');
        await waitForSession(t, id, (s) => s.output_bytes.stdout === expected.length);
        assert.equal((await t.call('DELETE', `/sessions/${id}`)).status, 200);
      }));
    } finally {
      await t.server.close();
    }
    for (const id of ids) {
      const lines = sessionLines(t.dir, id);
      assertContiguous(lines);
      assert.equal(readMetadata(t.dir, id).last_seq, lines.length, id);
      const want = Array.from({ length: inputs }, (_, i) => `${id} input ${i}`);
      assert.deepEqual(lines.filter((l) => l.event === 'input').map((l) => l.body), want.map((line) => line + '\n'), id);
      assert.deepEqual(lines.filter((l) => l.event === 'command.started').map((l) => l.body), want, id);
      // cat echoed every input back: the output records hold all of it, in order.
      assert.equal(lines.filter((l) => l.event === 'output').map((l) => l.body).join(''), want.join('\n') + '\n', id);
      assert.ok(lines.filter((l) => l.category === 'audit').every((l) => l.chain !== undefined), id);
      assert.deepEqual(lines.slice(-2).map((l) => l.event), ['process.exited', 'session.terminated'], id);
    }
  });
});
