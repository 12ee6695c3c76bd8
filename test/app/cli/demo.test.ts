import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertContiguous, readMetadata, sessionLines, tempDir } from '../../support/sessionFiles.ts';
import { runCli } from '../../support/cli.ts';
import { lookCommands } from '../../../app/cli/commands/demo.ts';

const MAIN = fileURLToPath(new URL('../../../app/cli/main.ts', import.meta.url));

function demo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, 'demo', ...args], { env: { ...process.env, CCMUX_SESSION_LOG: 'spawns' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('session-logs demo', () => {
  it('runs three real sessions, raises one level at runtime and prints tree, summary and transcript', async () => {
    const dir = join(tempDir('osl-demo-'), 'logs');
    const run = await demo(['--dir', dir]);
    assert.equal(run.code, 0, run.stderr);
    for (const heading of ['Directory tree', 'Per session', 'Merged transcript of calc', 'Merged transcript of ticker', `The files are in ${dir}`]) {
      assert.ok(run.stdout.includes(heading), heading);
    }
    assert.deepEqual(readdirSync(dir).sort(), ['calc', 'shell', 'ticker']);
    // CCMUX_SESSION_LOG in the caller's environment does not change the demo's levels.
    const levels = Object.fromEntries(['calc', 'shell', 'ticker'].map((id) => [id, readMetadata(dir, id).level_history.map((h: any) => h.to)]));
    assert.deepEqual(levels, { calc: ['full'], shell: ['prompts'], ticker: ['signals', 'full'] });
    for (const id of ['calc', 'shell', 'ticker']) {
      const lines = sessionLines(dir, id);
      assertContiguous(lines);
      assert.match(readMetadata(dir, id).ended_at, /^\d{4}-/);
      assert.equal(lines.at(-1)!.event, 'session.terminated');
    }
    const calc = sessionLines(dir, 'calc');
    assert.deepEqual(calc.filter((l) => l.event === 'command.started').map((l) => l.body), ['6 * 7', '2 ** 10', 'Math.sqrt(2)', "Array.from({ length: 16 }, (_, i) => 2 ** i).join(' ')"]);
    assert.ok(calc.some((l) => l.event === 'output' && (l.body as string).includes('1024')));
    assert.ok(calc.some((l) => l.event === 'prompt.detected' && l.body === 'calc> '));
    const ticker = sessionLines(dir, 'ticker');
    const switchSeq = ticker.find((l) => l.event === 'log_level.changed')!.seq;
    assert.ok(ticker.filter((l) => l.event === 'output').every((l) => l.seq > switchSeq));
    assert.ok(ticker.some((l) => l.event === 'output'));
    assert.equal(sessionLines(dir, 'shell').filter((l) => l.event === 'output').length, 0);

    // Transcript bodies that do not fit are cut at a word boundary, never inside a word.
    const transcript = run.stdout.slice(run.stdout.indexOf('Merged transcript of calc'), run.stdout.indexOf('Merged transcript of ticker')).split('\n');
    let cut = 0;
    for (const record of calc) {
      const full = JSON.stringify(record.body);
      const line = transcript.find((text) => text.startsWith(`${String(record.seq).padStart(7)} `));
      if (!line || full.length <= 60) continue;
      cut++;
      const body = line.slice(47, 107).trimEnd();
      assert.ok(body.endsWith('...'), body);
      const kept = body.slice(0, -3);
      assert.ok(full.startsWith(kept), `${kept} is the start of ${full}`);
      assert.match(kept.at(-1)! + full[kept.length], /[\s/,;:=]/, `cut at a boundary: ${body}`);
    }
    assert.ok(cut >= 1, `${cut} long bodies were cut`);
  });

  it('ends by printing the commands to look at what it wrote, and each runs', async () => {
    const dir = join(tempDir('osl-demo-'), 'logs');
    const run = await demo(['--dir', dir]);
    assert.equal(run.code, 0, run.stderr);
    const printed = run.stdout.slice(run.stdout.indexOf('Look at what it wrote:\n')).split('\n').slice(1).filter(Boolean).map((line) => line.trim());
    assert.deepEqual(printed, lookCommands(dir));
    assert.ok(printed.every((command) => command.startsWith('npx session-logs ') && command.endsWith(`--dir ${dir}`)));
    for (const command of printed) {
      // `npx session-logs` is the checkout's bin (test/readme.test.ts runs it through npx itself).
      const result = await runCli(command.replace(/^npx session-logs /, '').split(' '));
      assert.equal(result.code, 0, `${command}: ${result.stderr}`);
      assert.notEqual(result.stdout, '', command);
    }
  });

  it('refuses a --dir that already holds files (exit 2) instead of wiping it', async () => {
    const dir = tempDir('osl-demo-');
    mkdirSync(join(dir, 'keep'));
    writeFileSync(join(dir, 'keep', 'precious.txt'), 'x');
    const run = await demo(['--dir', dir]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /is not empty; allowed: a new or empty directory/);
    assert.deepEqual(readdirSync(join(dir, 'keep')), ['precious.txt']);
  });
});
