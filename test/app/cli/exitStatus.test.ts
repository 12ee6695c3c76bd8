import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSessionLogging } from '../../../src/index.ts';
import { EVENT_NAMES } from '../../../src/catalogue.ts';
import { runCli } from '../../support/cli.ts';
import { tempDir } from '../../support/sessionFiles.ts';

/** One ended session with a catalogue event and one outside the catalogue. */
async function oneSession(): Promise<string> {
  const root = tempDir();
  const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', retention: false });
  const log = logging.open('s-1');
  log.emit('output', 'hello');
  log.emit('deploy.finished', 'v2 is live', {}, { tier: 'signals', category: 'audit' });
  await logging.shutdown();
  return root;
}

const READERS: string[][] = [['ls'], ['show', 's-1'], ['tail', 's-1'], ['verify'], ['prune', '--dry-run']];

describe('session-logs exit status: 0 ok, 1 a problem found, 2 a usage error', () => {
  it('a log directory that does not exist is a problem found (1), named with where it came from', async () => {
    await Promise.all(READERS.map(async (args) => {
      const run = await runCli([...args, '--dir', '/does/not/exist']);
      assert.equal(run.code, 1, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, /^session-logs \S+: no log directory \/does\/not\/exist \(--dir\)$/m, args.join(' '));
      assert.equal(run.stdout, '', `${args.join(' ')} printed nothing as if it had found an empty directory`);
    }));
    const fromEnv = await runCli(['prune'], { SESSION_LOGS_DIR: '/does/not/exist' });
    assert.equal(fromEnv.code, 1);
    assert.match(fromEnv.stderr, /no log directory \/does\/not\/exist \(SESSION_LOGS_DIR\)/);
  });

  it('a configuration file that is missing, not TOML or holds a bad value is a usage error (2), as a bad option is', async () => {
    const root = await oneSession();
    const dir = tempDir();
    const notToml = join(dir, 'broken.toml');
    writeFileSync(notToml, '[session_logging\n');
    const badValue = join(dir, 'bad.toml');
    writeFileSync(badValue, '[session_logging]\nretention_days = "a week"\n');
    const cases: Array<[string, RegExp]> = [
      [join(dir, 'missing.toml'), /cannot read configuration file .*missing\.toml: ENOENT/],
      [notToml, /broken\.toml: not valid TOML/],
      [badValue, /session_logging\.retention_days = "a week".*allowed/],
    ];
    // Every kind of mistake with one command, and one mistake with every command.
    const runs = [...cases.map((entry) => [READERS[0]!, entry] as const), ...READERS.slice(1).map((args) => [args, cases[2]!] as const)];
    await Promise.all(runs.map(async ([args, [file, message]]) => {
      const run = await runCli([...args, '--dir', root, '--config', file]);
      assert.equal(run.code, 2, `${args.join(' ')} --config ${file}: ${run.stderr}`);
      assert.match(run.stderr, message);
    }));
  });

  it('reading ignores CCMUX_SESSION_LOG, which only writers use: a bad value there does not stop ls', async () => {
    const root = await oneSession();
    const run = await runCli(['ls', '--dir', root], { CCMUX_SESSION_LOG: 'loud' });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^s-1 /m);
  });

  it('--event outside the catalogue and the session is a usage error (2) that names the allowed events', async () => {
    const root = await oneSession();
    for (const command of ['show', 'tail']) {
      const run = await runCli([command, 's-1', '--event', 'nosuch', '--dir', root]);
      assert.equal(run.code, 2, `${command}: ${run.stderr}`);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /--event "nosuch": no such event in the catalogue or in session s-1; allowed: session\.created, /);
      for (const name of EVENT_NAMES) assert.ok(run.stderr.includes(name), `${command} names ${name}`);
      assert.match(run.stderr, /or one that session s-1 recorded: deploy\.finished/);
      // An event outside the catalogue that the session recorded is allowed.
      const custom = await runCli([command, 's-1', '--event', 'deploy.finished', '--json', '--dir', root]);
      assert.equal(custom.code, 0, custom.stderr);
      assert.deepEqual(custom.stdout.trim().split('\n').map((line) => JSON.parse(line).body), ['v2 is live']);
    }
  });

  it('an invalid session id is a usage error (2) and a missing session a problem found (1)', async () => {
    const root = await oneSession();
    await Promise.all(['show', 'tail', 'verify'].map(async (command) => {
      const invalid = await runCli([command, '../etc', '--dir', root]);
      assert.equal(invalid.code, 2, command);
      assert.match(invalid.stderr, /invalid session id "\.\.\/etc".*; allowed: 1-128 characters/);
    }));
    await Promise.all(['show', 'tail'].map(async (command) => {
      const missing = await runCli([command, 'nobody', '--dir', root]);
      assert.equal(missing.code, 1, command);
      assert.match(missing.stderr, /no session nobody in /);
    }));
  });
});
