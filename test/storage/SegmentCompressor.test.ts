import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import type { FileSystem } from '../../storage/FileSystem.ts';
import { nodeFileSystem } from '../../storage/FileSystem.ts';
import { SegmentCompressor } from '../../storage/SegmentCompressor.ts';
import { FaultyFileSystem } from '../support/FaultyFileSystem.ts';
import { ControlledFileSystem } from '../support/ControlledFileSystem.ts';
import { tempDir } from '../support/sessionFiles.ts';

const TEXT = Array.from({ length: 200 }, (_, i) => `{"seq":${i + 1},"body":"line ${i + 1}"}\n`).join('');

function plainSegment(dir: string, number: number): string {
  const path = join(dir, `system.${String(number).padStart(6, '0')}.jsonl`);
  writeFileSync(path, TEXT);
  return path;
}

/** A compressor whose outcomes the test awaits one by one. */
function compressor(fs: FileSystem, compression: 'gzip' | 'zstd' = 'gzip', retryDelayMs = 60_000) {
  const outcomes: Array<{ plain: string; compressed?: string; error?: string }> = [];
  let wake: (() => void) | undefined;
  const push = (outcome: (typeof outcomes)[number]) => {
    outcomes.push(outcome);
    wake?.();
  };
  const c = new SegmentCompressor({
    fs, compression, retryDelayMs,
    onCompressed: (plain, compressed) => push({ plain, compressed }),
    onFailed: (plain, error) => push({ plain, error: (error as NodeJS.ErrnoException).code ?? error.message }),
  });
  const nth = (n: number) => (outcomes.length >= n ? Promise.resolve() : new Promise<void>((resolve) => (wake = () => outcomes.length >= n && resolve())));
  return { c, outcomes, nth };
}

function tmpFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.tmp'));
}

