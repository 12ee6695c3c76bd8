// One run of the audit-durability case in its own process, against the library at <lib>
// (this checkout, or a checkout of an older commit). Prints one JSON line.
//   node bench/durableChild.ts <lib> <dir> <sessions> <batches>
// Each session, all at once: `batches` times, 9 output records and 1 input (audit), then
// `await log.flush()`: the acknowledgement a server gives for an input (its 202) once the
// input is fsynced. Timed: from the first emit to the last flush resolved; opening the
// sessions (until forceFlush() resolves) and closing them are not.
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bodyOf, sessionId } from './workload.ts';

export const BATCH = 10;

/** Record j of a batch is the input (the last): what the output check expects. */
export function isDurableAudit(n: number): boolean {
  return n % BATCH === BATCH - 1;
}

/**
 * Counts fsync and fdatasync calls, whichever way a library makes them (node:fs functions,
 * sync or not, and FileHandle.sync/datasync of fs.promises). Installed before the library loads.
 */
async function countSyncs(): Promise<{ calls: number }> {
  const fs = createRequire(import.meta.url)('node:fs') as Record<string, (...args: unknown[]) => unknown> & { promises: typeof import('node:fs/promises') };
  const counter = { calls: 0 };
  const count = (target: Record<string, unknown>, name: string) => {
    const original = target[name] as (...args: unknown[]) => unknown;
    target[name] = function (this: unknown, ...args: unknown[]) {
      counter.calls++;
      return original.apply(this, args);
    };
  };
  for (const name of ['fsync', 'fdatasync', 'fsyncSync', 'fdatasyncSync']) count(fs, name);
  const handle = await fs.promises.open(process.execPath, 'r');
  const fileHandle = Object.getPrototypeOf(handle) as Record<string, unknown>;
  await handle.close();
  for (const name of ['sync', 'datasync']) count(fileHandle, name);
  syncBuiltinESMExports();
  return counter;
}

interface Log {
  emit(event: string, body: string, attrs: object): boolean;
  flush(): Promise<void>;
}
interface Logging {
  open(id: string): Log;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
  /** Group commit's counters (the code before it has none). */
  readonly store?: { syncs?: { waves: number; calls: number } };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [lib, dir, sessionsArg, batchesArg] = process.argv.slice(2);
  const sessions = Number(sessionsArg);
  const batches = Number(batchesArg);
  if (!lib || !dir || !(sessions > 0) || !(batches > 0)) {
    console.error('usage: durableChild.ts <library checkout> <dir> <sessions> <batches>');
    process.exit(2);
  }
  const syncs = await countSyncs();
  const { createSessionLogging } = (await import(pathToFileURL(join(lib, 'src/index.ts')).href)) as { createSessionLogging(options: object): Logging };
  // Durability is left at the library's default: `audit`.
  const logging = createSessionLogging({ dir, env: {}, defaultLevel: 'full', retention: false });
  const logs = Array.from({ length: sessions }, (_, i) => logging.open(sessionId(i)));
  await logging.forceFlush(); // opening (directories, locks, metadata.json) is done before timing starts
  const acks: number[] = [];
  const syncsBefore = syncs.calls;
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(logs.map(async (log, session) => {
    for (let b = 0; b < batches; b++) {
      for (let j = 0; j < BATCH; j++) {
        const n = b * BATCH + j;
        const audit = isDurableAudit(n);
        log.emit(audit ? 'input' : 'output', bodyOf(n), { stream: audit ? 'stdin' : 'stdout', pid: 1000 + session, n });
      }
      const asked = performance.now();
      await log.flush();
      acks.push(performance.now() - asked);
    }
  }));
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const fsyncs = syncs.calls - syncsBefore;
  await logging.shutdown();
  acks.sort((a, b) => a - b);
  const records = sessions * batches * BATCH;
  process.stdout.write(JSON.stringify({
    ms, cpu_ms: (used.user + used.system) / 1000, records, records_per_s: records / (ms / 1000),
    ack_p50_ms: acks[Math.floor(acks.length * 0.5)]!, ack_p99_ms: acks[Math.min(acks.length - 1, Math.floor(acks.length * 0.99))]!,
    fsyncs, waves: logging.store?.syncs?.waves ?? null,
  }) + '\n');
}
