import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkOutput, type CheckOptions } from '../../bench/checkOutput.ts';
import { create } from '../../bench/contenders/raw.ts';
import { isAuditRecord, recordsOf, runWorkload, sessionId } from '../../bench/workload.ts';
import { tempDir } from '../support/sessionFiles.ts';

const workload = { records: 2000, sessions: 4 };
const options: CheckOptions = {
  sessions: Array.from({ length: workload.sessions }, (_, i) => sessionId(i)),
  records: (s) => recordsOf(s, workload),
  extraLines: 0,
  isAudit: (n) => isAuditRecord(n, workload.sessions),
};

async function written(): Promise<string> {
  const dir = tempDir();
  await runWorkload(create(dir, workload.sessions), workload);
  return dir;
}

function edit(path: string, change: (lines: string[]) => string[]): void {
  const lines = readFileSync(path, 'utf8').split('\n').slice(0, -1);
  writeFileSync(path, change(lines).join('\n') + '\n');
}

describe('bench output check', () => {
  it('accepts a complete run', async () => {
    const result = checkOutput(await written(), options);
    assert.deepEqual(result.problems, []);
    assert.equal(result.records, workload.records);
    assert.equal(result.lost + result.duplicated, 0);
  });

  it('finds a lost line hidden by a duplicated one, which a line count misses', async () => {
    const dir = await written();
    const path = join(dir, 's1', 'system.jsonl');
    const before = readFileSync(path, 'utf8').split('\n').length;
    edit(path, (lines) => [...lines.slice(0, 10), lines[9]!, ...lines.slice(11)]);
    assert.equal(readFileSync(path, 'utf8').split('\n').length, before, 'same number of lines');
    const result = checkOutput(dir, options);
    assert.equal(result.lost, 1);
    assert.equal(result.duplicated, 1);
    assert.match(result.problems.join('\n'), /s1\/system\.jsonl:11: seq \d+ again/);
  });

  it('finds an audit line whose chain no longer matches', async () => {
    const dir = await written();
    edit(join(dir, 's2', 'audit.jsonl'), (lines) => lines.map((line, i) => (i === 3 ? line.replace('lorem', 'LOREM') : line)));
    assert.match(checkOutput(dir, options).problems.join('\n'), /s2\/audit\.jsonl:4: audit chain broken/);
  });

  it('finds records whose seqs are out of emit order, and lines of another shape', async () => {
    const dir = await written();
    edit(join(dir, 's0', 'system.jsonl'), (lines) => {
      const [a, b] = [lines[5]!, lines[6]!];
      const seqA = /"seq":(\d+)/.exec(a)![1]!;
      const seqB = /"seq":(\d+)/.exec(b)![1]!;
      return [...lines.slice(0, 5), a.replace(`"seq":${seqA}`, `"seq":${seqB}`), b.replace(`"seq":${seqB}`, `"seq":${seqA}`), ...lines.slice(7)];
    });
    edit(join(dir, 's3', 'system.jsonl'), (lines) => lines.map((line, i) => (i === 0 ? line.replace(',"tier":"full"', '') : line)));
    const problems = checkOutput(dir, options).problems.join('\n');
    assert.match(problems, /s0: record \d+ has seq \d+, after record \d+: seq is not in emit order/);
    assert.match(problems, /s3\/system\.jsonl:1: keys ts,seq,session_id,event,category,severity,body,attrs/);
  });
});
