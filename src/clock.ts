import type { HrTime } from '@opentelemetry/api';
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
