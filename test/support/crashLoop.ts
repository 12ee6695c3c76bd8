import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createSessionLogging, verifySession } from '../../src/index.ts';
import { readMetadata, sessionLines } from './sessionFiles.ts';

const writer = fileURLToPath(new URL('../fixtures/crashWriter.ts', import.meta.url));

interface Seen {
  acknowledged: Map<number, string>;
  handedOut: number;
}

/** Run the writer and SIGKILL it when it has printed `killAt` "handed" lines; collect what it acknowledged. */
function runAndKill(dir: string, run: number, killAt: number, seen: Seen): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, dir, String(run)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    let handed = 0;
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const [kind, seq, body] = line.split(' ');
        if (kind === 'acked') seen.acknowledged.set(Number(seq), body!);
        if (kind === 'handed') {
          seen.handedOut = Math.max(seen.handedOut, Number(seq));
          if (++handed === killAt) child.kill('SIGKILL');
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited with ${code ?? signal} before it was killed: ${stderr}`))));
  });
}

/**
 * Kill a writer `kills` times at random moments; after each, reopen the session as the
 * next writer would and check: every line parses, no seq twice, every seq up to the
 * reservation (and every seq the writer printed as handed out) on disk or recorded, every
 * acknowledged record on disk with its own seq, and verify finds nothing.
 */
export async function crashLoop(dir: string, kills: number, seed = 12345): Promise<{ acknowledged: number; handedOut: number }> {
  const seen: Seen = { acknowledged: new Map(), handedOut: 0 };
  let random = seed;
  const next = () => ((random = (random * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let run = 1; run <= kills; run++) {
    await runAndKill(dir, run, 2 + Math.floor(next() * 30), seen);
    const logging = createSessionLogging({ dir, env: {}, defaultLevel: 'full', compression: 'gzip', retention: false, onError: () => {} });
    logging.open('crash');
    await logging.shutdown();
    const lines = sessionLines(dir, 'crash'); // throws on any line that does not parse
    const present = new Map<number, unknown>();
    for (const line of lines) {
      assert.ok(!present.has(line.seq), `run ${run}: seq ${line.seq} twice`);
      present.set(line.seq, line.body);
    }
    for (const [seq, body] of seen.acknowledged) assert.equal(present.get(seq), body, `run ${run}: acknowledged seq ${seq} holds ${body}`);
    const meta = readMetadata(dir, 'crash');
    const recorded = (seq: number) => [...meta.crash_losses, ...meta.drops, ...meta.removed].some((r: { first_seq: number; last_seq: number }) => seq >= r.first_seq && seq <= r.last_seq);
    for (let seq = 1; seq <= Math.max(meta.last_seq, seen.handedOut); seq++) {
      assert.ok(present.has(seq) || recorded(seq), `run ${run}: seq ${seq} is missing and not recorded (last_seq ${meta.last_seq}, handed out ${seen.handedOut})`);
    }
    assert.deepEqual(await verifySession(dir, 'crash'), [], `run ${run}`);
  }
  return { acknowledged: seen.acknowledged.size, handedOut: seen.handedOut };
}
