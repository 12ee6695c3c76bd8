import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { CheckOptions, CheckResult } from './checkOutput.ts';
import { type Integrity, runChecked, runChild } from './childRun.ts';
import { compiledScript } from './compiled.ts';
import { CONTENDERS, LIFECYCLE_LINES } from './contenders/index.ts';
import { type Spread, round, roundSpread, spread } from './spread.ts';
import { tempDir } from './tempDir.ts';
import { type WorkloadOptions, isAuditRecord, recordsOf, sessionId } from './workload.ts';

export const NAMES = Object.keys(CONTENDERS);
/** Each contender run is the compiled runContender.ts (see compiled.ts). */
const runner = () => compiledScript('./runContender.ts');

export interface Run {
  ms: number;
  cpu_ms: number;
  rss_mib: number;
  check: CheckResult;
}

function checkOf(name: string, workload: WorkloadOptions): CheckOptions {
  return {
    sessions: Array.from({ length: workload.sessions }, (_, i) => sessionId(i)),
    records: (s) => recordsOf(s, workload),
    extraLines: LIFECYCLE_LINES[name] ?? 0,
    isAudit: (n) => isAuditRecord(n, workload.sessions),
  };
}

/**
 * Paired rounds: every contender once per round, each in its own process, the order
 * rotating from round to round so no contender always runs first or after the same one.
 */
export function contenderRounds(workload: WorkloadOptions, rounds: number, integrity: Integrity, log: (line: string) => void): Record<string, Run[]> {
  const runs: Record<string, Run[]> = Object.fromEntries(NAMES.map((name) => [name, []]));
  for (let r = 0; r < rounds; r++) {
    const order = [...NAMES.slice(r % NAMES.length), ...NAMES.slice(0, r % NAMES.length)];
    for (const name of order) {
      const { measured, check } = runChecked<Omit<Run, 'check'>>(`${name}, round ${r + 1}`, (dir) => [runner(), name, dir, String(workload.records), String(workload.sessions)], checkOf(name, workload), integrity);
      runs[name]!.push({ ...measured, check });
    }
    log(`  round ${r + 1}: ${order.map((name) => `${name} ${Math.round(runs[name]!.at(-1)!.ms)} ms`).join(', ')} (load ${round(loadavg()[0]!)})`);
  }
  return runs;
}

/** The node flag that caps V8's young generation, so peak RSS shows what a contender keeps rather than how far V8 let the heap grow. */
export const SEMI_SPACE = '--max-semi-space-size=8';

/** Peak RSS (MiB) of one run of each contender with SEMI_SPACE. */
export function cappedMemory(workload: WorkloadOptions, integrity: Integrity): Record<string, number> {
  const rss: Record<string, number> = {};
  for (const name of NAMES) {
    rss[name] = runChecked<{ rss_mib: number }>(`${name}, ${SEMI_SPACE}`, (dir) => [SEMI_SPACE, runner(), name, dir, String(workload.records), String(workload.sessions)], checkOf(name, workload), integrity).measured.rss_mib;
  }
  return rss;
}

/** Event-loop delay p99 (ms) of each contender at 100,000 records/s. */
export function pacedDelays(workload: WorkloadOptions): Record<string, number> {
  const delays: Record<string, number> = {};
  for (const name of NAMES) {
    const dir = tempDir();
    delays[name] = runChild<{ loop_p99_ms: number }>([runner(), name, dir, String(workload.records), String(workload.sessions), '--paced']).loop_p99_ms;
    rmSync(dir, { recursive: true, force: true });
  }
  return delays;
}

/** The ratios reported, each a / b of two contenders' times in the same round. */
export const RATIOS: Record<string, [string, string]> = {
  ours_vs_raw: ['ours', 'raw'], pino_vs_ours: ['pino', 'ours'], otel_stock_vs_ours: ['otel_stock', 'ours'],
  ours_sdk_vs_raw: ['ours_sdk', 'raw'], ours_sdk_vs_ours: ['ours_sdk', 'ours'], ours_audit_vs_raw: ['ours_audit', 'raw'], ours_audit_vs_ours: ['ours_audit', 'ours'],
};

/** Median, min and max over the rounds of a / b: wall time and CPU time. */
export function ratioSpreads(runs: Record<string, Run[]>, ratios: Record<string, [string, string]> = RATIOS): { wall: Record<string, Spread>; cpu: Record<string, Spread> } {
  const result = { wall: {} as Record<string, Spread>, cpu: {} as Record<string, Spread> };
  for (const [key, [a, b]] of Object.entries(ratios)) {
    result.wall[key] = roundSpread(spread(runs[a]!.map((run, r) => run.ms / runs[b]![r]!.ms)));
    result.cpu[key] = roundSpread(spread(runs[a]!.map((run, r) => run.cpu_ms / runs[b]![r]!.cpu_ms)));
  }
  return result;
}
