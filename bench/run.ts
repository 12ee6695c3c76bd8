// npm run bench [-- --quick] [-- --json]: every contender on the same workload, each in its
// own child process, side by side in one run. See docs/performance.md.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { countRecords } from './countLines.ts';
import { filteredCosts } from './filteredCost.ts';
import { serverSpawnsOverheadPct } from './serverOverhead.ts';
import { readerMemory } from './readerMemory.ts';
import { tempDir } from './tempDir.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, records: { type: 'string' } } });
const records = values.records ? Number(values.records) : values.quick ? 100_000 : 1_000_000;
if (!Number.isSafeInteger(records) || records <= 0) {
  console.error(`--records ${values.records}: not allowed; allowed: a positive integer`);
  process.exit(2);
}
const sessions = 16;
const contenders = ['raw', 'pino', 'otel_stock', 'ours'] as const;
const modules: Record<(typeof contenders)[number], string> = { raw: 'raw', pino: 'pino', otel_stock: 'otelStock', ours: 'ours' };
const runner = fileURLToPath(new URL('./runContender.ts', import.meta.url));

interface Row { ms: number; on_disk: number; lost: number; rss_mib: number; loop_p99_ms: number }
const results: Record<string, Row> = {};
const log = (line: string) => (values.json ? process.stderr : process.stdout).write(line + '\n');
log(`workload: ${records.toLocaleString('en')} records over ${sessions} sessions at full, ~100-byte body, 3 attributes; Node ${process.version}`);
for (const name of contenders) {
  const dir = tempDir();
  const output = execFileSync(process.execPath, [runner, modules[name], dir, String(records), String(sessions)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const measured = JSON.parse(output.trim().split('\n').at(-1)!) as { ms: number; rss_mib: number; loop_p99_ms: number };
  const onDisk = await countRecords(`${dir}/flat`);
  results[name] = { ms: round(measured.ms), on_disk: onDisk, lost: records - onDisk, rss_mib: round(measured.rss_mib), loop_p99_ms: round(measured.loop_p99_ms) };
}
const filtered = await filteredCosts(values.quick ? 2_000_000 : 10_000_000);
const server = values.quick ? await serverSpawnsOverheadPct(3, 8, 10_000) : await serverSpawnsOverheadPct(5, 8, 50_000);
const reader = await readerMemory(values.quick ? 100_000 : 1_000_000);
const ours = results.ours!;
const summary = {
  records,
  contenders: results,
  filtered_ns: { ours: round(filtered.ours), if: round(filtered.if), pino: round(filtered.pino), otel: round(filtered.otel) },
  ratios: {
    ours_vs_raw: round(ours.ms / results.raw!.ms),
    pino_vs_ours: round(results.pino!.ms / ours.ms),
    otel_stock_vs_ours: round(results.otel_stock!.ms / ours.ms),
  },
  server_spawns_overhead_pct: round(server.pct),
  reader: { small_records: reader.small.records, small_rss_mib: round(reader.small.rss_mib), large_records: reader.large.records, large_rss_mib: round(reader.large.rss_mib), large_ms: round(reader.large.ms) },
};

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

log('');
log('contender    wall ms   on disk      lost  peak RSS MiB  loop p99 ms (100k rec/s)');
for (const [name, row] of Object.entries(results)) {
  log(`${name.padEnd(12)}${String(row.ms).padStart(8)}${String(row.on_disk).padStart(10)}${String(row.lost).padStart(10)}${String(row.rss_mib).padStart(14)}${String(row.loop_p99_ms).padStart(13)}`);
}
log('');
log(`filtered-out record, ns/op: ours ${summary.filtered_ns.ours}, plain if ${summary.filtered_ns.if}, pino disabled level ${summary.filtered_ns.pino}, OTel record dropped in a processor ${summary.filtered_ns.otel}`);
log(`ratios: ours/raw ${summary.ratios.ours_vs_raw} (target <= 1.3), pino/ours ${summary.ratios.pino_vs_ours} (target >= 1.3), otel_stock/ours ${summary.ratios.otel_stock_vs_ours} (target >= 1.5)`);
log(`session server, 8 sessions echoing through cat: logging at spawns ${round(server.spawns_ms)} ms vs disabled ${round(server.disabled_ms)} ms (median), overhead ${round(server.pct)}% (target <= 1%)`);
log(`reader: ${reader.small.records.toLocaleString('en')} records read with peak RSS ${round(reader.small.rss_mib)} MiB, ${reader.large.records.toLocaleString('en')} records with ${round(reader.large.rss_mib)} MiB (${round(reader.large.ms)} ms; heap ${round(reader.large.heap_mib)} MiB)`);
if (values.json) process.stdout.write(JSON.stringify(summary) + '\n');
