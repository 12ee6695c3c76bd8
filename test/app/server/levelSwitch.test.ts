import assert from 'node:assert/strict';
import { assertContiguous, sessionLines } from '../../support/sessionFiles.ts';
import { NODE, startServer, waitForSession } from './serverHelpers.ts';

/** Prints numbered lines as fast as the pipe takes them until its stdin receives anything. */
const BURST = `
let n = 0, stop = false;
process.stdin.once('data', () => { stop = true; });
const line = (i) => 'line ' + String(i).padStart(7, '0') + '\\n';
(function burst() {
  if (stop) return process.exit(0);
  let chunk = '';
  for (let k = 0; k < 50; k++) chunk += line(n++);
  process.stdout.write(chunk);
  setImmediate(burst);
})();`;

const expectedText = (bytes: number) => {
  let text = '';
  for (let i = 0; text.length < bytes; i++) text += 'line ' + String(i).padStart(7, '0') + '\n';
  return text.slice(0, bytes);
};

describe('session server: level change through the API during an output burst', () => {
  it('loses and mis-filters nothing around full -> signals -> full while a child prints numbered lines', async () => {
    const t = await startServer();
    let first: any;
    let second: any;
    let final: any;
    try {
      assert.equal((await t.call('POST', '/sessions', { id: 'burst', command: NODE, args: ['-e', BURST], log_level: 'full' })).status, 201);
      await waitForSession(t, 'burst', (s) => s.output_bytes.stdout > 100_000);
      first = (await t.call('PUT', '/sessions/burst/log-level', { level: 'signals' })).body;
      await waitForSession(t, 'burst', (s) => s.output_bytes.stdout > first.output_bytes.stdout + 100_000);
      second = (await t.call('PUT', '/sessions/burst/log-level', { level: 'full' })).body;
      await waitForSession(t, 'burst', (s) => s.output_bytes.stdout > second.output_bytes.stdout + 100_000);
      assert.equal((await t.call('POST', '/sessions/burst/input', { data: 'stop\n' })).status, 202);
      final = await waitForSession(t, 'burst', (s) => s.status === 'exited');
      assert.equal(final.exit_code, 0);
    } finally {
      await t.server.close();
    }
    const lines = sessionLines(t.dir, 'burst');
    assertContiguous(lines);
    const changes = lines.filter((l) => l.event === 'log_level.changed');
    assert.deepEqual(changes.map((l) => [l.seq, l.attrs.from, l.attrs.to]), [[first.seq, 'full', 'signals'], [second.seq, 'signals', 'full']]);
    const output = (from: number, to: number) => lines.filter((l) => l.event === 'output' && l.seq > from && l.seq < to).map((l) => l.body as string).join('');
    const all = expectedText(final.output_bytes.stdout);
    // Before the first switch: every byte read so far, exactly; between: none; after: exactly the rest.
    assert.equal(output(0, first.seq), all.slice(0, first.output_bytes.stdout));
    assert.equal(output(first.seq, second.seq), '');
    assert.equal(output(second.seq, Infinity), all.slice(second.output_bytes.stdout));
    assert.ok(second.output_bytes.stdout - first.output_bytes.stdout > 100_000, 'the signals phase saw output it had to leave out');
  });
});