describe('SegmentCompressor', () => {
  for (const compression of ['gzip', 'zstd'] as const) {
    it(`replaces a plain segment by its ${compression} copy with the same text`, async () => {
      const dir = tempDir();
      const plain = plainSegment(dir, 1);
      const { c, outcomes } = compressor(nodeFileSystem, compression);
      c.add(plain);
      await c.idle();
      const compressed = plain + (compression === 'gzip' ? '.gz' : '.zst');
      assert.deepEqual(outcomes, [{ plain, compressed }]);
      assert.ok(!existsSync(plain));
      const data = readFileSync(compressed);
      assert.equal((compression === 'gzip' ? gunzipSync(data) : zstdDecompressSync(data)).toString('utf8'), TEXT);
    });
  }

  it('makes the rename durable (fsync of the directory) before it removes the plain segment', async () => {
    const dir = tempDir();
    const plain = plainSegment(dir, 1);
    const q = new ControlledFileSystem();
    q.hold = () => false; // every call completes on the next turn, in order; the test reads the log
    const { c } = compressor(q.fs);
    c.add(plain);
    await c.idle();
    const at = (name: string, test: (path: string) => boolean) => q.calls.findIndex((call) => call.name === name && test(call.path ?? ''));
    const rename = at('promises.rename', (path) => path.endsWith('.gz.tmp'));
    const dirSync = at('handle.sync', (path) => path === dir);
    const unlink = at('promises.unlink', (path) => path === plain);
    assert.ok(rename !== -1 && unlink !== -1, JSON.stringify(q.calls));
    // Otherwise a power cut could keep the removal and lose the rename: the segment would be
    // left only as a .tmp, which reopening removes as a crash leftover.
    assert.ok(rename < dirSync && dirSync < unlink, `rename ${rename}, fsync of the directory ${dirSync}, removal ${unlink}`);
  });

  it('keeps the plain segment and leaves no .tmp when the disk fills up while writing; a retry succeeds', async () => {
    const dir = tempDir();
    const plain = plainSegment(dir, 1);
    const faulty = new FaultyFileSystem();
    faulty.fail('ENOSPC', ['stream']);
    const { c, outcomes, nth } = compressor(faulty.fs);
    c.add(plain);
    await nth(1);
    await c.idle();
    assert.deepEqual(outcomes, [{ plain, error: 'ENOSPC' }]);
    assert.equal(readFileSync(plain, 'utf8'), TEXT);
    assert.deepEqual(tmpFiles(dir), []);
    faulty.heal();
    c.retryNow();
    await nth(2);
    assert.deepEqual(outcomes[1], { plain, compressed: plain + '.gz' });
    assert.ok(!existsSync(plain));
    await c.close();
  });

  it('removes a .tmp whose removal failed with the write, once it can: at the next retry or at close, even if the segment was dropped meanwhile', async () => {
    const dir = tempDir();
    const plain = plainSegment(dir, 1);
    const faulty = new FaultyFileSystem();
    faulty.fail('ENOSPC', ['stream', 'promises']); // the write of the .tmp fails, and so does its unlink
    const { c, outcomes, nth } = compressor(faulty.fs);
    c.add(plain);
    await nth(1);
    await c.idle();
    assert.deepEqual(outcomes, [{ plain, error: 'ENOSPC' }]);
    assert.deepEqual(tmpFiles(dir), ['system.000001.jsonl.gz.tmp'], 'the fault left it');
    c.forget(plain); // the size cap removed the segment: it is not compressed again
    faulty.heal();
    await c.close();
    assert.deepEqual(tmpFiles(dir), []);
  });

  for (const step of ['handle.sync', 'promises.rename']) {
    it(`keeps the plain segment and leaves no .tmp when ${step} fails`, async () => {
      const dir = tempDir();
      const plain = plainSegment(dir, 1);
      const q = new ControlledFileSystem();
      q.hold = (call) => call.name === step;
      const { c, outcomes, nth } = compressor(q.fs);
      c.add(plain);
      await (await q.next(step)).fail('EIO');
      await nth(1);
      assert.deepEqual(outcomes, [{ plain, error: 'EIO' }]);
      assert.equal(readFileSync(plain, 'utf8'), TEXT);
      assert.deepEqual(readdirSync(dir), ['system.000001.jsonl']);
      q.hold = () => false;
      await c.close(); // tries the failed one once more
      assert.deepEqual(outcomes[1], { plain, compressed: plain + '.gz' });
    });
  }

  it('retries a failed segment by itself after retryDelayMs', async () => {
    const dir = tempDir();
    const plain = plainSegment(dir, 1);
    const faulty = new FaultyFileSystem();
    faulty.fail('ENOSPC', ['stream']);
    const { c, outcomes, nth } = compressor(faulty.fs, 'gzip', 1);
    c.add(plain);
    await nth(1);
    faulty.heal();
    await nth(2);
    assert.deepEqual(outcomes.map((o) => o.error ?? 'compressed'), ['ENOSPC', 'compressed']);
    await c.close();
  });

  it('compresses one segment at a time, in the order they were added', async () => {
    const dir = tempDir();
    const plains = [1, 2, 3].map((n) => plainSegment(dir, n));
    const q = new ControlledFileSystem();
    q.hold = (call) => call.name === 'promises.rename';
    const { c, outcomes } = compressor(q.fs);
    for (const plain of plains) c.add(plain);
    for (const plain of plains) {
      const rename = await q.next('promises.rename');
      assert.equal(q.held('promises.rename').length, 1);
      assert.ok(c.isCompressing(plain));
      await rename.complete();
    }
    await c.idle();
    assert.deepEqual(outcomes.map((o) => o.plain), plains);
  });

  it('forgets a segment the cap removed before its turn', async () => {
    const dir = tempDir();
    const [first, second] = [1, 2].map((n) => plainSegment(dir, n));
    const q = new ControlledFileSystem();
    q.hold = (call) => call.name === 'promises.rename';
    const { c, outcomes } = compressor(q.fs);
    c.add(first!);
    c.add(second!);
    const rename = await q.next('promises.rename');
    c.forget(second!);
    await rename.complete();
    await c.idle();
    assert.deepEqual(outcomes.map((o) => o.plain), [first]);
    assert.ok(existsSync(second!));
  });
});
