import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const RUN = fileURLToPath(new URL('../../bench/run.ts', import.meta.url));
const bench = (...args: string[]) => spawnSync(process.execPath, [RUN, ...args], { encoding: 'utf8' });

describe('npm run bench', () => {
  it('--help prints the usage and exits 0', () => {
    const result = bench('--help');
    assert.equal(result.status, 0, result.stderr);
    for (const option of ['--quick', '--json', '--records', '--rounds', '--batches', '--before', '--only']) assert.ok(result.stdout.includes(option), option);
  });

  it('refuses a bad option or value with exit status 2 and a message naming it', () => {
    const unknown = bench('--fast');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /Unknown option '--fast'/);
    const zero = bench('--rounds', '0');
    assert.equal(zero.status, 2);
    assert.match(zero.stderr, /--rounds "0": not allowed; allowed: a positive integer/);
    const section = bench('--only', 'contenders,speed');
    assert.equal(section.status, 2);
    assert.match(section.stderr, /"speed" is not a section; allowed: contenders, memory, paced, durability, filtered, server, reader/);
  });

  it('--json ends with the summary: every contender checked, today\'s keys kept', () => {
    const result = bench('--json', '--records', '3000', '--rounds', '1', '--only', 'contenders');
    assert.equal(result.status, 0, result.stderr);
    const summary = JSON.parse(result.stdout.trim().split('\n').at(-1)!);
    for (const key of ['records', 'contenders', 'filtered_ns', 'ratios', 'server_spawns_overhead_pct', 'reader']) assert.ok(key in summary, key);
    assert.deepEqual(Object.keys(summary.contenders).sort(), ['otel_stock', 'ours', 'ours_audit', 'ours_sdk', 'pino', 'raw']);
    for (const [name, row] of Object.entries(summary.contenders as Record<string, Record<string, number>>)) {
      for (const key of ['ms', 'on_disk', 'lost', 'rss_mib', 'loop_p99_ms', 'cpu_ms', 'duplicated']) assert.ok(key in row, `${name}.${key}`);
      assert.deepEqual([row.on_disk, row.lost, row.duplicated], [3000, 0, 0], name);
    }
    for (const key of ['ours_vs_raw', 'pino_vs_ours', 'otel_stock_vs_ours']) {
      assert.equal(typeof summary.ratios[key], 'number', key);
      assert.equal(typeof summary.cpu_ratios[key], 'number', key);
    }
    assert.deepEqual(summary.failures, []);
    // Targets stated for 1,000,000 records are shown for a smaller run, not judged.
    const targets = summary.targets as Array<{ name: string; value: number | null; met: boolean | null }>;
    for (const name of ['ours/raw CPU', 'pino/ours CPU', 'otel_stock/ours CPU']) {
      const target = targets.find((t) => t.name === name);
      assert.equal(typeof target?.value, 'number', name);
      assert.equal(target?.met, null, `${name} is not judged at 3,000 records`);
    }
  });
});
