import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { usageError } from '../format/logDir.ts';
import { createSessionLogging } from '../../../src/SessionLogging.ts';
import { SessionServer } from '../../server/SessionServer.ts';
import { readLines } from '../../../reader/readLines.ts';
import { readSession, type SessionRecord } from '../../../reader/readSession.ts';
import { formatRecord } from '../format/recordLine.ts';

/**
 * Run from the TypeScript source (a checkout): demo-logs/ there (ignored by git), wiped first,
 * whatever the current directory. Run from the build (an installed package): a new directory
 * under the OS temp dir, never one inside node_modules or one the user may keep files in.
 */
function defaultDemoDir(): { dir: string; wipe: boolean } {
  if (import.meta.url.endsWith('.ts')) return { dir: fileURLToPath(new URL('../../../demo-logs', import.meta.url)), wipe: true };
  return { dir: mkdtempSync(join(tmpdir(), 'session-logs-demo-')), wipe: false };
}

/** `path` as short as it is clear: relative to the current directory when inside it. */
function shown(path: string): string {
  const inside = relative(process.cwd(), path);
  return inside === '' ? '.' : inside.startsWith('..') || isAbsolute(inside) ? path : inside;
}

/** A REPL-like calculator: prints a prompt, evaluates each line. */
const CALC = `
const rl = require('node:readline').createInterface({ input: process.stdin });
process.stdout.write('calc> ');
rl.on('line', (line) => {
  try { console.log(String(Function('"use strict"; return (' + line + ')')())); }
  catch (error) { console.log('error: ' + error.message); }
  process.stdout.write('calc> ');
});
rl.on('close', () => process.exit(0));`;
/** A tiny shell: runs each line with sh, prompts with "demo$ ". */
const SHELL = 'while printf "demo$ "; IFS= read -r line; do sh -c "$line" 2>&1; done';
/** Prints 30 numbered ticks, 40 ms apart, then exits 0. */
const TICKER = "let i = 0; const t = setInterval(() => { console.log('tick ' + ++i); if (i === 30) clearInterval(t); }, 40);";

export function register(program: Command): void {
  program
    .command('demo')
    .description('start the session server on a free loopback port, run three real sessions, print what their logs hold')
    .option('--dir <path>', 'logs directory (default: demo-logs/ in a checkout, wiped first; installed, a new temp directory; a given one must be new or empty)')
    .action(async (options: { dir?: string }, command: Command) => {
      if (options.dir === undefined) {
        const { dir, wipe } = defaultDemoDir();
        if (wipe) rmSync(dir, { recursive: true, force: true });
        return runDemo(dir);
      }
      const dir = resolve(options.dir);
      if (existsSync(dir) && readdirSync(dir).length > 0) {
        usageError(command, `--dir ${dir} is not empty; allowed: a new or empty directory (the demo does not delete your files)`);
      }
      await runDemo(dir);
    });
}

