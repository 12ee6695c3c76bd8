// npm run bench -- --help: every contender on the same workload writing the same line, each
// run in its own child process, in paired rounds in one invocation. See docs/performance.md.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { benchScript, Integrity, runChild } from './childRun.ts';
import { type Run, cappedMemory, contenderRounds, pacedDelays, ratioSpreads } from './contenderRuns.ts';
import { durabilityCase } from './durability.ts';
import { resolveCommit } from './olderCheckout.ts';
import type { FilteredCosts } from './filteredCost.ts';
import { readerMemory } from './readerMemory.ts';
import { type ReportInput, buildSummary, printReport } from './report.ts';
import type { OverheadResult } from './serverOverhead.ts';
import { round } from './spread.ts';

const SECTIONS = ['contenders', 'memory', 'paced', 'durability', 'filtered', 'server', 'reader'] as const;
type Section = (typeof SECTIONS)[number];

const USAGE = `usage: npm run bench -- [options]

Every contender writes the same JSONL line (ts, seq, session_id, event, category, tier,
severity, body, attrs; audit lines chained with sha256) for the same workload: 16 sessions,
10% audit records. Each run is a child process; rounds are paired and interleaved, and
every run's files are read back and checked (seq contiguous, no duplicates, same lines).

  contenders   raw, ours (facade, files only), ours_sdk (through the OTel SDK), ours_audit
               (default durability), pino, otel_stock: wall and CPU ratios, peak RSS
  memory       peak RSS of each once more with V8's young generation capped
               (--max-semi-space-size=8), so what a contender keeps shows, not V8's growth
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
      records: { type: 'string' }, rounds: { type: 'string' }, batches: { type: 'string' }, before: { type: 'string' }, only: { type: 'string' },
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

// The code before group commit: a commit named with --before must exist; the default is
// skipped with a warning where there is no repository to take it from (a packed copy).
let beforeCommit = 'none';
let beforeWarning: string | undefined;
if (only.has('durability') && values.before !== 'none') {
  try {
    beforeCommit = resolveCommit(values.before ?? '241b7ed');
  } catch (error) {
    if (values.before !== undefined) usageError((error as Error).message);
    beforeWarning = (error as Error).message;
  }
}

const log = (line = '') => (values.json ? process.stderr : process.stdout).write(line + '\n');
const integrity = new Integrity();
const load = { start: loadavg().map((v) => round(v)), end: [] as number[], max_1m: round(loadavg()[0]!) };
const noteLoad = () => {
  load.max_1m = Math.max(load.max_1m, round(loadavg()[0]!));
};
const workload = { records, sessions };

log(`bench: Node ${process.version}, ${quick ? 'quick' : 'full'} run, load average ${load.start.join(' ')}`);
if (beforeWarning) log(`WARNING: durability runs without the before/after comparison: ${beforeWarning}`);
let runs: Record<string, Run[]> = {};
if (only.has('contenders')) {
  log(`contenders: ${records.toLocaleString('en')} records over ${sessions} sessions (10% audit), ${rounds} rounds, order rotating each round`);
  runs = contenderRounds(workload, rounds, integrity, log);
  noteLoad();
}
const rssCapped = only.has('memory') ? cappedMemory(workload, integrity) : {};
noteLoad();
const loopP99 = only.has('paced') ? pacedDelays(workload) : {};
noteLoad();
const ratios = only.has('contenders') ? ratioSpreads(runs) : null;
const durability = only.has('durability') ? durabilityCase({ batches, rounds: quick ? 3 : Math.max(3, rounds), beforeCommit, integrity, log }) : null;
noteLoad();

// Each in its own process, where it loads the library.
const filtered = only.has('filtered') ? runChild<FilteredCosts>([benchScript('./filteredCost.ts'), String(quick ? 2_000_000 : 10_000_000)]) : null;
noteLoad();
const server = only.has('server')
  ? runChild<OverheadResult>([benchScript('./serverOverhead.ts'), '--json', '--rounds', quick ? '3' : '5', '--lines', quick ? '10000' : '50000'])
  : null;
noteLoad();
const reader = only.has('reader') ? await readerMemory(quick ? 100_000 : 1_000_000) : null;
load.end = loadavg().map((v) => round(v));
noteLoad();

const input: ReportInput = { quick, records, sessions, rounds, runs, rssCapped, loopP99, ratios, durability, filtered, server, reader, integrity, load };
const summary = buildSummary(input);
printReport(input, summary, log);
if (values.json) process.stdout.write(JSON.stringify(summary) + '\n');
process.exitCode = integrity.failures.length > 0 ? 1 : 0;
