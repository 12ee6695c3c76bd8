/**
 * Real services for the end-to-end tests (the Collector, VictoriaLogs): their binaries, built
 * by a repository script into a cache outside the repository, and child processes that are
 * started on 127.0.0.1, waited for by polling, and never outlive the test process.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';

export { freePort } from './freePort.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const binaries = new Map<string, string>();

/** Throws unless `path` is an absolute path to an executable file. */
function assertExecutable(what: string, path: string, from: string): string {
  try {
    if (!isAbsolute(path)) throw new Error('not an absolute path');
    if (!statSync(path).isFile()) throw new Error('not a file');
    accessSync(path, constants.X_OK);
  } catch (error) {
    throw new Error(`the ${what} binary from ${from} is unusable: ${JSON.stringify(path)}: ${(error as Error).message}`);
  }
  return path;
}

/**
 * The binary `script` builds: `envVariable` when .ci/run built it, else the last line of
 * `bash <script>` (which builds it into the cache the first time). Throws when it cannot be
 * had, so the tests that need it fail rather than skip.
 */
export function builtBinary(what: string, envVariable: string, script: string): string {
  const known = binaries.get(script);
  if (known) return known;
  let path: string;
  if (process.env[envVariable]) path = assertExecutable(what, process.env[envVariable]!, envVariable);
  else {
    let output: string;
    try {
      output = execFileSync('bash', [script], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 900_000 });
    } catch (error) {
      throw new Error(`${what} could not be built (bash ${script}, needs Go and the Go module proxy; its output is above): ${(error as Error).message}`);
    }
    path = assertExecutable(what, output.trim().split('\n').at(-1) ?? '', script);
  }
  binaries.set(script, path);
  return path;
}

/**
 * Polls `check` until it returns something other than undefined, or throws after
 * `timeoutMs` with `what` and the last value seen (`describe`). The deadline is generous:
 * it only bounds a failing test, a passing one returns as soon as the condition holds.
 */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, options: { timeoutMs?: number; intervalMs?: number; describe?: () => string } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${options.describe ? `: ${options.describe()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

/** Children still running, killed if the test process exits without stopping them. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface RunningService {
  process: ChildProcess;
  /** Everything it printed. */
  output(): string;
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>;
  kill(signal: NodeJS.Signals): Promise<void>;
  readonly exited: Promise<void>;
}

/**
 * Start `binary` with `args` as a child with its own environment (PATH and HOME plus `env`:
 * no OTEL_* or proxy settings leak in). Resolves once `ready()` returns true; rejects, with
 * what it printed, if it exits first or is not ready within 30 s.
 */
export async function startService(options: { name: string; binary: string; args: string[]; env?: Record<string, string>; ready: () => Promise<boolean> }): Promise<RunningService> {
  const child = spawn(options.binary, options.args, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let logs = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (logs += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (logs += chunk));
  child.on('error', (error) => (logs += `\n[spawn error] ${error.message}\n`));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve()); // never started: there is no exit to wait for
  });
  void exited.then(() => live.delete(child));
  const gone = () => child.exitCode !== null || child.signalCode !== null || child.pid === undefined;
  const kill = async (signal: NodeJS.Signals) => {
    if (!gone()) child.kill(signal);
    await exited;
  };
  try {
    await waitFor(`${options.name} to be ready`, async () => {
      if (gone()) throw new Error(`${options.name} exited (${child.exitCode ?? child.signalCode ?? 'not started'}):\n${logs}`);
      return (await options.ready()) ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 50, describe: () => logs });
  } catch (error) {
    await kill('SIGKILL');
    throw error;
  }
  return { process: child, output: () => logs, stop: () => kill('SIGTERM'), kill, exited };
}

/** True when GET `url` answers 200 (a health or readiness endpoint). */
export async function answers200(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}
