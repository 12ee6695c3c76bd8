import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { freePort } from './freePort.ts';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tempDir } from './sessionFiles.ts';

/**
 * Runs the commands of the README and docs/ as a reader would: each fenced block of a
 * command language (```ts, ```sh, ```console) runs as written, in a workspace that stands
 * in for a checkout after `npm ci && npm start` (or a project with the package installed):
 * `npx session-logs` there is this checkout's bin, and demo-logs/ holds a demo run.
 * What is changed before running is only this, and applies to the expected output alike:
 * - `/home/me/otel-session-logs`, the docs' example checkout, is the workspace;
 * - `/tmp/session-logs` is a directory of the workspace (tests running side by side);
 * - port 7878 is a free port;
 * - `'otel-session-logs'` in a ts snippet is this checkout's source of that entry.
 */
export const repo = fileURLToPath(new URL('../..', import.meta.url));
export const EXAMPLE_CHECKOUT = '/home/me/otel-session-logs';

export interface DocBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  text: string;
}

/** Every fenced block of a Markdown file, in order. */
export function docBlocks(file: string): DocBlock[] {
  const lines = readFileSync(join(repo, file), 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((text, j) => j > i && text.startsWith('```'));
    if (end === -1) throw new Error(`${file}:${i + 1}: a fence that is never closed`);
    blocks.push({ file, line: i + 1, lang: open[1]!, text: lines.slice(i + 1, end).join('\n') + '\n' });
    i = end;
  }
  return blocks;
}

/** The key a block is known by in the tests' tables: file and first line. */
export function blockKey(block: DocBlock): string {
  return `${block.file}: ${block.text.split('\n')[0]}`;
}

export interface Workspace {
  dir: string;
  port: number;
  /** What `npm start` printed (the demo, run into demo-logs/). */
  demoOutput: string;
  /** Replace the docs' example paths and port with this workspace's. */
  localise(text: string): string;
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment of every command: the pinned Node first on PATH (for `npx`, `#!/usr/bin/env node`), no level directives. */
export function commandEnv(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, CCMUX_SESSION_LOG: '', NO_COLOR: '1' };
}

/** Run a bash script in `cwd` to its end. */
export function bash(script: string, cwd: string): Promise<Run> {
  return collect(spawn('bash', ['-c', script], { cwd, env: commandEnv(), stdio: ['ignore', 'pipe', 'pipe'] }));
}

export function collect(child: ChildProcess): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

let demoRun: Promise<{ dir: string; output: string }> | undefined;

/** `npm start` is `session-logs demo` in the checkout: run once per test process, into a demo-logs/ of its own. */
function demo(): Promise<{ dir: string; output: string }> {
  demoRun ??= (async () => {
    const dir = tempDir('osl-docs-demo-');
    const run = await collect(spawn(process.execPath, [join(repo, 'app/cli/main.ts'), 'demo', '--dir', 'demo-logs'], { cwd: dir, env: commandEnv(), stdio: ['ignore', 'pipe', 'pipe'] }));
    if (run.code !== 0) throw new Error(`the demo failed (${run.code}): ${run.stderr}`);
    return { dir, output: run.stdout };
  })();
  return demoRun;
}

/** A workspace with the checkout's bin as `npx session-logs` and the demo's logs in demo-logs/ (read only). */
export async function workspace(): Promise<Workspace> {
  const dir = tempDir('osl-docs-');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'docs-workspace', private: true, type: 'module' }));
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(join(repo, 'bin', 'session-logs.js'), join(dir, 'node_modules', '.bin', 'session-logs'));
  const shared = await demo();
  symlinkSync(join(shared.dir, 'demo-logs'), join(dir, 'demo-logs'));
  const port = await freePort();
  const localise = (text: string) => text
    .replaceAll(EXAMPLE_CHECKOUT, dir)
    .replaceAll('/tmp/session-logs', join(dir, 'session-logs'))
    .replaceAll('7878', String(port));
  return { dir, port, demoOutput: shared.output.replaceAll(shared.dir, dir), localise };
}

/** Package entry specifiers -> file URLs of this checkout's sources (exports point at dist/, built from them). */
export function sourceSpecifiers(code: string): string {
  const exports = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).exports as Record<string, { default: string }>;
  return code.replace(/from '(otel-session-logs(?:\/[\w-]+)?)'/g, (whole, specifier: string) => {
    const entry = exports[specifier.replace('otel-session-logs', '.')];
    if (!entry) throw new Error(`${specifier} is not an entry of package.json exports`);
    const source = entry.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts');
    return `from '${pathToFileURL(join(repo, source)).href}'`;
  });
}

