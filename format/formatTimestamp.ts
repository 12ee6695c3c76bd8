import type { HrTime } from '@opentelemetry/api';

let cachedSecond = -1;
let cachedPrefix = '';

/** ISO 8601 UTC with nanoseconds: "2026-11-25T07:01:02.123456789Z". The date part is cached per second. */
export function formatTime(seconds: number, nanos: number): string {
  if (seconds !== cachedSecond) {
    cachedSecond = seconds;
    cachedPrefix = new Date(seconds * 1000).toISOString().slice(0, 20); // "YYYY-MM-DDTHH:MM:SS."
  }
  // One expression for every nanos (1e9 + nanos is still a small integer): a branch taken only
  // from the second 100 ms of a second on made the optimized caller (emit) deoptimize then.
  return cachedPrefix + String(nanos + 1000000000).slice(1) + 'Z';
}

export function formatTimestamp(time: HrTime): string {
  return formatTime(time[0], time[1]);
}
