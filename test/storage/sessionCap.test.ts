import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createSessionLogging } from '../../src/index.ts';
import { type FileSystem, nodeFileSystem } from '../../storage/FileSystem.ts';
import { readMetadata, sessionLines, tempDir } from '../support/sessionFiles.ts';

describe('per-session size cap (max_session_size)', () => {
  for (const compression of ['gzip', 'none'] as const) {
    it(`deletes the oldest segments first and records the seq ranges removed (${compression})`, async () => {
      const root = tempDir();
      const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', maxFileSize: '16KB', maxSessionSize: '128KB', compression });
      const log = logging.open('capped');
      const total = 30_000;
      for (let i = 0; i < total; i++) {
        log.emit(i % 4 === 0 ? 'input' : 'output', `record ${i} ${'x'.repeat(i % 50)}`);
        if (i % 500 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
      await logging.shutdown();
      const dir = join(root, 'capped');
      const meta = readMetadata(root, 'capped');
      assert.ok(meta.removed.length > 0, 'some segments were removed');
      assert.ok(meta.removed.every((r: { reason: string }) => r.reason === 'cap'));
      const bytes = readdirSync(dir).filter((n) => n.includes('jsonl')).reduce((sum, n) => sum + statSync(join(dir, n)).size, 0);
      assert.ok(bytes <= 128 * 1024 + 2 * 16 * 1024, `${bytes} bytes on disk`);
      for (const removed of meta.removed) assert.ok(!readdirSync(dir).includes(removed.file));
      // Every seq is either on disk or inside a recorded removed range of its stream.
      const present = new Map(sessionLines(root, 'capped').map((l) => [l.seq, l]));
      for (let seq = 1; seq <= meta.last_seq; seq++) {
        if (present.has(seq)) continue;
        assert.ok(meta.removed.some((r: { first_seq: number; last_seq: number }) => seq >= r.first_seq && seq <= r.last_seq), `seq ${seq} missing without a recorded removal`);
      }
      // The newest records are all there.
      const bodies = new Set([...present.values()].map((l) => l.body));
      for (let i = total - 100; i < total; i++) assert.ok(bodies.has(`record ${i} ${'x'.repeat(i % 50)}`));
    });
  }
});

describe('bounded open files', () => {
  it('writes 1,200 sessions with a budget of 64 descriptors and loses nothing', async () => {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', maxOpenFiles: 64 });
    const fdsBefore = readdirSync('/proc/self/fd').length;
    const sessions = Array.from({ length: 1200 }, (_, i) => logging.open(`many-${i}`));
    let peakFds = 0;
    for (let round = 0; round < 10; round++) {
      for (const log of sessions) log.emit(round % 2 ? 'input' : 'output', `round ${round}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      peakFds = Math.max(peakFds, readdirSync('/proc/self/fd').length - fdsBefore);
    }
    await logging.shutdown();
    assert.ok(peakFds <= 64 + 16, `peak ${peakFds} descriptors over the start`);
    for (const log of sessions) {
      const lines = sessionLines(root, log.id);
      assert.deepEqual(lines.filter((l) => l.event === 'output' || l.event === 'input').map((l) => l.body), Array.from({ length: 10 }, (_, r) => `round ${r}`), log.id);
    }
    assert.equal(logging.stats().files.dropped, 0);
  });
  it('closes and reopens descriptors asynchronously: no synchronous open or close while 40 sessions share 8 descriptors', async () => {
    const root = tempDir();
    let counting = false;
    let syncOpens = 0;
    let asyncOpens = 0;
    let syncCloses = 0;
    const fs: FileSystem = {
      ...nodeFileSystem,
      closeSync: ((fd: number) => {
        if (counting) syncCloses++;
        return nodeFileSystem.closeSync(fd);
      }) as typeof nodeFileSystem.closeSync,
      openSync: ((...args: Parameters<typeof nodeFileSystem.openSync>) => {
        if (counting) syncOpens++;
        return nodeFileSystem.openSync(...args);
      }) as typeof nodeFileSystem.openSync,
      open: ((...args: Parameters<typeof nodeFileSystem.open>) => {
        if (counting) asyncOpens++;
        return (nodeFileSystem.open as (...a: unknown[]) => void)(...args);
      }) as typeof nodeFileSystem.open,
    };
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', durability: 'none', maxOpenFiles: 8, fs });
    const sessions = Array.from({ length: 40 }, (_, i) => logging.open(`reopen-${i}`));
    const round = async (r: number) => {
      for (const log of sessions) log.emit('output', `round ${r}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    };
    await round(0); // every system.jsonl exists from here on
    await Promise.all(sessions.map((log) => log.flush()));
    counting = true;
    for (let r = 1; r <= 10; r++) await round(r);
    await Promise.all(sessions.map((log) => log.flush()));
    counting = false;
    await logging.shutdown();
    assert.equal(syncOpens, 0, 'a synchronous open in steady state');
    assert.equal(syncCloses, 0, 'a synchronous close in steady state');
    assert.ok(asyncOpens >= 40, `${asyncOpens} asynchronous reopens: the budget should have closed and reopened files`);
    for (const log of sessions) {
      const bodies = sessionLines(root, log.id).filter((l) => l.event === 'output').map((l) => l.body);
      assert.deepEqual(bodies, Array.from({ length: 11 }, (_, r) => `round ${r}`), log.id);
    }
  });
});

describe('bounded memory across sessions', () => {
  async function peakBuffered(maxBufferedBytes: number | undefined): Promise<{ peak: number; root: string; backpressure: number; dropped: number; left: number }> {
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', maxBufferedBytes });
    const sessions = Array.from({ length: 200 }, (_, i) => logging.open(`mem-${i}`));
    let peak = 0;
    // No yield to the event loop: nothing is written unless the writers apply backpressure.
    for (let round = 0; round < 50; round++) {
      for (const log of sessions) {
        log.emit('output', `round ${round} ${'m'.repeat(100)}`);
        peak = Math.max(peak, logging.store!.bufferedBytes);
      }
    }
    await logging.shutdown();
    const { backpressure, dropped } = logging.stats().files;
    return { peak, root, backpressure, dropped, left: logging.store!.bufferedBytes };
  }

  it('holds buffered bytes near maxBufferedBytes in all, writing synchronously instead of dropping', async () => {
    const limit = 256 * 1024;
    const bounded = await peakBuffered(limit);
    const unbounded = await peakBuffered(undefined);
    // Past the limit each writer that is appended to writes out; what other writers hold
    // (one line each, and chunks already under way) is the slack.
    assert.ok(bounded.peak <= 1.5 * limit, `peak ${bounded.peak} bytes buffered with a limit of ${limit}`);
    assert.ok(unbounded.peak > 4 * limit, `the same workload buffers ${unbounded.peak} bytes with the default limit`);
    assert.equal(bounded.left, 0);
    assert.ok(bounded.backpressure > 0);
    assert.equal(bounded.dropped, 0);
    for (let i = 0; i < 200; i++) assert.equal(sessionLines(bounded.root, `mem-${i}`).length, 52);
  });
});
