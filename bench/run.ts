// npm run bench -- --help: every contender on the same workload writing the same line, each
// run in its own child process, in paired rounds in one invocation. See docs/performance.md.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkOutput, type CheckResult } from './checkOutput.ts';
import { CONTENDERS, LIFECYCLE_LINES } from './contenders/index.ts';
import { isDurableAudit } from './durableChild.ts';
import type { FilteredCosts } from './filteredCost.ts';
import { checkoutCommit, REPO_ROOT } from './olderCheckout.ts';
import { readerMemory } from './readerMemory.ts';
import type { OverheadResult } from './serverOverhead.ts';
import { type Spread, median, round, roundSpread, spread } from './spread.ts';
import { tempDir } from './tempDir.ts';
import { isAuditRecord, recordsOf, sessionId } from './workload.ts';

const SECTIONS = ['contenders', 'paced', 'durability', 'filtered', 'server', 'reader'] as const;
type Section = (typeof SECTIONS)[number];

const USAGE = `usage: npm run bench -- [options]

Every contender writes the same JSONL line (ts, seq, session_id, event, category, tier,
severity, body, attrs; audit lines chained with sha256) for the same workload: 16 sessions,
10% audit records. Each run is a child process; rounds are paired and interleaved, and
every run's files are read back and checked (seq contiguous, no duplicates, same lines).

  contenders   raw, ours (facade, files only), ours_sdk (through the OTel SDK), ours_audit
               (default durability), pino, otel_stock: wall and CPU ratios, peak RSS
  paced        event-loop delay p99 at 100,000 records/s, once per contender
  durability   1 and 1,000 sessions in audit durability, each input acknowledged after
               await log.flush(): records/s now and at the code before group commit
  filtered     ns per filtered-out emit, against pino's disabled level
  server       the session server's overhead at spawns (bench/serverOverhead.ts)
  reader       peak RSS of reading a small and a 10x larger session

options:
  --quick               100,000 records and smaller cases (a few minutes on 2 cores)
  --json                the report on stderr; one JSON object on the last line of stdout
  --records N           records per contender run (default 1,000,000; --quick 100,000)
  --rounds N            paired rounds (default 5)
  --batches N           acknowledged batches per session with 1,000 sessions (default 20;
                        --quick 3); the 1-session case runs 100 times as many
  --before COMMIT|none  the code before group commit to compare with (default 241b7ed)
  --only LIST           sections to run, comma-separated (default: all)
  -h, --help            this text

exit status: 0; 1 when a run lost, duplicated or changed a record; 2 for a usage error`;

function usageError(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number <= 0) usageError(`--${name} ${JSON.stringify(value)}: not allowed; allowed: a positive integer`);
  return number;
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
      records: { type: 'string' }, rounds: { type: 'string' }, batches: { type: 'string' }, before: { type: 'string', default: '241b7ed' }, only: { type: 'string' },
    },
  });
} catch (error) {
  usageError((error as Error).message);
}
const values = parsed.values;
if (values.help) {
  process.stdout.write(USAGE + '\n');
  process.exit(0);
}
const quick = values.quick;
const records = positive('records', values.records, quick ? 100_000 : 1_000_000);
const rounds = positive('rounds', values.rounds, 5);
const batches = positive('batches', values.batches, quick ? 3 : 20);
const sessions = 16;
const only = new Set<Section>();
for (const name of (values.only ?? SECTIONS.join(',')).split(',')) {
  if (!SECTIONS.includes(name as Section)) usageError(`--only ${JSON.stringify(values.only)}: ${JSON.stringify(name)} is not a section; allowed: ${SECTIONS.join(', ')}`);
  only.add(name as Section);
}

const node = process.execPath;
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const log = (line = '') => (values.json ? process.stderr : process.stdout).write(line + '\n');
const failures: string[] = [];
const load = { start: loadavg().map((v) => round(v)), end: [] as number[], max_1m: round(loadavg()[0]!) };
const noteLoad = () => {
  load.max_1m = Math.max(load.max_1m, round(loadavg()[0]!));
};

