import { readFileSync } from 'node:fs';

/**
 * Peak resident set size of this process in MiB. On Linux from VmHWM, the high-water mark
 * of this process's own memory: getrusage's maxRSS (process.resourceUsage()) is not, since
 * a child started by fork and exec inherits the parent's peak at the fork, so a bench
 * child would report its parent's memory whenever that is larger.
 */
export function peakRssMiB(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) / 1024;
  } catch {
    // Not Linux: fall back to getrusage.
  }
  return process.resourceUsage().maxRSS / 1024;
}
