import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { createSessionLogging } from '../../src/index.ts';
import { readMetadata, sessionLines } from './sessionFiles.ts';

const writer = fileURLToPath(new URL('../fixtures/crashWriter.ts', import.meta.url));

/** Run the writer, kill it with SIGKILL `delayMs` after its first fsync; resolve with the bodies it reported synced. */
export function runAndKill(dir: string, run: number, delayMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, dir, String(run)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const synced: string[] = [];
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.startsWith('synced ')) synced.push(line.slice(7));
      if (!timer && synced.length > 0) timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited with ${code ?? signal} before it was killed: ${stderr}`));
      else resolve(synced);
    });
  });
}

/**
 * Kill a writer `kills` times at random moments; after each, reopen the session and check:
 * every line parses, no seq twice, every fsynced audit record present, every missing seq
 * recorded as a crash loss.
 */
export async function crashLoop(dir: string, kills: number, seed = 12345): Promise<void> {
  const mustSurvive: string[] = [];
  let random = seed;
  const next = () => ((random = (random * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let run = 1; run <= kills; run++) {
    const synced = await runAndKill(dir, run, Math.floor(next() * 150));
    assert.ok(synced.length > 0, `run ${run} synced something`);
    mustSurvive.push(synced.at(-1)!);
    // Reopen as the next writer would: repairs torn lines and records crash losses.
    const logging = createSessionLogging({ dir, env: {}, defaultLevel: 'full', compression: 'gzip', onError: () => {} });
    logging.open('crash');
    await logging.shutdown();
    const lines = sessionLines(dir, 'crash'); // throws on any line that does not parse
    const seqs = new Set<number>();
    for (const line of lines) {
      assert.ok(!seqs.has(line.seq), `run ${run}: seq ${line.seq} twice`);
      seqs.add(line.seq);
    }
    const bodies = new Set(lines.filter((l) => l.event === 'input').map((l) => l.body));
    for (const body of mustSurvive) assert.ok(bodies.has(body), `run ${run}: fsynced audit record ${body} is missing`);
    const meta = readMetadata(dir, 'crash');
    for (let seq = 1; seq <= meta.last_seq; seq++) {
      if (seqs.has(seq)) continue;
      assert.ok(meta.crash_losses.some((c: { first_seq: number; last_seq: number }) => seq >= c.first_seq && seq <= c.last_seq), `run ${run}: seq ${seq} missing and not recorded`);
    }
  }
}