/** Run a bench script in a child process; its last stdout line is JSON. */
function child<T>(args: string[]): T {
  const output = execFileSync(node, args, { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(output.trim().split('\n').at(-1)!) as T;
}

/** Lost and duplicated records over every run checked (contenders and durability). */
const integrity = { lost: 0, duplicated: 0, runs: 0 };

function checked(what: string, result: CheckResult): CheckResult {
  integrity.lost += result.lost;
  integrity.duplicated += result.duplicated;
  integrity.runs++;
  if (result.lost > 0 || result.duplicated > 0 || result.problems.length > 0) {
    failures.push(`${what}: ${result.lost} lost, ${result.duplicated} duplicated; ${result.problems.join('; ')}`);
  }
  return result;
}

log(`bench: Node ${process.version}, ${quick ? 'quick' : 'full'} run, load average ${load.start.join(' ')}`);

// ---- contenders: paired, interleaved rounds ----
const names = Object.keys(CONTENDERS);
interface Run { ms: number; cpu_ms: number; rss_mib: number; check: CheckResult }
const runs: Record<string, Run[]> = Object.fromEntries(names.map((name) => [name, []]));
if (only.has('contenders')) {
  log(`contenders: ${records.toLocaleString('en')} records over ${sessions} sessions (10% audit), ${rounds} rounds, order rotating each round`);
  const workload = { records, sessions };
  const ids = Array.from({ length: sessions }, (_, i) => sessionId(i));
  for (let r = 0; r < rounds; r++) {
    const order = [...names.slice(r % names.length), ...names.slice(0, r % names.length)];
    for (const name of order) {
      const dir = tempDir();
      const measured = child<{ ms: number; cpu_ms: number; rss_mib: number }>([here('./runContender.ts'), name, dir, String(records), String(sessions)]);
      const check = checked(`${name}, round ${r + 1}`, checkOutput(dir, {
        sessions: ids, records: (s) => recordsOf(s, workload), extraLines: LIFECYCLE_LINES[name] ?? 0, isAudit: (n) => isAuditRecord(n, sessions),
      }));
      rmSync(dir, { recursive: true, force: true });
      runs[name]!.push({ ...measured, check });
    }
    noteLoad();
    log(`  round ${r + 1}: ${order.map((name) => `${name} ${Math.round(runs[name]!.at(-1)!.ms)} ms`).join(', ')} (load ${round(loadavg()[0]!)})`);
  }
}

// ---- paced: event-loop delay at a steady rate ----
const loopP99: Record<string, number> = {};
if (only.has('paced')) {
  for (const name of names) {
    const dir = tempDir();
    loopP99[name] = child<{ loop_p99_ms: number }>([here('./runContender.ts'), name, dir, String(records), String(sessions), '--paced']).loop_p99_ms;
    rmSync(dir, { recursive: true, force: true });
  }
  noteLoad();
}

/** Per round: a / b of the contenders' wall or CPU time. */
const RATIOS: Record<string, [string, string]> = {
  ours_vs_raw: ['ours', 'raw'], pino_vs_ours: ['pino', 'ours'], otel_stock_vs_ours: ['otel_stock', 'ours'],
  ours_sdk_vs_raw: ['ours_sdk', 'raw'], ours_sdk_vs_ours: ['ours_sdk', 'ours'], ours_audit_vs_raw: ['ours_audit', 'raw'],
};
const ratioSpreads = { wall: {} as Record<string, Spread>, cpu: {} as Record<string, Spread> };
if (only.has('contenders')) {
  for (const [key, [a, b]] of Object.entries(RATIOS)) {
    ratioSpreads.wall[key] = roundSpread(spread(runs[a]!.map((run, r) => run.ms / runs[b]![r]!.ms)));
    ratioSpreads.cpu[key] = roundSpread(spread(runs[a]!.map((run, r) => run.cpu_ms / runs[b]![r]!.cpu_ms)));
  }
}

// ---- durability: 1 and 1,000 sessions, before and after group commit ----
interface DurableRun { ms: number; cpu_ms: number; records: number; records_per_s: number; ack_p50_ms: number; ack_p99_ms: number; fsyncs: number; waves: number | null }
type DurableSummary = { records: number; records_per_s: Spread; ms: number; cpu_ms: number; ack_p50_ms: number; ack_p99_ms: number; fsyncs: number; waves: number | null };
let durability: Record<string, unknown> | null = null;
if (only.has('durability')) {
  let before: ReturnType<typeof checkoutCommit> | undefined;
  let beforeNote = 'not run (--before none)';
  if (values.before !== 'none') {
    try {
      before = checkoutCommit(values.before);
      beforeNote = before.commit;
    } catch (error) {
      failures.push((error as Error).message);
      beforeNote = `not run: ${(error as Error).message}`;
    }
  }
  const versions: Array<[string, string]> = [['after', REPO_ROOT], ...(before ? [['before', before.dir] as [string, string]] : [])];
  const cases: Array<[string, number, number]> = [['sessions_1', 1, batches * 100], ['sessions_1000', 1000, batches]];
  const durableRounds = quick ? 3 : Math.max(3, rounds);
  const results: Record<string, Record<string, DurableRun[]>> = {};
  log(`durability (audit): each session ${10}-record batches (9 output, 1 input), await log.flush() after each; ${durableRounds} rounds, before/after alternating`);
  try {
    for (let r = 0; r < durableRounds; r++) {
      for (const [key, count, perSession] of cases) {
        const order = r % 2 === 0 ? versions : [...versions].reverse();
        for (const [version, lib] of order) {
          const dir = tempDir();
          const measured = child<DurableRun>([here('./durableChild.ts'), lib, dir, String(count), String(perSession)]);
          checked(`durability ${key} ${version}, round ${r + 1}`, checkOutput(dir, {
            sessions: Array.from({ length: count }, (_, i) => sessionId(i)), records: () => perSession * 10, extraLines: 2, isAudit: (n) => isDurableAudit(n),
          }));
          rmSync(dir, { recursive: true, force: true });
          ((results[key] ??= {})[version] ??= []).push(measured);
        }
      }
      noteLoad();
    }
  } finally {
    before?.remove();
  }
  durability = { before_commit: beforeNote, batch: 10, rounds: durableRounds };
  for (const [key, count, perSession] of cases) {
    const byVersion: Record<string, DurableSummary> = {};
    for (const [version, list] of Object.entries(results[key] ?? {})) {
      byVersion[version] = {
        records: count * perSession * 10,
        records_per_s: roundSpread(spread(list.map((run) => run.records_per_s)), 0),
        ms: round(median(list.map((run) => run.ms))), cpu_ms: round(median(list.map((run) => run.cpu_ms))),
        ack_p50_ms: round(median(list.map((run) => run.ack_p50_ms))), ack_p99_ms: round(median(list.map((run) => run.ack_p99_ms))),
        fsyncs: median(list.map((run) => run.fsyncs)), waves: list[0]!.waves === null ? null : median(list.map((run) => run.waves!)),
      };
    }
    durability[key] = byVersion;
  }
}

// ---- the rest: each in its own process where it loads the library ----
const filtered = only.has('filtered') ? child<FilteredCosts>([here('./filteredCost.ts'), String(quick ? 2_000_000 : 10_000_000)]) : null;
noteLoad();
const server = only.has('server')
  ? child<OverheadResult>([here('./serverOverhead.ts'), '--json', '--rounds', quick ? '3' : '5', '--lines', quick ? '10000' : '50000'])
  : null;
noteLoad();
const reader = only.has('reader') ? await readerMemory(quick ? 100_000 : 1_000_000) : null;
load.end = loadavg().map((v) => round(v));
noteLoad();

// ---- summary ----
const contenders: Record<string, unknown> = {};
for (const name of names) {
  const list = runs[name]!;
  if (list.length === 0 && loopP99[name] === undefined) continue;
  const onDisk = list.reduce((sum, run) => sum + run.check.records, 0);
  contenders[name] = {
    ms: list.length ? round(median(list.map((run) => run.ms))) : null,
    on_disk: list.length ? list.at(-1)!.check.records : null,
    lost: list.reduce((sum, run) => sum + run.check.lost, 0),
    rss_mib: list.length ? round(median(list.map((run) => run.rss_mib))) : null,
    loop_p99_ms: loopP99[name] === undefined ? null : round(loopP99[name]!),
    cpu_ms: list.length ? round(median(list.map((run) => run.cpu_ms))) : null,
    duplicated: list.reduce((sum, run) => sum + run.check.duplicated, 0),
    rss_mib_max: list.length ? round(Math.max(...list.map((run) => run.rss_mib))) : null,
    bytes_per_line: list.length ? round(list.at(-1)!.check.bytes_per_line, 1) : null,
    records_checked: onDisk,
  };
}
const pick = (kind: 'wall' | 'cpu') => (only.has('contenders') ? Object.fromEntries(Object.entries(ratioSpreads[kind]).map(([key, value]) => [key, value.median])) : null);
const ours = contenders.ours as { rss_mib: number | null; rss_mib_max: number | null } | undefined;
const targets = [
  { name: 'ours/raw CPU', target: '<= 1.25', value: ratioSpreads.cpu.ours_vs_raw?.median ?? null, met: (v: number) => v <= 1.25 },
  { name: 'pino/ours CPU', target: '>= 1.3', value: ratioSpreads.cpu.pino_vs_ours?.median ?? null, met: (v: number) => v >= 1.3 },
  { name: 'otel_stock/ours CPU', target: '>= 1.5', value: ratioSpreads.cpu.otel_stock_vs_ours?.median ?? null, met: (v: number) => v >= 1.5 },
  { name: `peak RSS of ours (MiB) at ${records.toLocaleString('en')} records`, target: '<= 150 at 1,000,000', value: ours?.rss_mib ?? null, met: (v: number) => v <= 150 },
  { name: 'filtered-out emit (ns)', target: '<= 10', value: filtered ? round(filtered.ours) : null, met: (v: number) => v <= 10 },
  { name: `lost + duplicated over ${integrity.runs} checked runs`, target: '0', value: integrity.runs > 0 ? integrity.lost + integrity.duplicated : null, met: (v: number) => v === 0 },
].map(({ name, target, value, met }) => ({ name, target, value, met: value === null ? null : met(value) }));

const summary = {
  records,
  contenders,
  filtered_ns: filtered ? { ours: round(filtered.ours), if: round(filtered.if), pino: round(filtered.pino), otel: round(filtered.otel) } : null,
  ratios: pick('wall'),
  server_spawns_overhead_pct: server ? round(server.pct) : null,
  reader: reader ? { small_records: reader.small.records, small_rss_mib: round(reader.small.rss_mib), large_records: reader.large.records, large_rss_mib: round(reader.large.rss_mib), large_ms: round(reader.large.ms) } : null,
  cpu_ratios: pick('cpu'),
  ratio_spreads: only.has('contenders') ? ratioSpreads : null,
  sessions,
  rounds,
  durability,
  server: server ? { ratio: roundSpread(server.ratio, 4), cpu_ratio: roundSpread(server.cpu_ratio, 4), disabled_ms: round(server.disabled_ms), spawns_ms: round(server.spawns_ms), open_close_cpu_ms: { spawns: round(server.open_close_cpu_ms.spawns), disabled: round(server.open_close_cpu_ms.disabled) } } : null,
  targets,
  integrity,
  load,
  node: process.version,
  failures,
};

const cell = (value: unknown, width: number) => String(value ?? '-').padStart(width);
const showSpread = (value: Spread | undefined) => (value ? `${value.median} (${value.min}-${value.max})` : '-');
if (only.has('contenders') || only.has('paced')) {
  log('');
  log('contender     wall ms    cpu ms   wall/raw median (min-max)  cpu/raw median (min-max)  RSS MiB (max)  bytes/line  lost  dup  loop p99 ms');
  for (const [name, value] of Object.entries(contenders)) {
    const row = value as { ms: number; cpu_ms: number; rss_mib: number; rss_mib_max: number; bytes_per_line: number; lost: number; duplicated: number; loop_p99_ms: number | null };
    const list = runs[name]!;
    const vsRaw = (kind: 'ms' | 'cpu_ms') => (list.length && runs.raw!.length ? showSpread(roundSpread(spread(list.map((run, r) => run[kind] / runs.raw![r]![kind])))) : '-');
    log(`${name.padEnd(12)}${cell(row.ms, 9)}${cell(row.cpu_ms, 10)}   ${vsRaw('ms').padEnd(26)} ${vsRaw('cpu_ms').padEnd(25)} ${`${row.rss_mib ?? '-'} (${row.rss_mib_max ?? '-'})`.padEnd(14)}${cell(row.bytes_per_line, 10)}${cell(row.lost, 6)}${cell(row.duplicated, 5)}${cell(row.loop_p99_ms, 13)}`);
  }
}
if (only.has('contenders')) {
  log('');
  log('ratios, median (min-max) over paired rounds:    wall                 CPU');
  for (const key of Object.keys(RATIOS)) log(`  ${key.padEnd(44)} ${showSpread(ratioSpreads.wall[key]).padEnd(20)} ${showSpread(ratioSpreads.cpu[key])}`);
}
if (durability) {
  log('');
  log(`durability audit, records/s median (min-max); before = ${String(durability.before_commit).slice(0, 12)}`);
  for (const key of ['sessions_1', 'sessions_1000']) {
    for (const [version, value] of Object.entries(durability[key] as Record<string, DurableSummary>)) {
      log(`  ${key.padEnd(14)} ${version.padEnd(7)} ${showSpread(value.records_per_s).padEnd(30)} ${value.records.toLocaleString('en')} records, ack p50 ${value.ack_p50_ms} ms p99 ${value.ack_p99_ms} ms, ${value.fsyncs} fsyncs${value.waves === null ? '' : ` in ${value.waves} waves`}, CPU ${value.cpu_ms} ms`);
    }
  }
}
if (filtered) log(`\nfiltered-out record, ns/op (median of 5): ours ${summary.filtered_ns!.ours}, plain if ${summary.filtered_ns!.if}, pino disabled level ${summary.filtered_ns!.pino}, OTel record dropped in a processor ${summary.filtered_ns!.otel}`);
if (server) log(`session server at spawns vs disabled (${quick ? 3 : 5} paired rounds): wall ${showSpread(summary.server!.ratio)}, CPU ${showSpread(summary.server!.cpu_ratio)}; overhead ${summary.server_spawns_overhead_pct}%; open+close a session ${summary.server!.open_close_cpu_ms.spawns} ms CPU with files, ${summary.server!.open_close_cpu_ms.disabled} ms without`);
if (reader) log(`reader: ${reader.small.records.toLocaleString('en')} records read with peak RSS ${round(reader.small.rss_mib)} MiB, ${reader.large.records.toLocaleString('en')} with ${round(reader.large.rss_mib)} MiB (${round(reader.large.ms)} ms)`);
log('');
log('targets (medians):');
for (const t of targets) log(`  ${t.name.padEnd(48)} ${String(t.value ?? '-').padStart(8)}  target ${t.target.padEnd(20)} ${t.met === null ? 'not measured' : t.met ? 'met' : 'NOT MET'}`);
log(`load average: start ${load.start.join(' ')}, end ${load.end.join(' ')}, highest 1-minute ${load.max_1m}`);
if (failures.length > 0) {
  log('');
  log(`FAILED: ${failures.length} run(s) lost, duplicated or changed records:`);
  for (const failure of failures) log(`  ${failure}`);
}
if (values.json) process.stdout.write(JSON.stringify(summary) + '\n');
process.exitCode = failures.length > 0 ? 1 : 0;
