import assert from 'node:assert/strict';
import { createSessionLogging, verifySession } from '../../src/index.ts';
import { alive, call, serve } from './serveProcess.ts';
import { sessionLines } from './sessionFiles.ts';

/**
 * Issue 11, finding 2 at the server: `session-logs serve` runs a `cat` session at `full`;
 * inputs are posted, and right after a 202 (or at a random moment among several posts) the
 * server is killed with SIGKILL. Every input it answered 202 must be on disk with the seq it
 * answered, and after a reopen every seq is on disk once or recorded.
 * Returns how many acknowledged inputs were checked and how many were lost (must be 0).
 */
export async function serverKillLoop(dir: string, runs: number, seed = 777): Promise<{ acknowledged: number; lost: number }> {
  let random = seed;
  const next = () => ((random = (random * 1103515245 + 12345) % 2147483648) / 2147483648);
  let acknowledged = 0;
  let lost = 0;
  for (let run = 1; run <= runs; run++) {
    const id = `k${run}`;
    const server = await serve(dir);
    const created = await call(server.url, 'POST', '/sessions', { id, command: 'cat', log_level: 'full' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const acked: Array<{ seq: number; data: string }> = [];
    const posts = 1 + Math.floor(next() * 6);
    const killAfter = Math.floor(next() * posts);
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      server.child.kill('SIGKILL');
    };
    // Posts in flight when the kill comes may or may not be answered: only answered ones count.
    await Promise.all(Array.from({ length: posts }, async (_, i) => {
      const data = `run ${run} input ${i} ${'p'.repeat(i * 50)}\n`;
      try {
        const answer = await call(server.url, 'POST', `/sessions/${id}/input`, { data });
        if (answer.status === 202) acked.push({ seq: answer.body.seq, data });
      } catch {
        // The server died first.
      }
      if (i === killAfter) kill();
    }));
    kill();
    await server.done;
    // The session's cat was in its own process group: it outlived the server (the next start reports such groups).
    const pid = created.body.pid as number;
    if (alive(pid)) process.kill(-pid, 'SIGKILL');
    const lines = sessionLines(dir, id);
    for (const { seq, data } of acked) {
      acknowledged++;
      // The 202 carries the session's last seq after the input (its command.started follows it).
      const line = lines.find((l) => l.event === 'input' && l.body === data);
      if (!line || line.seq > seq) lost++;
    }
    // Reopened as the next server would: crash losses recorded, and the files verify.
    const reopen = createSessionLogging({ dir, env: {}, retention: false, onError: () => {} });
    reopen.open(id);
    await reopen.shutdown();
    const seqs = sessionLines(dir, id).map((l) => l.seq);
    assert.equal(new Set(seqs).size, seqs.length, `run ${run}: a seq twice`);
    assert.deepEqual(await verifySession(dir, id), [], `run ${run}`);
  }
  return { acknowledged, lost };
}
