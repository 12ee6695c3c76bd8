import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSessionLogging } from '../../../src/index.ts';
import { CLI, runCli } from '../../support/cli.ts';
import { tempDir } from '../../support/sessionFiles.ts';

const CLEAR = '\r\x1b[K';

/**
 * The CLI with its stderr on a real terminal (a pseudo-terminal from util-linux `script`)
 * and its stdout in a file: returns what reached the terminal, and stdout.
 */
function onTerminal(args: string[]): { terminal: string; stdout: string } {
  const out = join(tempDir(), 'stdout');
  const quoted = [process.execPath, CLI, ...args].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ');
  const terminal = execFileSync('script', ['-qec', `${quoted} > '${out}'`, '/dev/null'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  return { terminal, stdout: readFileSync(out, 'utf8') };
}

describe('long reads show progress on a terminal', () => {
  let root: string;
  before(async () => {
    root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', maxFileSize: '8KB', retention: false });
    const log = logging.open('long');
    for (let i = 0; i < 2000; i++) log.emit('output', `line ${i}`);
    await logging.shutdown();
  });

  for (const [command, args, progress] of [
    ['verify', ['verify', 'long'], /verify long \(1 of 1\): [\d,]+ lines checked \(\S+\)/],
    ['show', ['show', 'long', '--event', 'error'], /show long: [\d,]+ records read \(\S+\)/],
  ] as const) {
    it(`${command} draws a progress line on stderr when it is a terminal, and clears it`, () => {
      const { terminal, stdout } = onTerminal([...args, '--dir', root]);
      assert.match(terminal, progress);
      assert.ok(terminal.startsWith(CLEAR) && terminal.endsWith(CLEAR), JSON.stringify(terminal.slice(-80)));
      assert.doesNotMatch(stdout, /\x1b|records read|lines checked/, 'stdout carries no progress');
    });

    it(`${command} writes no progress when stderr is not a terminal`, async () => {
      const run = await runCli([...args, '--dir', root]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stderr, '');
    });
  }
});
