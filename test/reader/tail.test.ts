import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createSessionLogging } from '../../src/index.ts';
import { runCli, spawnCli } from '../support/cli.ts';
import { tempDir } from '../support/sessionFiles.ts';

describe('tail', () => {
  it('-f sees records written after it starts, across rotations, each once, each file in order', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', maxFileSize: '8KB', compression: 'gzip', retention: false });
    const log = logging.open('followed');
    for (let i = 0; i < 20; i++) log.emit('output', `before ${i}`);
    await logging.forceFlush();
    const child = spawnCli(['tail', 'followed', '-f', '-n', '1', '--json', '--dir', root]);
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    // The last existing record printed means tail has read what exists and is following.
    const ready = Date.now() + 10_000;
    while (!out.includes('"before 19"') && Date.now() < ready) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.match(out, /"before 19"/, 'tail -n 1 printed the last record before following');
    for (let i = 0; i < 600; i++) {
      log.emit(i % 4 === 0 ? 'input' : 'output', `after ${i} ${'t'.repeat(30)}`);
      if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 30));
    }
    await logging.forceFlush();
    const rotated = readdirSync(join(root, 'followed')).filter((n) => /\.\d{6}\./.test(n)).length;
    assert.ok(rotated >= 4, `${rotated} rotations while tail followed`);
    const deadline = Date.now() + 15_000;
    while ((out.match(/"after \d+ /g) ?? []).length < 600 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill('SIGINT');
    const exitCode = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(exitCode, 0, 'SIGINT ends tail -f normally');
    const printed = out.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; category: string; body: string }).filter((r) => !r.body.startsWith('before'));
    // Each file is followed in seq order; an audit chunk may land a poll later than system lines after it.
    for (const category of ['audit', 'system']) {
      const seqs = printed.filter((r) => r.category === category).map((r) => r.seq);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `${category} in order`);
    }
    const bodies = printed.sort((a, b) => a.seq - b.seq).map((r) => r.body.split(' ').slice(0, 2).join(' '));
    assert.deepEqual(bodies, Array.from({ length: 600 }, (_, i) => `after ${i}`), 'every record once');
    await logging.shutdown();
  });

  it('-n prints the last records', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', retention: false });
    const log = logging.open('last');
    for (let i = 0; i < 50; i++) log.emit('output', `n${i}`);
    await logging.shutdown();
    const { code, stdout } = await runCli(['tail', 'last', '-n', '3', '--json', '--dir', root]);
    assert.equal(code, 0);
    assert.deepEqual(stdout.trim().split('\n').map((l) => JSON.parse(l).event), ['output', 'output', 'session.terminated']);
    const bad = await runCli(['tail', 'last', '-n', 'many', '--dir', root]);
    assert.equal(bad.code, 2);
  });
});
