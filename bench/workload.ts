import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * The benchmark workload. Every contender gets the same records and writes the same line
 * for each (see sameLine.ts): record n goes to session n % sessions; every 10th record of a
 * session is an `input` (audit, chained), the others `output` (system); ~100-byte body and
 * three attributes.
 */
export type Attrs = { stream: string; pid: number; n: number };

/** A contender: takes records, and writes everything out when finished. */
export interface Contender {
  emit(session: number, audit: boolean, body: string, attrs: Attrs): void;
  finish(): Promise<void>;
}

export interface WorkloadOptions {
  records: number;
  sessions: number;
}

const FILLER = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore';

/** The body of record `n`; the output check compares every line's body with this. */
export function bodyOf(n: number): string {
  return `${n} ${FILLER}`.slice(0, 100);
}

/** 10% audit records in every session: the session's own 1st, 11th, 21st... record. */
export function isAuditRecord(n: number, sessions: number): boolean {
  return Math.floor(n / sessions) % 10 === 0;
}

export function sessionId(session: number): string {
  return `s${session}`;
}

/** Records of `session` in a workload of `records` over `sessions`. */
export function recordsOf(session: number, options: WorkloadOptions): number {
  return Math.floor(options.records / options.sessions) + (session < options.records % options.sessions ? 1 : 0);
}

const BATCH = 1000;

function emitRange(contender: Contender, from: number, to: number, sessions: number): void {
  for (let n = from; n < to; n++) {
    const session = n % sessions;
    const audit = isAuditRecord(n, sessions);
    contender.emit(session, audit, bodyOf(n), { stream: audit ? 'stdin' : 'stdout', pid: 1000 + session, n });
  }
}

/**
 * Flat out: every record as fast as the contender takes them, yielding to the event loop
 * every 1,000 (asynchronous writers need it), then finish(). Returns wall and CPU ms of
 * the whole (CPU of every thread of the process: the libuv pool's writes count too).
 */
export async function runWorkload(contender: Contender, options: WorkloadOptions): Promise<{ ms: number; cpu_ms: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < options.records; i += BATCH) {
    emitRange(contender, i, Math.min(i + BATCH, options.records), options.sessions);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await contender.finish();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { ms, cpu_ms: (used.user + used.system) / 1000 };
}

/** Paced: 1,000 records every 10 ms (100,000 records/s) for `pacedMs`; returns the event loop's p99 delay in ms. */
export async function runPaced(contender: Contender, options: WorkloadOptions, pacedMs = 2000): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const ticks = Math.floor(pacedMs / 10);
  for (let t = 0; t < ticks; t++) {
    const due = performance.now() + 10;
    emitRange(contender, t * BATCH, (t + 1) * BATCH, options.sessions);
    const wait = due - performance.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
  }
  await contender.finish();
  histogram.disable();
  return histogram.percentile(99) / 1e6;
}
