import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This checkout's root (bench/..). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');

/** The full hash of `commit` in this repository; throws a message naming what is allowed. */
export function resolveCommit(commit: string): string {
  try {
    return execFileSync('git', ['-C', REPO_ROOT, 'rev-parse', '--verify', '--quiet', `${commit}^{commit}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    throw new Error(`--before ${JSON.stringify(commit)}: not a commit of the repository at ${REPO_ROOT}; allowed: a commit (default 241b7ed, the code before group commit) or none`);
  }
}

/**
 * The tree of an older commit in a temporary directory outside the repository (git archive:
 * nothing is registered in .git, nothing is left behind), sharing this checkout's
 * node_modules, so the same bench can run against the code as it was. Removed by remove().
 */
export function checkoutCommit(full: string): { dir: string; commit: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `osl-before-${full.slice(0, 7)}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const tar = join(dir, '.tree.tar');
    execFileSync('git', ['-C', REPO_ROOT, 'archive', '--format=tar', '-o', tar, full]);
    execFileSync('tar', ['-xf', tar, '-C', dir]);
    rmSync(tar);
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  } catch (error) {
    remove();
    throw error;
  }
  return { dir, commit: full, remove };
}
