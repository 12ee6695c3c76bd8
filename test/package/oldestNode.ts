import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The lowest version an `engines.node` range of the form ">=X.Y[.Z]" admits. */
export function lowestVersion(range: string): string {
  const match = /^>=\s*(\d+)\.(\d+)(?:\.(\d+))?$/.exec(range.trim());
  if (!match) throw new Error(`engines.node ${JSON.stringify(range)} is not understood here; allowed: ">=X.Y" or ">=X.Y.Z"`);
  return `${match[1]}.${match[2]}.${match[3] ?? 0}`;
}

/**
 * A Node runtime of the oldest version `engines.node` claims, from the npm registry (the
 * `node` package, as the repository pins its own), installed once into a cache outside the
 * repository, like the Collector build.
 */
export function oldestClaimedNode(range: string): { version: string; node: string } {
  const version = lowestVersion(range);
  const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'otel-session-logs');
  const target = join(cache, `node-${version}`);
  const node = join(target, 'node_modules', 'node', 'bin', 'node');
  if (existsSync(node)) return { version, node };
  // Installed beside the target and renamed into place, so two runs never see half an install.
  const staging = join(cache, `.node-${version}-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, 'package.json'), JSON.stringify({ name: 'oldest-node', private: true }));
  try {
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', `node@${version}`], { cwd: staging, stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  } catch (error) {
    throw new Error(`could not install node@${version} from the npm registry into ${staging}: ${(error as { stderr?: Buffer }).stderr?.toString() ?? (error as Error).message}`);
  }
  try {
    renameSync(staging, target);
  } catch (error) {
    if (!existsSync(node)) throw error; // another run put it there first: use that one
    rmSync(staging, { recursive: true, force: true });
  }
  return { version, node };
}
