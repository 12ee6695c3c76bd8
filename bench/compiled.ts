import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Contender runs execute compiled JavaScript, as the library runs once installed. Run from
 * the .ts sources, a child also loads Node's type stripper (amaro, a WebAssembly module)
 * whose memory grows with the source it strips: the library from .ts took 61 MiB of RSS
 * over bare Node against 26 MiB built, which the peak RSS of ours then counted and the
 * floor's (fewer files) mostly did not.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
let compiledDir: string | undefined;

/** The compiled twin of a bench script (`./runContender.ts` -> .../bench/runContender.js), compiling the bench and library once per process. */
export function compiledScript(file: string): string {
  if (compiledDir === undefined) {
    // Inside the checkout, so the compiled files find node_modules as the sources do.
    mkdirSync(join(ROOT, '.bench'), { recursive: true });
    const dir = mkdtempSync(join(ROOT, '.bench', 'js-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'bench', 'tsconfig.json'), '--outDir', dir], { stdio: 'inherit' });
    compiledDir = dir;
  }
  return join(compiledDir, 'bench', file.replace(/^\.\//, '').replace(/\.ts$/, '.js'));
}
