import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pruneSessions } from '../../storage/pruneSessions.ts';
import { createSessionLogging } from '../../src/index.ts';
import { readMetadata, tempDir } from '../support/sessionFiles.ts';

const DAY = 24 * 60 * 60 * 1000;

/** Sessions ended at `endedDaysAgo` (by an injected clock), each with rotated segments. */
async function makeSessions(root: string, now: number, specs: Array<[string, number]>): Promise<void> {
  for (const [id, endedDaysAgo] of specs) {
    const clock = () => new Date(now - endedDaysAgo * DAY);
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', maxFileSize: '4KB', compression: 'none', clock, retention: false });
    const log = logging.open(id);
    for (let i = 0; i < 200; i++) log.emit('output', `${id} ${i} ${'p'.repeat(40)}`);
    await logging.shutdown();
  }
}

describe('retention (prune)', () => {
  const now = Date.UTC(2026, 10, 25, 12);

  it('removes sessions that ended more than retention_days ago and keeps recent and live ones', async () => {
    const root = tempDir();
    await makeSessions(root, now, [['old-1', 10], ['old-2', 8], ['recent', 2]]);
    const live = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', retention: false });
    live.open('live-1').emit('output', 'still here');
    await live.forceFlush();
    const report = await pruneSessions({ dir: root, retentionDays: 7, now: new Date(now) });
    assert.deepEqual(report.removedSessions.map((s) => s.id), ['old-1', 'old-2']);
    assert.deepEqual(readdirSync(root).sort(), ['live-1', 'recent']);
    assert.deepEqual(report.errors, []);
    await live.shutdown();
  });

  it('a dry run lists the same and removes nothing', async () => {
    const root = tempDir();
    await makeSessions(root, now, [['old-1', 10], ['recent', 1]]);
    const before = readdirSync(root).sort();
    const report = await pruneSessions({ dir: root, retentionDays: 7, now: new Date(now), dryRun: true });
    assert.deepEqual(report.removedSessions.map((s) => s.id), ['old-1']);
    assert.deepEqual(readdirSync(root).sort(), before);
  });

  it('removes old segments of a kept session and records their seq ranges', async () => {
    const root = tempDir();
    await makeSessions(root, now, [['kept', 1]]);
    const meta = readMetadata(root, 'kept');
    const oldSegments = meta.segments.slice(0, 3);
    for (const segment of oldSegments) utimesSync(join(root, 'kept', segment.file), (now - 9 * DAY) / 1000, (now - 9 * DAY) / 1000);
    const report = await pruneSessions({ dir: root, retentionDays: 7, now: new Date(now) });
    assert.deepEqual(report.removedSegments.map((s) => s.file), oldSegments.map((s: { file: string }) => s.file));
    const after = readMetadata(root, 'kept');
    assert.deepEqual(after.removed.map((r: { file: string; reason: string; first_seq: number }) => [r.file, r.reason, r.first_seq]), oldSegments.map((s: { file: string; first_seq: number }) => [s.file, 'retention', s.first_seq]));
    assert.equal(after.segments.length, meta.segments.length - 3);
    for (const segment of oldSegments) assert.ok(!existsSync(join(root, 'kept', segment.file)));
  });

  it('a dry run lists old segments of a kept session and leaves files and metadata.json alone', async () => {
    const root = tempDir();
    await makeSessions(root, now, [['kept', 1]]);
    const meta = readMetadata(root, 'kept');
    const first = meta.segments[0];
    utimesSync(join(root, 'kept', first.file), (now - 9 * DAY) / 1000, (now - 9 * DAY) / 1000);
    const metaText = readFileSync(join(root, 'kept', 'metadata.json'), 'utf8');
    const report = await pruneSessions({ dir: root, retentionDays: 7, now: new Date(now), dryRun: true });
    assert.deepEqual(report.removedSegments.map((s) => s.file), [first.file]);
    assert.ok(existsSync(join(root, 'kept', first.file)));
    assert.equal(readFileSync(join(root, 'kept', 'metadata.json'), 'utf8'), metaText);
  });

  it('records a removal before it unlinks, and finishes one an earlier run recorded but did not complete', async () => {
    const root = tempDir();
    await makeSessions(root, now, [['kept', 1]]);
    const metaPath = join(root, 'kept', 'metadata.json');
    const meta = readMetadata(root, 'kept');
    const first = meta.segments.shift();
    meta.removed.push({ file: first.file, stream: first.stream, first_seq: first.first_seq, last_seq: first.last_seq, lines: first.lines, reason: 'retention', at: new Date(now).toISOString() });
    writeFileSync(metaPath, JSON.stringify(meta)); // as if the process died after the metadata write
    assert.ok(existsSync(join(root, 'kept', first.file)));
    const report = await pruneSessions({ dir: root, retentionDays: 7, now: new Date(now) });
    assert.deepEqual(report.errors, []);
    assert.ok(!existsSync(join(root, 'kept', first.file)), 'the recorded removal is completed');
    assert.equal(readMetadata(root, 'kept').removed.length, 1, 'and not recorded twice');
  });

  it('reports a session directory it cannot read and goes on with the rest', async () => {
    const root = tempDir();
    await makeSessions(root, now, [['old-1', 10]]);
    mkdirSync(join(root, 'broken'));
    writeFileSync(join(root, 'broken', 'metadata.json'), '{oops');
    const report = await pruneSessions({ dir: root, retentionDays: 7, now: new Date(now) });
    assert.deepEqual(report.removedSessions.map((s) => s.id), ['old-1']);
    assert.deepEqual(report.errors.map((e) => e.id), ['broken']);
    assert.ok(existsSync(join(root, 'broken')), 'an unreadable session is not removed');
  });

  it('logging.prune() prunes old segments of its own open sessions too', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', maxFileSize: '4KB', compression: 'none', retentionDays: 3, retention: false });
    const log = logging.open('mine');
    for (let i = 0; i < 200; i++) log.emit('output', `${i} ${'q'.repeat(40)}`);
    await logging.forceFlush();
    const first = readMetadata(root, 'mine').segments[0];
    assert.ok(first, 'a rotated segment exists');
    const report = await logging.prune({ now: new Date(Date.now() + 4 * DAY) });
    assert.ok(report.removedSegments.some((s) => s.id === 'mine' && s.file === first.file));
    await logging.shutdown();
    const meta = readMetadata(root, 'mine');
    assert.ok(meta.removed.some((r: { file: string; reason: string }) => r.file === first.file && r.reason === 'retention'));
    assert.ok(existsSync(join(root, 'mine')), 'the live session itself stays');
  });

  it('refuses a negative retention', async () => {
    await assert.rejects(pruneSessions({ dir: tempDir(), retentionDays: -1 }), /retentionDays = -1 is not allowed/);
  });
});
