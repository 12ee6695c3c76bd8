import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkOutput } from '../../bench/checkOutput.ts';
import { CONTENDERS, LIFECYCLE_LINES } from '../../bench/contenders/index.ts';
import { isAuditRecord, recordsOf, runWorkload, sessionId } from '../../bench/workload.ts';
import { tempDir } from '../support/sessionFiles.ts';

const workload = { records: 1200, sessions: 3 };

/** Workload lines by record number, without what differs by design: ts, seq (ours counts session.created first) and the chain over both. */
function linesByRecord(dir: string): Map<number, string> {
  const byRecord = new Map<number, string>();
  for (let s = 0; s < workload.sessions; s++) {
    for (const stream of ['system', 'audit']) {
      for (const line of readFileSync(join(dir, sessionId(s), `${stream}.jsonl`), 'utf8').split('\n')) {
        const n = /"attrs":\{"stream":"std(?:in|out)","pid":\d+,"n":(\d+)\}/.exec(line)?.[1];
        if (n === undefined) continue;
        byRecord.set(Number(n), line.replace(/^\{"ts":"[^"]+","seq":\d+,/, '{').replace(/,"chain":"[0-9a-f]{64}"\}$/, '}'));
      }
    }
  }
  return byRecord;
}

describe('bench contenders', () => {
  it('every contender writes the same line for each record, all of them, seq contiguous, chain intact', async () => {
    let reference: Map<number, string> | undefined;
    for (const [name, load] of Object.entries(CONTENDERS)) {
      const dir = tempDir();
      await runWorkload((await load()).create(dir, workload.sessions), workload);
      const result = checkOutput(dir, {
        sessions: Array.from({ length: workload.sessions }, (_, i) => sessionId(i)),
        records: (s) => recordsOf(s, workload),
        extraLines: LIFECYCLE_LINES[name] ?? 0,
        isAudit: (n) => isAuditRecord(n, workload.sessions),
      });
      assert.deepEqual(result.problems, [], name);
      assert.equal(result.records, workload.records, name);
      const lines = linesByRecord(dir);
      assert.equal(lines.size, workload.records, name);
      reference ??= lines;
      for (const [n, line] of lines) assert.equal(line, reference.get(n), `${name}, record ${n}`);
    }
  });
});
