import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSessionLogging } from '../../../src/index.ts';
import { runCli } from '../../support/cli.ts';
import { tempDir } from '../../support/sessionFiles.ts';

describe('session-logs ls and verify over a directory', () => {
  it('ls prints aligned columns with state, level and record count', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'prompts', retention: false });
    const log = logging.open('one');
    log.emit('command.started', 'make');
    log.emit('output', 'not at prompts level');
    await logging.shutdown();
    const { code, stdout } = await runCli(['ls', '--dir', root]);
    assert.equal(code, 0);
    const [header, row, ...rest] = stdout.trimEnd().split('\n');
    assert.match(header!, /^SESSION\s+STATE\s+LEVEL\s+CREATED\s+ENDED\s+SIZE\s+RECORDS$/);
    assert.match(row!, /^one\s+ended\s+prompts\s+\d{4}-\S+\s+\d{4}-\S+\s+\d+\s+3$/, 'created, command.started, terminated');
    assert.equal(header!.indexOf('STATE'), row!.indexOf('ended'));
    assert.deepEqual(rest, []);
  });

  it('ls and verify report an unreadable metadata.json (exit 1) and still list the rest', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, retention: false });
    logging.open('good');
    await logging.shutdown();
    mkdirSync(join(root, 'bad'));
    writeFileSync(join(root, 'bad', 'metadata.json'), '{not json');
    const { code, stdout, stderr } = await runCli(['ls', '--json', '--dir', root]);
    assert.equal(code, 1);
    assert.deepEqual(stdout.trim().split('\n').map((l) => JSON.parse(l).id), ['good']);
    assert.match(stderr, /session-logs ls: bad: /);
    const verify = await runCli(['verify', '--dir', root]);
    assert.equal(verify.code, 1, 'verify over every session includes the unreadable one');
    assert.match(verify.stdout, /^bad: metadata metadata\.json: /m);
    assert.match(verify.stdout, /2 session\(s\) checked, 1 problem\(s\)/);
  });

  it('verify names a session that does not exist (exit 1) and rejects a bad id (exit 2)', async () => {
    const root = tempDir();
    const missing = await runCli(['verify', 'ghost', '--dir', root]);
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /ghost: metadata: no session ghost in /);
    const bad = await runCli(['verify', '../etc', '--dir', root]);
    assert.equal(bad.code, 2);
  });
});
