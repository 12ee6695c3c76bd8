// The session server's cost of logging at `spawns` against logging disabled, on the same
// echo workload: sessions running `cat`, each sent lines and read back through the manager.
import { createSessionLogging } from '../src/index.ts';
import { SessionManager } from '../app/session/SessionManager.ts';
import { tempDir } from './tempDir.ts';

const who = { client: 'bench' };

async function echoWorkload(enabled: boolean, sessions: number, lines: number): Promise<number> {
  const logging = createSessionLogging({ dir: tempDir(), env: {}, enabled, defaultLevel: 'spawns' });
  const manager = new SessionManager({ logging });
  const start = performance.now();
  const ids = await Promise.all(Array.from({ length: sessions }, (_, i) => manager.create({ id: `echo-${i}`, command: 'cat' }, who).then((s) => s.id)));
  const line = 'x'.repeat(63) + '\n';
  for (let n = 0; n < lines; n++) {
    for (const id of ids) manager.input(id, line, who);
    if (n % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
  }
  const expected = lines * line.length;
  while (ids.some((id) => manager.get(id).output_bytes.stdout < expected)) await new Promise((resolve) => setTimeout(resolve, 2));
  await manager.shutdown();
  await logging.shutdown();
  return performance.now() - start;
}

/** Median of alternating runs (disabled, spawns, disabled, ...), as a percentage overhead. */
export async function serverSpawnsOverheadPct(rounds = 5, sessions = 8, lines = 50000): Promise<{ pct: number; disabled_ms: number; spawns_ms: number }> {
  const disabled: number[] = [];
  const spawns: number[] = [];
  await echoWorkload(false, sessions, lines); // warm-up
  for (let r = 0; r < rounds; r++) {
    disabled.push(await echoWorkload(false, sessions, lines));
    spawns.push(await echoWorkload(true, sessions, lines));
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const d = median(disabled);
  const s = median(spawns);
  return { pct: ((s - d) / d) * 100, disabled_ms: d, spawns_ms: s };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await serverSpawnsOverheadPct());
