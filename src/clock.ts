import type { HrTime, TimeInput } from '@opentelemetry/api';
import { formatTime } from '../format/formatTimestamp.ts';

// The wall clock with nanoseconds as the OTel SDK's hrTime() computes it (the process's time
// origin plus performance.now()), without its three arrays per call: the facade takes the
// time of every record.
const origin = performance.timeOrigin;
const originSeconds = Math.floor(origin / 1000);
const originNanos = Math.round((origin - originSeconds * 1000) * 1e6);

let seconds = 0;
let nanos = 0;

/** Sets `seconds` and `nanos` to now. */
function tick(): void {
  const elapsed = performance.now();
  const whole = Math.floor(elapsed / 1000);
  nanos = Math.round((elapsed - whole * 1000) * 1e6) + originNanos;
  seconds = originSeconds + whole;
  if (nanos >= 1e9) {
    nanos -= 1e9;
    seconds++;
  }
}

/** Now, as the line's `ts`. */
export function timestampNow(): string {
  tick();
  return formatTime(seconds, nanos);
}

/** Now, as an OTel HrTime. */
export function hrTimeNow(): HrTime {
  tick();
  return [seconds, nanos];
}

/** Milliseconds since the epoch as an HrTime, as @opentelemetry/core's millisToHrTime (not loaded for files only: src/lazyModules.ts). */
export function millisToHrTime(epochMillis: number): HrTime {
  return [Math.trunc(epochMillis / 1000), Math.round((epochMillis % 1000) * 1e6)];
}

/**
 * A caller's timestamp as an HrTime, as @opentelemetry/core's timeInputToHrTime: an HrTime
 * as is, a Date, epoch milliseconds, or a performance.now() value (a number below half the
 * time origin).
 */
export function timeInputToHrTime(time: TimeInput): HrTime {
  if (Array.isArray(time) && time.length === 2 && typeof time[0] === 'number' && typeof time[1] === 'number') return time as HrTime;
  if (typeof time === 'number') {
    if (time >= origin / 2) return millisToHrTime(time);
    const [originS, originNs] = millisToHrTime(origin);
    const [s, ns] = millisToHrTime(time);
    return originNs + ns >= 1e9 ? [originS + s + 1, originNs + ns - 1e9] : [originS + s, originNs + ns];
  }
  if (time instanceof Date) return millisToHrTime(time.getTime());
  throw new TypeError('Invalid input type');
}
