import assert from 'node:assert/strict';
import { readdirSync, readFileSync, truncateSync, unlinkSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createSessionLogging } from '../../src/index.ts';
import { verifySession } from '../../reader/verifySession.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/sessionFiles.ts';

async function makeSession(options: { compression?: 'gzip' | 'none'; maxSessionSize?: string } = {}): Promise<{ root: string; dir: string }> {
  const root = tempDir();
  const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', maxFileSize: '8KB', maxSessionSize: options.maxSessionSize ?? '1GB', compression: options.compression ?? 'none', retention: false });
  const log = logging.open('v');
  for (let i = 0; i < 800; i++) log.emit(i % 3 === 0 ? 'input' : 'output', `record ${i} ${'v'.repeat(20)}`, { i });
  await logging.shutdown();
  return { root, dir: join(root, 'v') };
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean);
}
function writeLines(path: string, content: string[]): void {
  writeFileSync(path, content.join('\n') + '\n');
}
function firstSegment(dir: string, stream: string): string {
  return join(dir, readdirSync(dir).filter((n) => n.startsWith(`${stream}.0`)).sort()[0]!);
}

describe('verify', () => {
  it('passes an intact session (exit 0)', async () => {
    const { root } = await makeSession({ compression: 'gzip' });
    const { code, stdout } = await runCli(['verify', 'v', '--dir', root]);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /1 session\(s\) checked, 0 problem\(s\)/);
  });

  it('passes a session whose oldest segments the size cap removed', async () => {
    const { root, dir } = await makeSession({ maxSessionSize: '32KB' });
    const meta = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8'));
    assert.ok(meta.removed.some((r: { stream: string }) => r.stream === 'audit'), 'the cap removed audit segments (the chain starts later)');
    assert.ok(meta.removed.some((r: { stream: string }) => r.stream === 'system'), 'the cap removed system segments');
    assert.deepEqual(await verifySession(root, 'v'), []);
  });

  let deletedSeq = 0;
  const corruptions: Array<[string, (dir: string) => void, RegExp | (() => RegExp)]> = [
    ['a deleted line', (dir) => {
      const path = firstSegment(dir, 'system');
      const content = lines(path);
      deletedSeq = JSON.parse(content[5]!).seq;
      content.splice(5, 1);
      writeLines(path, content);
    }, () => new RegExp(`v: gap system\\.000001\\.jsonl:\\d+ seq ${deletedSeq}: seq ${deletedSeq} is missing`)],
    ['an edited audit line', (dir) => {
      const path = firstSegment(dir, 'audit');
      const content = lines(path);
      content[3] = content[3]!.replace('record', 'rec0rd');
      writeLines(path, content);
    }, /broken_chain audit\.000001\.jsonl:4 seq \d+/],
    ['reordered audit lines', (dir) => {
      const path = join(dir, 'audit.jsonl');
      const content = lines(path);
      [content[0], content[1]] = [content[1]!, content[0]!];
      writeLines(path, content);
    }, /out_of_order audit\.jsonl:2|broken_chain audit\.jsonl:1/],
    ['a duplicated line', (dir) => {
      const path = join(dir, 'system.jsonl');
      const content = lines(path);
      content.splice(2, 0, content[2]!);
      writeLines(path, content);
    }, /duplicate system\.jsonl:4 seq \d+/],
    ['a truncated segment', (dir) => {
      const path = firstSegment(dir, 'system');
      truncateSync(path, statSync(path).size - 30);
    }, /torn system\.000001\.jsonl:\d+/],
    ['a missing segment', (dir) => unlinkSync(firstSegment(dir, 'audit')), /missing_segment audit\.000001\.jsonl/],
  ];
  for (const [name, corrupt, expected] of corruptions) {
    it(`catches ${name} (exit 1, with file, line and seq)`, async () => {
      const { root, dir } = await makeSession();
      assert.deepEqual(await verifySession(root, 'v'), [], 'intact before');
      corrupt(dir);
      const { code, stdout } = await runCli(['verify', '--dir', root]);
      assert.equal(code, 1, stdout);
      assert.match(stdout, typeof expected === 'function' ? expected() : expected);
    });
  }

  it('catches a truncated gzip segment', async () => {
    const { root, dir } = await makeSession({ compression: 'gzip' });
    const path = firstSegment(dir, 'system');
    truncateSync(path, Math.floor(statSync(path).size / 2));
    const problems = await verifySession(root, 'v');
    assert.ok(problems.some((p) => p.kind === 'corrupt_segment' && p.file === 'system.000001.jsonl.gz'), JSON.stringify(problems));
    assert.ok(problems.some((p) => p.kind === 'gap'));
  });

  it('catches a seq that is in both files', async () => {
    const { root, dir } = await makeSession();
    const audit = lines(join(dir, 'audit.jsonl'));
    const system = lines(join(dir, 'system.jsonl'));
    // An audit seq copied into system.jsonl at its place in seq order: each file alone looks fine.
    const firstSystem = JSON.parse(system[0]!).seq;
    const copied = audit.map((line) => JSON.parse(line)).find((record) => record.seq > firstSystem);
    const at = system.findIndex((line) => JSON.parse(line).seq > copied.seq);
    assert.ok(at > 0, 'system.jsonl has lines on both sides of the copied seq');
    system.splice(at, 0, JSON.stringify({ ...copied, category: 'system', chain: undefined }));
    writeLines(join(dir, 'system.jsonl'), system);
    const problems = await verifySession(root, 'v');
    assert.ok(problems.some((p) => p.kind === 'duplicate' && p.seq === copied.seq), JSON.stringify(problems));
  });

  it('accepts a gap that metadata.json records as dropped, and reports it without the record', async () => {
    const { root, dir } = await makeSession();
    const path = join(dir, 'system.jsonl');
    const content = lines(path);
    const seq = JSON.parse(content[1]!).seq;
    content.splice(1, 1);
    writeLines(path, content);
    assert.deepEqual((await verifySession(root, 'v')).map((p) => [p.kind, p.seq]), [['gap', seq]]);
    const metaPath = join(dir, 'metadata.json');
    const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
    meta.drops.push({ first_seq: seq, last_seq: seq, count: 1, reason: 'test', at: new Date().toISOString() });
    writeFileSync(metaPath, JSON.stringify(meta));
    assert.deepEqual(await verifySession(root, 'v'), []);
  });
});
