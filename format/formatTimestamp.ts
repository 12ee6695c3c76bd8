import type { HrTime } from '@opentelemetry/api';

let cachedSecond = -1;
let cachedPrefix = '';

/** ISO 8601 UTC with nanoseconds: "2026-11-25T07:01:02.123456789Z". The date part is cached per second. */
export function formatTime(seconds: number, nanos: number): string {
  if (seconds !== cachedSecond) {
    cachedSecond = seconds;
    cachedPrefix = new Date(seconds * 1000).toISOString().slice(0, 20); // "YYYY-MM-DDTHH:MM:SS."
  }
  return cachedPrefix + (nanos < 100000000 ? String(nanos + 1000000000).slice(1) : String(nanos)) + 'Z';
}

export function formatTimestamp(time: HrTime): string {
  return formatTime(time[0], time[1]);
}
