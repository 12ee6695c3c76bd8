import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkOutput, type CheckOptions, type CheckResult } from './checkOutput.ts';
import { tempDir } from './tempDir.ts';

/** A bench script's path, for running it in a child process. */
export function benchScript(file: string): string {
  return fileURLToPath(new URL(file, import.meta.url));
}

/** Run a bench script in a child process (node flags first); its last stdout line is JSON. */
export function runChild<T>(args: string[]): T {
  const output = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(output.trim().split('\n').at(-1)!) as T;
}

/** Every checked run's losses and duplicates, and a line for each run that failed its check. */
export class Integrity {
  lost = 0;
  duplicated = 0;
  runs = 0;
  readonly failures: string[] = [];

  record(what: string, result: CheckResult): void {
    this.lost += result.lost;
    this.duplicated += result.duplicated;
    this.runs++;
    if (result.lost > 0 || result.duplicated > 0 || result.problems.length > 0) {
      this.failures.push(`${what}: ${result.lost} lost, ${result.duplicated} duplicated; ${result.problems.join('; ')}`);
    }
  }
}

/**
 * One run in a child process writing into a fresh directory (`args` gets its path), its
 * files checked line by line and recorded in `integrity`, then removed.
 */
export function runChecked<T>(what: string, args: (dir: string) => string[], check: CheckOptions, integrity: Integrity): { measured: T; check: CheckResult } {
  const dir = tempDir();
  try {
    const measured = runChild<T>(args(dir));
    const result = checkOutput(dir, check);
    integrity.record(what, result);
    return { measured, check: result };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
