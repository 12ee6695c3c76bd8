import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
let cached: string | undefined;

/** Throws unless `path` is an absolute path to an executable file. */
function assertExecutable(path: string, from: string): string {
  try {
    if (!isAbsolute(path)) throw new Error('not an absolute path');
    if (!statSync(path).isFile()) throw new Error('not a file');
    accessSync(path, constants.X_OK);
  } catch (error) {
    throw new Error(`the Collector binary from ${from} is unusable: ${JSON.stringify(path)}: ${(error as Error).message}`);
  }
  return path;
}

/**
 * Path of the Collector built from deploy/otelcol-builder.yaml: OTELCOL_BIN when .ci/run
 * built it, else the last line of `bash deploy/build-otelcol.sh` (which builds it into the
 * cache the first time, a few minutes). Throws when it cannot be had, so the Collector tests
 * fail rather than skip.
 */
export function collectorBinary(): string {
  if (cached) return cached;
  if (process.env.OTELCOL_BIN) return (cached = assertExecutable(process.env.OTELCOL_BIN, 'OTELCOL_BIN'));
  let output: string;
  try {
    output = execFileSync('bash', ['deploy/build-otelcol.sh'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 900_000 });
  } catch (error) {
    throw new Error(`the Collector could not be built (bash deploy/build-otelcol.sh, needs Go and the Go module proxy; its output is above): ${(error as Error).message}`);
  }
  return (cached = assertExecutable(output.trim().split('\n').at(-1) ?? '', 'deploy/build-otelcol.sh'));
}

/** Collectors still running, killed if the test process exits without stopping them. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RunningCollector {
  process: ChildProcess;
  /** Everything the Collector printed (its logs). */
  output(): string;
  /** SIGTERM, and wait for the exit (the Collector flushes its exporters). */
  stop(): Promise<void>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** Resolves once something accepts connections on 127.0.0.1:`port`. */
async function waitForPort(port: number, child: ChildProcess, output: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) throw new Error(`the Collector exited (${child.exitCode ?? child.signalCode ?? 'not started'}):\n${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the Collector did not listen on ${port} within ${timeoutMs} ms:\n${output()}`);
}

/**
 * Start the real Collector with `config` (a path) and `env`, as a child process with its own
 * environment (PATH and HOME plus `env`). Resolves once the Collector logged "Everything is
 * ready" (all its receivers started) and, when `readyPort` is given, that port on 127.0.0.1
 * accepts connections; rejects, with the Collector's output, if it exits or takes over 30 s.
 */
export async function startCollector(options: { config: string; env: Record<string, string>; readyPort?: number }): Promise<RunningCollector> {
  // Only PATH and HOME from our environment: no OTEL_* or proxy settings leak into the Collector.
  const child = spawn(collectorBinary(), ['--config', options.config], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let logs = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (logs += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (logs += chunk));
  child.on('error', (error) => (logs += `\n[spawn error] ${error.message}\n`));
  const output = () => logs;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve()); // never started: there is no exit to wait for
  });
  exited.then(() => live.delete(child));
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  try {
    const deadline = Date.now() + 30_000;
    while (!logs.includes('Everything is ready')) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) throw new Error(`the Collector exited (${child.exitCode ?? child.signalCode ?? 'not started'}):\n${logs}`);
      if (Date.now() > deadline) throw new Error(`the Collector was not ready within 30 s:\n${logs}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // The log line comes after every receiver started (a port taken by another process makes
    // the Collector exit before it); the port check confirms the receiver accepts connections.
    if (options.readyPort !== undefined) await waitForPort(options.readyPort, child, output, Math.max(1000, deadline - Date.now()));
  } catch (error) {
    await stopWith('SIGKILL');
    throw error;
  }
  return { process: child, output, stop: () => stopWith('SIGTERM'), kill: stopWith };
}
