import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { nextChain, splitChainedLine } from '../../format/auditChain.ts';
import { createSessionLogging } from '../../src/index.ts';
import { assertContiguous, rawLines, readMetadata, sessionLines, tempDir } from '../support/sessionFiles.ts';

function hasTool(name: string): boolean {
  try {
    execFileSync(name, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('rotation under continuous writing', () => {
  for (const compression of ['gzip', 'zstd', 'none'] as const) {
    describe(`compression ${compression}`, () => {
      const root = tempDir();
      const records = 300_000;
      before(async () => {
        const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', maxFileSize: '256KB', maxSessionSize: '1GB', compression });
        const log = logging.open('rot');
        for (let i = 0; i < records; i++) {
          log.emit(i % 7 === 0 ? 'input' : 'output', `record ${i}`, { i });
          if (i % 5000 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
        await logging.shutdown();
      });

      it('keeps every seq exactly once, in order, across all segments', () => {
        const lines = sessionLines(root, 'rot');
        assertContiguous(lines);
        const bodies = lines.filter((l) => l.event === 'input' || l.event === 'output');
        assert.equal(bodies.length, records);
        bodies.forEach((line, i) => assert.equal(line.body, `record ${i}`));
      });

      it('numbers segments and lists each in metadata.json with its seq range', () => {
        const suffix = compression === 'gzip' ? '.gz' : compression === 'zstd' ? '.zst' : '';
        const names = readdirSync(join(root, 'rot')).filter((n) => /\.\d{6}\./.test(n));
        assert.ok(names.length > 20, `${names.length} segments`);
        assert.ok(names.every((n) => n.endsWith(`.jsonl${suffix}`)), names.join(','));
        const meta = readMetadata(root, 'rot');
        assert.deepEqual(meta.segments.map((s: { file: string }) => s.file).sort(), names.sort());
        for (const segment of meta.segments) {
          const lines = rawLines(join(root, 'rot', segment.file)).map((l) => JSON.parse(l));
          assert.equal(lines.length, segment.lines);
          assert.equal(lines[0].seq, segment.first_seq);
          assert.equal(lines.at(-1).seq, segment.last_seq);
          assert.ok(segment.bytes <= 256 * 1024, `${segment.file} has ${segment.bytes} bytes`);
        }
      });

      it('continues the audit chain across segments', () => {
        const dir = join(root, 'rot');
        const files = [...readdirSync(dir).filter((n) => n.startsWith('audit.0')).sort(), 'audit.jsonl'];
        let previous = '';
        let count = 0;
        for (const file of files) {
          for (const line of rawLines(join(dir, file))) {
            const split = splitChainedLine(line)!;
            assert.equal(split.chain, nextChain(previous, split.hashed), `${file} line ${count}`);
            previous = split.chain;
            count++;
          }
        }
        assert.ok(count > records / 7);
      });

      if (compression !== 'none') {
        const tool = compression === 'gzip' ? 'gzip' : 'zstd';
        it(`writes segments the ${tool} command-line tool reads`, function () {
          if (!hasTool(tool)) throw new Error(`${tool} is not installed; .ci/run installs it`);
          const dir = join(root, 'rot');
          const segment = readdirSync(dir).find((n) => n.startsWith('system.000001'))!;
          const text = execFileSync(tool, ['-dc', join(dir, segment)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
          assert.deepEqual(text.split('\n').filter(Boolean), rawLines(join(dir, segment)));
        });
      }
    });
  }
});
