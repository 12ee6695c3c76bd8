// The session server's cost of logging at `spawns` against the same server with logging
// disabled, on one echo workload: sessions running `cat`, each sent lines through the
// SessionManager and read back. Paired rounds in one run (the order alternates within each
// pair), reported as ratios spawns / disabled of wall time and of the server's CPU time:
// median, min and max over the rounds. At `spawns` the per-chunk path is the same with and
// without files (a level check), so the difference is the per-session open and close, also
// measured alone (CPU per session, 8 sessions created and ended at a time).
//
//   npx node bench/serverOverhead.ts [--rounds 7] [--sessions 8] [--lines 50000] [--json]
import { parseArgs } from 'node:util';
import { createSessionLogging } from '../src/index.ts';
import { SessionManager } from '../app/session/SessionManager.ts';
import { type Spread, median, round, roundSpread, spread } from './spread.ts';
import { tempDir } from './tempDir.ts';

const who = { client: 'bench' };
const LINE = 'x'.repeat(63) + '\n';

interface Run {
  wall: number;
  cpu: number;
}

/** Wall and CPU time (ms) of one server run: create the sessions, echo `lines` lines through each, shut down. */
async function echoWorkload(enabled: boolean, sessions: number, lines: number): Promise<Run> {
  const logging = createSessionLogging({ dir: tempDir(), env: {}, enabled, defaultLevel: 'spawns' });
  const manager = new SessionManager({ logging });
  const cpu = process.cpuUsage();
  const start = performance.now();
  const ids = await Promise.all(Array.from({ length: sessions }, (_, i) => manager.create({ id: `echo-${i}`, command: 'cat' }, who).then((s) => s.id)));
  let pending: Array<Promise<unknown>> = [];
  for (let n = 0; n < lines; n++) {
    for (const id of ids) pending.push(manager.input(id, LINE, who));
    if (n % 50 === 49) {
      await Promise.all(pending);
      pending = [];
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  await Promise.all(pending);
  const expected = lines * LINE.length;
  while (ids.some((id) => manager.get(id).output_bytes.stdout < expected)) await new Promise((resolve) => setTimeout(resolve, 2));
  await manager.shutdown();
  await logging.shutdown();
  const used = process.cpuUsage(cpu);
  return { wall: performance.now() - start, cpu: (used.user + used.system) / 1000 };
}

/** CPU time (ms) per session of creating `sessions` sessions and ending them, `repeat` times. */
async function openCloseCpu(enabled: boolean, sessions: number, repeat: number): Promise<number> {
  const cpu = process.cpuUsage();
  for (let r = 0; r < repeat; r++) {
    const logging = createSessionLogging({ dir: tempDir(), env: {}, enabled, defaultLevel: 'spawns' });
    const manager = new SessionManager({ logging });
    await Promise.all(Array.from({ length: sessions }, (_, i) => manager.create({ id: `s-${i}`, command: 'cat' }, who)));
    await manager.shutdown();
    await logging.shutdown();
  }
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / 1000 / (sessions * repeat);
}

export interface OverheadResult {
  rounds: number;
  /** spawns / disabled wall time per round. */
  ratio: Spread;
  /** spawns / disabled CPU time of the server process per round. */
  cpu_ratio: Spread;
  /** (median wall ratio - 1) in percent. */
  pct: number;
  disabled_ms: number;
  spawns_ms: number;
  /** CPU ms per session to create and end it, with files and without. */
  open_close_cpu_ms: { spawns: number; disabled: number };
}

/** Paired rounds, one warm-up pair first; the order within a pair alternates so drift favours neither. */
export async function serverSpawnsOverhead(rounds = 7, sessions = 8, lines = 50_000): Promise<OverheadResult> {
  await echoWorkload(false, sessions, lines);
  await echoWorkload(true, sessions, lines);
  const wall: number[] = [];
  const cpu: number[] = [];
  const disabled: number[] = [];
  const spawns: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let off: Run;
    let on: Run;
    if (r % 2 === 0) {
      off = await echoWorkload(false, sessions, lines);
      on = await echoWorkload(true, sessions, lines);
    } else {
      on = await echoWorkload(true, sessions, lines);
      off = await echoWorkload(false, sessions, lines);
    }
    disabled.push(off.wall);
    spawns.push(on.wall);
    wall.push(on.wall / off.wall);
    cpu.push(on.cpu / off.cpu);
  }
  const ratio = spread(wall);
  const openClose = { disabled: await openCloseCpu(false, sessions, 10), spawns: await openCloseCpu(true, sessions, 10) };
  return { rounds, ratio, cpu_ratio: spread(cpu), pct: (ratio.median - 1) * 100, disabled_ms: median(disabled), spawns_ms: median(spawns), open_close_cpu_ms: openClose };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, sessions: { type: 'string', default: '8' }, lines: { type: 'string', default: '50000' }, json: { type: 'boolean', default: false } } });
  const numbers = { rounds: Number(values.rounds), sessions: Number(values.sessions), lines: Number(values.lines) };
  for (const [name, value] of Object.entries(numbers)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      console.error(`--${name} ${JSON.stringify(values[name as keyof typeof numbers])}: not allowed; allowed: a positive integer`);
      process.exit(2);
    }
  }
  const result = await serverSpawnsOverhead(numbers.rounds, numbers.sessions, numbers.lines);
  const r = (value: number) => round(value, 4);
  if (values.json) {
    console.log(JSON.stringify({ ...result, ratio: roundSpread(result.ratio, 4), cpu_ratio: roundSpread(result.cpu_ratio, 4), pct: r(result.pct) }));
  } else {
    const show = (value: Spread) => `median ${r(value.median)}, min ${r(value.min)}, max ${r(value.max)}`;
    console.log(`session server, ${numbers.sessions} sessions echoing ${numbers.lines} lines each through cat, ${numbers.rounds} paired rounds:`);
    console.log(`  spawns / disabled, wall time: ${show(result.ratio)} (target: median <= 1.01)`);
    console.log(`  spawns / disabled, server CPU time: ${show(result.cpu_ratio)}`);
    console.log(`  median wall time: spawns ${Math.round(result.spawns_ms)} ms, disabled ${Math.round(result.disabled_ms)} ms; overhead ${r(result.pct)}%`);
    console.log(`  create and end a session (spawn included), CPU: ${r(result.open_close_cpu_ms.spawns)} ms with files, ${r(result.open_close_cpu_ms.disabled)} ms without`);
  }
}
