import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createSessionLogging } from '../../../src/index.ts';
import { runCli } from '../../support/cli.ts';
import { tempDir } from '../../support/sessionFiles.ts';

const DAY = 24 * 60 * 60 * 1000;

/** Sessions that ended `daysAgo` days ago, by an injected clock. */
async function endedSessions(root: string, specs: Array<[string, number]>): Promise<void> {
  for (const [id, daysAgo] of specs) {
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', clock: () => new Date(Date.now() - daysAgo * DAY), retention: false });
    logging.open(id).emit('output', `${id} was here`);
    await logging.shutdown();
  }
}

describe('session-logs prune', () => {
  it('--dry-run lists the old sessions and removes nothing; without it they are removed', async () => {
    const root = tempDir();
    await endedSessions(root, [['old', 10], ['new', 1]]);
    const dry = await runCli(['prune', '--dry-run', '--retention-days', '7', '--dir', root]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^would remove session old \(ended, ended \d{4}-/m);
    assert.doesNotMatch(dry.stdout, /session new/);
    assert.match(dry.stdout, /dry run: would remove 1 session\(s\) and 0 segment\(s\) \(retention 7 days/);
    assert.deepEqual(readdirSync(root).sort(), ['new', 'old']);

    const real = await runCli(['prune', '--retention-days', '7', '--json', '--dir', root]);
    assert.equal(real.code, 0, real.stderr);
    const report = JSON.parse(real.stdout);
    assert.deepEqual(report.removedSessions.map((s: { id: string }) => s.id), ['old']);
    assert.deepEqual(report.errors, []);
    assert.deepEqual(readdirSync(root), ['new']);
  });

  it('rejects a bad --retention-days with exit 2', async () => {
    for (const value of ['-1', 'week', '']) {
      const { code, stderr } = await runCli(['prune', '--retention-days', value, '--dir', tempDir()]);
      assert.equal(code, 2, `${JSON.stringify(value)}: ${stderr}`);
      assert.match(stderr, /allowed: a number of days >= 0/);
    }
  });
});
