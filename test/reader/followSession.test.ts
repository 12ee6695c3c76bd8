import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createSessionLogging } from '../../src/index.ts';
import { followSession } from '../../reader/followSession.ts';
import { readSession, type SessionRecord } from '../../reader/readSession.ts';
import { tempDir } from '../support/sessionFiles.ts';

/** Collect what followSession yields until `enough` holds or 15 s pass; then stop it. */
async function follow(root: string, id: string, after: { system: number; audit: number }, pollMs: number, enough: (got: SessionRecord[]) => boolean) {
  const stop = new AbortController();
  const got: SessionRecord[] = [];
  const deadline = setTimeout(() => stop.abort(), 15_000);
  const done = (async () => {
    for await (const item of followSession(root, id, { after, pollMs, signal: stop.signal })) {
      got.push(item);
      if (enough(got)) stop.abort();
    }
  })();
  return { got, done: done.finally(() => clearTimeout(deadline)), stop };
}

describe('followSession', () => {
  it('follows several rotations between two polls (into gzip segments) without skipping or repeating a record', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', maxFileSize: '4KB', compression: 'gzip', retention: false });
    const log = logging.open('fast');
    for (let i = 0; i < 10; i++) log.emit('output', `before ${i}`);
    await logging.forceFlush();
    const after = { system: 0, audit: 0 };
    for await (const { record, file } of readSession(root, 'fast')) after[file.startsWith('audit') ? 'audit' : 'system'] = record.seq;
    const total = 1500;
    // A long poll interval: many files rotate (and get compressed) between two looks.
    const { got, done } = await follow(root, 'fast', after, 400, (items) => items.filter((r) => String(r.record.body).startsWith('after')).length >= total);
    for (let i = 0; i < total; i++) {
      log.emit(i % 5 === 0 ? 'input' : 'output', `after ${i} ${'f'.repeat(40)}`);
      if (i % 100 === 99) await logging.forceFlush();
    }
    await logging.forceFlush();
    const rotated = readdirSync(join(root, 'fast')).filter((n) => /\.\d{6}\.jsonl\.gz$/.test(n)).length;
    assert.ok(rotated >= 20, `${rotated} compressed segments`);
    await done;
    const bodies = got.map((r) => String(r.record.body)).filter((b) => b.startsWith('after'));
    const seqs = got.map((r) => r.record.seq);
    assert.equal(new Set(seqs).size, seqs.length, 'no record twice');
    assert.deepEqual(bodies.map((b) => b.split(' ').slice(0, 2).join(' ')).sort(), Array.from({ length: total }, (_, i) => `after ${i}`).sort(), 'every record once');
    assert.ok(!got.some((r) => String(r.record.body).startsWith('before')), 'nothing before `after`');
    await logging.shutdown();
  });

  it('ends when its signal aborts, with the files closed', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', retention: false });
    logging.open('quiet').emit('output', 'one');
    await logging.shutdown();
    const stop = new AbortController();
    const seen: number[] = [];
    setTimeout(() => stop.abort(), 300);
    for await (const { record } of followSession(root, 'quiet', { pollMs: 50, signal: stop.signal })) seen.push(record.seq);
    assert.deepEqual(seen, [1, 2, 3], 'created, output, terminated, each once over several polls');
  });
});