const say = (text: string) => process.stdout.write(text + '\n');
const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function runDemo(dir: string): Promise<void> {
  const started = Date.now();
  const logging = createSessionLogging({ dir, env: {} }); // env {}: the demo's levels do not depend on CCMUX_SESSION_LOG
  const server = await SessionServer.start({ logging, port: 0 });
  say(`session-logs demo: server on ${server.url}, logs in ${dir}\n`);
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const response = await fetch(server.url + path, {
      method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as any;
    const shown = (body as { command?: string } | undefined)?.command !== undefined ? `{"id":"${(body as any).id}","log_level":"${(body as any).log_level}",...}` : body === undefined ? '' : JSON.stringify(body);
    say(`  ${method.padEnd(6)} ${path.padEnd(28)} ${shown.padEnd(44)} -> ${response.status}${response.ok ? '' : ' ' + json.error.message}`);
    return { status: response.status, json };
  };
  const waitFor = async (id: string, done: (session: any) => boolean) => {
    for (let i = 0; i < 100; i++) {
      const session = (await fetch(`${server.url}/sessions/${id}`).then((r) => r.json())) as any;
      if (done(session)) return;
      await pause(50);
    }
  };
  try {
    say('Three sessions at three levels:');
    // `node` found first in the demo's own runtime directory: the logs read `node -e ...`, not this machine's path.
    const env = { PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` };
    await api('POST', '/sessions', { id: 'calc', command: 'node', args: ['-e', CALC], env, log_level: 'full' });
    await api('POST', '/sessions', { id: 'shell', command: 'sh', args: ['-c', SHELL], log_level: 'prompts' });
    await api('POST', '/sessions', { id: 'ticker', command: 'node', args: ['-e', TICKER], env, log_level: 'signals' });
    await waitFor('calc', (s) => s.output_bytes.stdout > 0);
    say('\nInput (each line is also a command.started record):');
    for (const data of ['6 * 7\n', '2 ** 10\n', 'Math.sqrt(2)\n', "Array.from({ length: 16 }, (_, i) => 2 ** i).join(' ')\n"]) {
      await api('POST', '/sessions/calc/input', { data });
      await pause(60);
    }
    for (const data of ['echo hello from the demo\n', 'uname -s\n']) {
      await api('POST', '/sessions/shell/input', { data });
      await pause(60);
    }
    say('\nRaise the ticker from signals to full while it prints:');
    await waitFor('ticker', (s) => s.status !== 'running' || Date.now() - Date.parse(s.created_at) > 500);
    await api('PUT', '/sessions/ticker/log-level', { level: 'full' });
    await waitFor('ticker', (s) => s.status !== 'running');
    say('\nBad input gets a 4xx that says what is allowed:');
    await api('POST', '/sessions/ticker/input', { data: 'too late\n' });
    await api('PUT', '/sessions/calc/log-level', { level: 'verbose' });
    say('\nEnd the sessions:');
    for (const id of ['calc', 'shell', 'ticker']) await api('DELETE', `/sessions/${id}`);
  } finally {
    await server.close();
  }
  await printReport(dir);
  say(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s. The files are in ${dir}`);
  say(`(one directory per session; merge system.jsonl and audit.jsonl by seq to read a session in order).`);
  say('\nLook at what it wrote:');
  for (const command of lookCommands(dir)) say(`  ${command}`);
}

/** The commands the demo ends with (README shows them; the tests run them). */
export function lookCommands(dir: string): string[] {
  const at = `--dir ${shown(dir).includes(' ') ? JSON.stringify(shown(dir)) : shown(dir)}`;
  return [
    `npx session-logs ls ${at}`,
    `npx session-logs show calc ${at}`,
    `npx session-logs show calc --audit ${at}`,
    `npx session-logs tail ticker -n 3 ${at}`,
    `npx session-logs verify ${at}`,
  ];
}

/** Lines in one file (plain, .gz or .zst), through the reader's line stream. */
async function countLines(path: string): Promise<number> {
  let count = 0;
  for await (const { text } of readLines(path)) if (text !== '') count++;
  return count;
}

async function printReport(dir: string): Promise<void> {
  say(`\nDirectory tree (${dir}):`);
  const sessions = readdirSync(dir).filter((name) => statSync(join(dir, name)).isDirectory()).sort();
  say(`${shown(dir)}/`);
  for (const id of sessions) {
    say(`  ${id}/`);
    for (const file of readdirSync(join(dir, id)).sort()) say(`    ${file.padEnd(22)} ${String(statSync(join(dir, id, file)).size).padStart(7)} bytes`);
  }
  say('\nPer session (records per file, level history from metadata.json):');
  for (const id of sessions) {
    const files = readdirSync(join(dir, id)).filter((file) => /\.jsonl(\.gz|\.zst)?$/.test(file)).sort();
    const counts: string[] = [];
    for (const file of files) counts.push(`${file} ${await countLines(join(dir, id, file))}`);
    const meta = JSON.parse(readFileSync(join(dir, id, 'metadata.json'), 'utf8'));
    const history = (meta.level_history as Array<{ from: string | null; to: string; by: string; at: string }>)
      .map((change) => `${change.from ?? ''}${change.from ? ' -> ' : ''}${change.to} (${change.by}, ${change.at.slice(11, 23)})`).join('; ');
    say(`  ${id.padEnd(7)} ${counts.join(', ')}; last seq ${meta.last_seq}; ended ${meta.ended_at ? meta.ended_at.slice(11, 23) : 'no'}`);
    say(`          levels: ${history}`);
  }
  for (const id of ['calc', 'ticker']) {
    const records: SessionRecord[] = [];
    for await (const item of readSession(dir, id)) records.push(item);
    // The ticker's output is a long run of alike lines: its first and last stand for it.
    const kept = id === 'ticker' ? records.filter((item, i) => item.record.event !== 'output' || records[i - 1]?.record.event !== 'output' || records[i + 1]?.record.event !== 'output') : records;
    say(`\nMerged transcript of ${id}, as \`session-logs show ${id}\` prints it${id === 'ticker' ? ' (runs of output shortened)' : ''}:`);
    kept.slice(0, 30).forEach((item, i) => {
      if (i > 0 && item.record.seq - kept[i - 1]!.record.seq > 1) say('    ...');
      say(formatRecord(item.record, false));
    });
    if (kept.length > 30) say(`    ... ${kept.length - 30} more`);
  }
}
