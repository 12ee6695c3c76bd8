import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A scratch directory removed when the benchmark exits. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'osl-bench-'));
  made.push(dir);
  return dir;
}
