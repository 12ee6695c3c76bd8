import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
let cached: string | undefined;

/**
 * Path of the Collector built from deploy/otelcol-builder.yaml: OTELCOL_BIN when .ci/run
 * built it, else build (or find in the cache) now. Throws when it cannot be had, so the
 * Collector tests fail rather than skip.
 */
export function collectorBinary(): string {
  if (cached) return cached;
  if (process.env.OTELCOL_BIN) return (cached = process.env.OTELCOL_BIN);
  const output = execFileSync('bash', ['deploy/build-otelcol.sh'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 900_000 });
  return (cached = output.trim().split('\n').at(-1)!);
}

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
    if (child.exitCode !== null) throw new Error(`the Collector exited with ${child.exitCode}:\n${output()}`);
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
 * Start the real Collector with `config` (a path) and `env`; resolves when `readyPort`
 * accepts connections (for the pull pipeline, give the port of any receiver it opens, or omit
 * and it waits for the Collector's "Everything is ready" log line).
 */
export async function startCollector(options: { config: string; env: Record<string, string>; readyPort?: number }): Promise<RunningCollector> {
  const child = spawn(collectorBinary(), ['--config', options.config], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (logs += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (logs += chunk));
  const output = () => logs;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  try {
    if (options.readyPort !== undefined) await waitForPort(options.readyPort, child, output);
    else {
      const deadline = Date.now() + 30_000;
      while (!logs.includes('Everything is ready')) {
        if (child.exitCode !== null) throw new Error(`the Collector exited with ${child.exitCode}:\n${logs}`);
        if (Date.now() > deadline) throw new Error(`the Collector was not ready within 30 s:\n${logs}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } catch (error) {
    await stopWith('SIGKILL');
    throw error;
  }
  return { process: child, output, stop: () => stopWith('SIGTERM'), kill: stopWith };
}