/** Run a ts snippet with the pinned Node, in `cwd`; the file sits in the checkout so its other imports resolve. */
export function runSnippet(code: string, cwd: string, name: string): { child: ChildProcess; done: Promise<Run> } {
  const file = join(repo, `.readme-snippet-${name}-${process.pid}.ts`);
  writeFileSync(file, sourceSpecifiers(code));
  const child = spawn(process.execPath, [file], { cwd, env: commandEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  return { child, done: collect(child).finally(() => rmSync(file, { force: true })) };
}

/** `expected` as a pattern: digits stand for any number, runs of spaces for any, `...` for any text. */
function linePattern(expected: string): RegExp {
  const source = expected.trimEnd().split('...').map((part) => part
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\d+/g, '\\d+')
    .replace(/ +/g, ' +')).join('.*?');
  return new RegExp(`^${source}$`);
}

/**
 * Where `actual` departs from `expected` (undefined when it matches): line by line, by
 * linePattern; a line that is only `...` stands for any number of lines.
 */
export function outputMismatch(actual: string, expected: string): string | undefined {
  const want = expected.trimEnd().split('\n');
  const have = actual.trimEnd().split('\n');
  const matches = (w: number, h: number): boolean => {
    if (w === want.length) return h === have.length;
    if (want[w]!.trim() === '...') {
      for (let skip = h; skip <= have.length; skip++) if (matches(w + 1, skip)) return true;
      return false;
    }
    return h < have.length && linePattern(want[w]!).test(have[h]!.trimEnd()) && matches(w + 1, h + 1);
  };
  if (matches(0, 0)) return undefined;
  const first = want.findIndex((line, i) => line.trim() !== '...' && !(have[i] !== undefined && linePattern(line).test(have[i]!.trimEnd())));
  return `expected:\n${expected}\nactual:\n${actual}\n(first difference near expected line ${first + 1}: ${JSON.stringify(want[first])})`;
}

/** Whether `actual` contains `expected` somewhere, by the same rules as a line. */
export function containsOutput(actual: string, expected: string): boolean {
  return new RegExp(linePattern(expected).source.slice(1, -1)).test(actual);
}

export interface ConsoleStep {
  command: string;
  expected: string;
}

/** A ```console block as `$ command` lines, each with the output shown under it. */
export function consoleSteps(text: string): ConsoleStep[] {
  const steps: ConsoleStep[] = [];
  for (const line of text.trimEnd().split('\n')) {
    if (line.startsWith('$ ')) steps.push({ command: line.slice(2), expected: '' });
    else if (steps.length === 0) throw new Error(`a console block must start with "$ ": ${line}`);
    else steps.at(-1)!.expected += line + '\n';
  }
  return steps;
}

/** How the tests treat blocks that do not simply run to their end. */
export interface DocTables {
  /** Blocks not run by these tests: why, and what covers them instead. */
  skipped: Record<string, string>;
  /** Blocks that start a server, which runs until the file's blocks are done, then gets Ctrl-C (SIGINT to its process group). */
  servers?: string[];
  /** ts blocks that run until stopped: Ctrl-C once their output matches. */
  stopWhen?: Record<string, RegExp>;
  /** More checks after a block ran. */
  checks?: Record<string, (run: Run, space: Workspace) => void | Promise<void>>;
}

/** Checks a block's run; throws with what went wrong. */
type Check = (condition: boolean, message: string) => void;

/**
 * One mocha `it` per fenced block of `file`, in order, in one workspace. Blocks of a command
 * language must be run here or be listed in `tables.skipped` with a reason; toml blocks must
 * load as configuration and json blocks parse; other blocks (trees, sample lines) are text.
 */
export function describeDocCommands(file: string, tables: DocTables, check: Check, loadConfig: (path: string) => void): void {
  describe(`${file}: every command runs as written`, function () {
    this.timeout(120_000);
    let space: Workspace;
    const servers: Array<{ child: ChildProcess; done: Promise<Run>; key: string }> = [];
    before(async () => {
      space = await workspace();
    });
    after(async () => {
      for (const server of servers) {
        process.kill(-server.child.pid!, 'SIGINT');
        const run = await server.done;
        check(run.stdout.includes('stopped; every session log is closed'), `${server.key}: Ctrl-C stops the server cleanly:\n${run.stdout}${run.stderr}`);
      }
    });

    const blocks = docBlocks(file);
    const known = new Set([...Object.keys(tables.skipped), ...(tables.servers ?? []), ...Object.keys(tables.stopWhen ?? {}), ...Object.keys(tables.checks ?? {})]);
    it('knows every block the tables name (a renamed block is not silently dropped)', () => {
      const keys = new Set(blocks.map(blockKey));
      const stale = [...known].filter((key) => key.startsWith(`${file}: `) && !keys.has(key));
      check(stale.length === 0, `the tables name blocks that are not in ${file}:\n${stale.join('\n')}\nblocks there:\n${[...keys].join('\n')}`);
    });

    blocks.forEach((block, index) => {
      const key = blockKey(block);
      const where = `${file}:${block.line}`;
      if (tables.skipped[key] !== undefined) return;
      if (block.lang === 'toml') {
        it(`${where}: the TOML loads as configuration`, () => {
          const path = join(space.dir, `block-${index}.toml`);
          writeFileSync(path, block.text);
          loadConfig(path);
        });
      } else if (block.lang === 'json') {
        it(`${where}: every JSON line parses`, () => {
          for (const line of block.text.split('\n').filter(Boolean)) JSON.parse(line);
        });
      } else if (block.lang === 'ts') {
        it(`${where}: the ts snippet runs`, async () => {
          const { child, done } = runSnippet(space.localise(block.text), space.dir, `${index}`);
          const stop = tables.stopWhen?.[key];
          if (stop) {
            let seen = '';
            child.stdout!.on('data', (chunk: Buffer) => {
              seen += chunk.toString();
              if (stop.test(seen)) child.kill('SIGINT');
            });
          }
          const run = await done;
          check(run.code === 0, `${where} exited ${run.code ?? run.signal}:\n${run.stdout}${run.stderr}`);
          await tables.checks?.[key]?.(run, space);
        });
      } else if (block.lang === 'sh' && tables.servers?.includes(key)) {
        it(`${where}: the server starts (and runs until the file's blocks are done)`, async () => {
          const child = spawn('bash', ['-c', space.localise(block.text)], { cwd: space.dir, env: commandEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
          const done = collect(child);
          servers.push({ child, done, key });
          const listening = await new Promise<boolean>((resolve) => {
            let out = '';
            child.stdout!.on('data', (chunk: Buffer) => {
              out += chunk.toString();
              if (out.includes('serving on')) resolve(true);
            });
            child.once('close', () => resolve(false));
          });
          if (!listening) check(false, `${where}: the server did not start:\n${(await done).stderr}`);
        });
      } else if (block.lang === 'sh') {
        it(`${where}: the shell block runs, and prints what its comments show`, async () => {
          const run = await bash(`set -euo pipefail\n${space.localise(block.text)}`, space.dir);
          check(run.code === 0, `${where} exited ${run.code}:\n${run.stdout}${run.stderr}`);
          // A comment line that is JSON is the output the line above it prints.
          for (const shown of block.text.split('\n').filter((line) => /^# [{[]/.test(line)).map((line) => space.localise(line.slice(2)))) {
            check(containsOutput(run.stdout, shown), `${where}: the output has no ${shown}:\n${run.stdout}`);
          }
          await tables.checks?.[key]?.(run, space);
        });
      } else if (block.lang === 'console') {
        it(`${where}: each command prints what the block shows`, async () => {
          const steps = consoleSteps(space.localise(block.text));
          // One shell for the block (a variable set by one line holds for the next); a marker ends each command's output.
          const script = steps.map((step, i) => step.command === 'npm start' ? `printf '\\n\\x1f${i} 0\\n'` : `${step.command}\nprintf '\\n\\x1f${i} %d\\n' $?`).join('\n');
          const run = await bash(`exec 2>&1\n${script}`, space.dir);
          const outputs = run.stdout.split(/\n\x1f\d+ (-?\d+)\n/);
          steps.forEach((step, i) => {
            const code = Number(outputs[2 * i + 1]);
            const output = step.command === 'npm start' ? space.demoOutput : outputs[2 * i]!.replace(/^\n/, '');
            check(code === 0, `${where}: ${step.command} exited ${code}:\n${output}`);
            const mismatch = outputMismatch(output, step.expected);
            check(mismatch === undefined, `${where}: ${step.command}\n${mismatch}`);
          });
        });
      } else if (['sh', 'console', 'ts', 'js', 'bash'].includes(block.lang)) {
        it(`${where}: a ${block.lang} block is run or listed as skipped`, () => check(false, `no way to run ${key}`));
      }
    });
  });
}
