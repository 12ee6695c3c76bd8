// Cost of a record that is filtered out, in ns/op, for four ways of not logging: a plain
// `if` (the loop itself), ours (SessionLogger.emit of an event above the session's level),
// pino's disabled level, and an OTel SDK record created and dropped in a processor.
// Each is timed `repeats` times, interleaved; the median is reported.
//   npx node bench/filteredCost.ts [ops]   prints {"ours":..,"if":..,"pino":..,"otel":..}
import { LoggerProvider, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import pino from 'pino';
import { createSessionLogging } from '../src/index.ts';
import { median } from './spread.ts';
import { tempDir } from './tempDir.ts';

type Loop = (ops: number, body: () => void) => number;

/**
 * A timing loop of its own for each way (compiled separately), so its call site sees one
 * function, as a caller's `log.emit(...)` line does, and is not slowed by the others.
 */
function timingLoop(): Loop {
  // eslint-disable-next-line no-new-func
  return new Function('ops', 'body', 'body(); const start = process.hrtime.bigint(); for (let i = 0; i < ops; i++) body(); return Number(process.hrtime.bigint() - start) / ops;') as Loop;
}

export interface FilteredCosts {
  ours: number;
  if: number;
  pino: number;
  otel: number;
}

export async function filteredCosts(ops = 5_000_000, repeats = 5): Promise<FilteredCosts> {
  const logging = createSessionLogging({ dir: tempDir(), env: {}, defaultLevel: 'spawns', retention: false });
  const log = logging.open('filtered');
  const attrs = { stream: 'stdout', pid: 1, n: 2 };
  const body = 'x'.repeat(100);
  let sink = 0;
  const levelRank = { value: 0 };
  const quiet = pino({ level: 'error' }, pino.destination({ dest: '/dev/null', sync: true }));
  const dropping: LogRecordProcessor = { onEmit() {}, forceFlush: async () => {}, shutdown: async () => {} };
  const provider = new LoggerProvider({ processors: [dropping] });
  const otelLogger = provider.getLogger('bench');
  const ways: Record<keyof FilteredCosts, { ops: number; run: () => void; loop?: Loop }> = {
    if: { ops, run: () => {
      if (3 <= levelRank.value) sink++;
    } },
    ours: { ops, run: () => {
      log.emit('output', body, attrs);
    } },
    pino: { ops, run: () => quiet.debug(attrs, body) },
    otel: { ops: Math.max(1, Math.floor(ops / 10)), run: () => otelLogger.emit({ eventName: 'output', body, attributes: attrs }) },
  };
  const times: Record<keyof FilteredCosts, number[]> = { if: [], ours: [], pino: [], otel: [] };
  for (const way of Object.values(ways)) way.loop = timingLoop();
  for (let r = 0; r < repeats; r++) {
    for (const name of Object.keys(ways) as Array<keyof FilteredCosts>) times[name].push(ways[name].loop!(ways[name].ops, ways[name].run));
  }
  await logging.shutdown();
  await provider.shutdown();
  if (sink < 0) console.log(sink);
  return { ours: median(times.ours), if: median(times.if), pino: median(times.pino), otel: median(times.otel) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ops = Number(process.argv[2] ?? 5_000_000);
  if (!Number.isSafeInteger(ops) || ops <= 0) {
    console.error(`ops ${JSON.stringify(process.argv[2])}: not allowed; allowed: a positive integer`);
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(await filteredCosts(ops)) + '\n');
}
