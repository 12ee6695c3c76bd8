import { monitorEventLoopDelay } from 'node:perf_hooks';

/** One record of the benchmark workload: ~100-byte body, 3 attributes. */
export interface WorkRecord {
  session: number;
  body: string;
  attrs: { stream: string; pid: number; n: number };
}

export interface WorkloadOptions {
  records: number;
  sessions: number;
}

const FILLER = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore';

export function makeRecord(i: number, sessions: number): WorkRecord {
  return { session: i % sessions, body: `${i} ${FILLER}`.slice(0, 100), attrs: { stream: 'stdout', pid: 1000 + (i % sessions), n: i } };
}

export interface ContenderResult {
  ms: number;
  rss_mib: number;
  loop_p99_ms: number;
  records: number;
}

/** A contender: emit one record, and flush everything at the end. */
export interface Contender {
  emit(record: WorkRecord): void;
  /** Called between batches; a contender may flush (the stock OTel SDK must, to avoid drops). */
  tick?(): Promise<void> | void;
  finish(): Promise<void> | void;
}

const BATCH = 1000;

/**
 * Flat out: every record as fast as the contender takes them, yielding to the event loop
 * every 1,000 (asynchronous writers need it).
 */
export async function runWorkload(contender: Contender, options: WorkloadOptions): Promise<ContenderResult> {
  const start = performance.now();
  for (let i = 0; i < options.records; i += BATCH) {
    const end = Math.min(i + BATCH, options.records);
    for (let j = i; j < end; j++) contender.emit(makeRecord(j, options.sessions));
    await contender.tick?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await contender.finish();
  const ms = performance.now() - start;
  return { ms, rss_mib: process.resourceUsage().maxRSS / 1024, loop_p99_ms: 0, records: options.records };
}

/** Paced phase, run after `runWorkload` on a fresh contender: 1,000 records every 10 ms. */
export async function runPaced(contender: Contender, options: WorkloadOptions, pacedMs = 2000): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const ticks = Math.floor(pacedMs / 10);
  let i = 0;
  for (let t = 0; t < ticks; t++) {
    const due = performance.now() + 10;
    for (let j = 0; j < 1000; j++) contender.emit(makeRecord(i++, options.sessions));
    await contender.tick?.();
    const wait = due - performance.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
  }
  await contender.finish();
  histogram.disable();
  return histogram.percentile(99) / 1e6;
}
