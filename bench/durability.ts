import { Integrity, benchScript, runChecked } from './childRun.ts';
import { BATCH, isDurableAudit } from './durableChild.ts';
import { checkoutCommit, REPO_ROOT } from './olderCheckout.ts';
import { type Spread, median, round, roundSpread, spread } from './spread.ts';
import { sessionId } from './workload.ts';

/** What durableChild.ts prints for one run. */
interface DurableRun {
  ms: number;
  cpu_ms: number;
  records: number;
  records_per_s: number;
  ack_p50_ms: number;
  ack_p99_ms: number;
  fsyncs: number;
  waves: number | null;
}

/** Medians over the rounds of one case and one version of the code. */
export interface DurableSummary {
  records: number;
  records_per_s: Spread;
  ms: number;
  cpu_ms: number;
  ack_p50_ms: number;
  ack_p99_ms: number;
  fsyncs: number;
  waves: number | null;
}

export interface DurabilityResult {
  /** The commit compared against (full hash), or 'none'. */
  before_commit: string;
  /** Why the comparison is missing or incomplete (the older code failed to check out or to run). */
  before_error: string | null;
  /** Runs of the older code whose files failed the check (they do not fail the bench). */
  before_check_failures: string[];
  batch: number;
  rounds: number;
  /** Keyed by version: `after` (this checkout) and `before`. */
  sessions_1: Record<string, DurableSummary>;
  sessions_1000: Record<string, DurableSummary>;
}

const CHILD = benchScript('./durableChild.ts');

/**
 * Records/s in `audit` durability, 1 session and 1,000, every input acknowledged after
 * `await log.flush()`: this checkout ("after" group commit) against `beforeCommit` checked
 * out in a temporary directory ("before"), alternating which goes first, in the same run.
 */
export function durabilityCase(options: { batches: number; rounds: number; beforeCommit: string; integrity: Integrity; log: (line: string) => void }): DurabilityResult {
  const { batches, rounds, integrity } = options;
  let before: ReturnType<typeof checkoutCommit> | undefined;
  let beforeError: string | null = null;
  if (options.beforeCommit !== 'none') {
    try {
      before = checkoutCommit(options.beforeCommit);
    } catch (error) {
      beforeError = `could not extract ${options.beforeCommit}: ${(error as Error).message}`;
    }
  }
  const versions: Array<[string, string]> = [['after', REPO_ROOT], ...(before ? [['before', before.dir] as [string, string]] : [])];
  const cases: Array<['sessions_1' | 'sessions_1000', number, number]> = [['sessions_1', 1, batches * 100], ['sessions_1000', 1000, batches]];
  const results: Record<string, Record<string, DurableRun[]>> = {};
  const beforeIntegrity = new Integrity();
  options.log(`durability (audit): every session in ${BATCH}-record batches (9 output, 1 input), await log.flush() after each; ${rounds} rounds, before/after alternating`);
  try {
    for (let r = 0; r < rounds; r++) {
      for (const [key, count, perSession] of cases) {
        for (const [version, lib] of r % 2 === 0 ? versions : [...versions].reverse()) {
          if (version === 'before' && beforeError !== null) continue;
          const check = { sessions: Array.from({ length: count }, (_, i) => sessionId(i)), records: () => perSession * BATCH, extraLines: 2, isAudit: (n: number) => isDurableAudit(n) };
          let measured: DurableRun;
          try {
            // The older code's losses are reported with it; they do not fail the bench.
            measured = runChecked<DurableRun>(`durability ${key} ${version}, round ${r + 1}`, (dir) => [CHILD, lib, dir, String(count), String(perSession)], check, version === 'after' ? integrity : beforeIntegrity).measured;
          } catch (error) {
            // The older code may not load or run with today's node_modules: the comparison is lost, not the bench.
            if (version === 'after') throw error;
            beforeError = `${options.beforeCommit.slice(0, 12)} failed to run: ${(error as Error).message.split('\n')[0]}`;
            continue;
          }
          ((results[key] ??= {})[version] ??= []).push(measured);
        }
      }
    }
  } finally {
    before?.remove();
  }
  if (beforeError !== null) options.log(`  WARNING: no before/after comparison: ${beforeError}`);
  for (const failure of beforeIntegrity.failures) options.log(`  the code before (not this checkout): ${failure}`);
  const summarise = (list: DurableRun[], records: number): DurableSummary => ({
    records,
    records_per_s: roundSpread(spread(list.map((run) => run.records_per_s)), 0),
    ms: round(median(list.map((run) => run.ms))),
    cpu_ms: round(median(list.map((run) => run.cpu_ms))),
    ack_p50_ms: round(median(list.map((run) => run.ack_p50_ms))),
    ack_p99_ms: round(median(list.map((run) => run.ack_p99_ms))),
    fsyncs: median(list.map((run) => run.fsyncs)),
    waves: list[0]!.waves === null ? null : median(list.map((run) => run.waves!)),
  });
  const result: DurabilityResult = { before_commit: options.beforeCommit, before_error: beforeError, before_check_failures: beforeIntegrity.failures, batch: BATCH, rounds, sessions_1: {}, sessions_1000: {} };
  for (const [key, count, perSession] of cases) {
    for (const [version, list] of Object.entries(results[key] ?? {})) result[key][version] = summarise(list, count * perSession * BATCH);
  }
  return result;
}
