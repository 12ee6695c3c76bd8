import assert from 'node:assert/strict';
import { promises as fsp, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSessionLogging } from '../../src/index.ts';
import { readLines } from '../../reader/readLines.ts';
import { readLinesBackward } from '../../reader/readLinesBackward.ts';
import { type ReadFilters, type ReadProblem, readSession } from '../../reader/readSession.ts';
import { tailSession } from '../../reader/tailSession.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/sessionFiles.ts';

async function backward(path: string): Promise<Array<{ text: string; torn: boolean }>> {
  const handle = await fsp.open(path, 'r');
  const lines: Array<{ text: string; torn: boolean }> = [];
  try {
    for await (const line of readLinesBackward(handle)) lines.push(line);
  } finally {
    await handle.close();
  }
  return lines;
}

async function forward(path: string): Promise<Array<{ text: string; torn: boolean }>> {
  const lines: Array<{ text: string; torn: boolean }> = [];
  for await (const { text, torn } of readLines(path)) lines.push({ text, torn });
  return lines;
}

/** A session of `records` emitted records in many small segments, audit and system interleaved. */
async function segmentedSession(compression: 'gzip' | 'none', records = 3000): Promise<string> {
  const root = tempDir();
  const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', maxFileSize: '8KB', maxSessionSize: '1GB', compression, retention: false });
  const log = logging.open('long');
  for (let i = 0; i < records; i++) log.emit(i % 4 === 0 ? 'input' : i % 9 === 0 ? 'error' : 'output', `record ${i} ☃ ${'t'.repeat(i % 50)}`, { i });
  await logging.shutdown();
  return root;
}

async function everything(root: string, filters: ReadFilters = {}): Promise<number[]> {
  const seqs: number[] = [];
  for await (const { record } of readSession(root, 'long', filters)) seqs.push(record.seq);
  return seqs;
}

describe('reading a session from its end', () => {
  it('reads a file backwards line by line: chunk boundaries, long lines, multi-byte characters, a torn last line', async () => {
    const dir = tempDir();
    const cases: Record<string, string> = {
      empty: '',
      newline: '\n',
      one: 'only line\n',
      torn: 'a\nb\npartial',
      'torn only': 'partial',
      'empty lines': '\n\nx\n\n',
      // Lines of every length around the 64 KiB chunk, with characters of 1 to 4 bytes across the boundaries.
      long: Array.from({ length: 40 }, (_, i) => `${i} ${'é☃𝄞x'.repeat(i * 1700 + 1)}`).join('\n') + '\n',
      'long torn': 'short\n' + 'y'.repeat(200_000),
    };
    for (const [name, text] of Object.entries(cases)) {
      const path = join(dir, `${name}.jsonl`);
      writeFileSync(path, text);
      assert.deepEqual(await backward(path), (await forward(path)).reverse(), name);
    }
  });

  for (const compression of ['gzip', 'none'] as const) {
    it(`the last N records equal the end of the whole read, for every N and filter (${compression} segments)`, async () => {
      const root = await segmentedSession(compression);
      const segments = readdirSync(join(root, 'long')).filter((name) => /\.\d{6}\.jsonl/.test(name));
      assert.ok(segments.length >= 10, `${segments.length} segments`);
      const filters: ReadFilters[] = [{}, { stream: 'audit' }, { stream: 'system' }, { events: ['error'] }, { level: 'signals' }];
      const lastOf = { system: (await everything(root, { stream: 'system' })).at(-1), audit: (await everything(root, { stream: 'audit' })).at(-1) };
      for (const filter of filters) {
        const all = await everything(root, filter);
        for (const count of [0, 1, 3, 50, 700, 2999, 5000]) {
          const { records, after } = await tailSession(root, 'long', count, filter);
          assert.deepEqual(records.map((item) => item.record.seq), count === 0 ? [] : all.slice(-count), `${JSON.stringify(filter)} -n ${count}`);
          assert.deepEqual(after, lastOf, 'each file\'s last seq');
        }
      }
    });
  }

  it('reads only as many segments back as it needs: the older ones are never opened', async () => {
    const root = await segmentedSession('gzip');
    const dir = join(root, 'long');
    const segments = readdirSync(dir).filter((name) => /\.\d{6}\.jsonl\.gz$/.test(name)).sort();
    const all = await everything(root);
    // Damage every segment but the newest of each stream: a read that opens one reports it.
    const newest = new Set(['system', 'audit'].map((stream) => segments.filter((name) => name.startsWith(stream)).at(-1)));
    for (const name of segments) if (!newest.has(name)) writeFileSync(join(dir, name), 'not gzip');
    const problems: ReadProblem[] = [];
    const { records } = await tailSession(root, 'long', 3, {}, (problem) => problems.push(problem));
    assert.deepEqual(records.map((item) => item.record.seq), all.slice(-3));
    assert.equal(problems.length, 0, JSON.stringify(problems));
    // Further back than the newest segments: the damage is met and reported.
    await tailSession(root, 'long', 2000, {}, (problem) => problems.push(problem));
    assert.ok(problems.length > 0 && problems.every((problem) => problem.kind === 'corrupt'), JSON.stringify(problems));
    // The CLI alike: tail -n 3 exits 0, show meets the damage and exits 1.
    const tail = await runCli(['tail', 'long', '-n', '3', '--json', '--dir', root]);
    assert.equal(tail.code, 0, tail.stderr);
    assert.deepEqual(tail.stdout.trim().split('\n').map((line) => JSON.parse(line).seq), all.slice(-3));
    assert.equal((await runCli(['show', 'long', '--dir', root])).code, 1);
  });

  it('a session with one file only: the other stream has no last seq', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', retention: false });
    const log = logging.open('long');
    for (let i = 0; i < 5; i++) log.emit('output', `o${i}`);
    await logging.shutdown();
    const { records, after } = await tailSession(root, 'long', 2, { stream: 'audit' });
    assert.deepEqual(records, []);
    assert.deepEqual(after, { system: 7, audit: 0 });
  });
});
