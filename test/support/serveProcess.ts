import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../../app/cli/main.ts', import.meta.url));
export const NODE = process.execPath;
/** Prints numbered lines until killed. */
export const CHATTY = "let i = 0; setInterval(() => { for (let k = 0; k < 20; k++) console.log('n ' + i++); }, 1);";

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function finished(child: ChildProcess): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

export function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return finished(spawn(NODE, [MAIN, ...args], { env: { ...process.env, SESSION_LOGS_TOKEN: '', SESSION_LOGS_SERVER: '', ...env } }));
}

/** `session-logs serve` as a real child process; resolves with its URL once it listens. */
export async function serve(dir: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; url: string; done: Promise<Run> }> {
  const child = spawn(NODE, [MAIN, 'serve', '--port', '0', '--dir', dir, ...extra], { env: { ...process.env, CCMUX_SESSION_LOG: '', ...env } });
  const done = finished(child);
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk) => {
      seen += chunk;
      const match = /serving on (http:\/\/\S+)/.exec(seen);
      if (match) resolve(match[1]!);
    });
    void done.then((run) => reject(new Error(`serve exited early (${run.code}): ${run.stderr}`)));
  });
  return { child, url, done };
}

export async function call(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(url + path, {
    method, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
