import assert from 'node:assert/strict';
import { type CrashLoss, type DropRange, type RemovedRange, newMetadata } from '../../format/sessionMetadata.ts';
import { MissingSeqs } from '../../reader/MissingSeqs.ts';

const at = '2024-01-01T00:00:00.000Z';
const crash = (first: number, last: number): CrashLoss => ({ first_seq: first, last_seq: last, at });
const drop = (first: number, last: number, count: number): DropRange => ({ stream: 'system', first_seq: first, last_seq: last, count, error: 'EIO', at });
const removed = (first: number, last: number, lines: number): RemovedRange => ({ file: 'audit.000001.jsonl.gz', stream: 'audit', first_seq: first, last_seq: last, lines, reason: 'cap', at });

type Step = ['add', number, number] | ['found', number, boolean];

interface Case {
  name: string;
  crash?: CrashLoss[];
  drops?: DropRange[];
  removed?: RemovedRange[];
  steps: Step[];
  /** [first, last, message pattern] of each unexplained gap. */
  unexplained: Array<[number, number, RegExp]>;
}

const cases: Case[] = [
  { name: 'nothing missing', steps: [], unexplained: [] },
  { name: 'one seq missing, nothing explains it', steps: [['add', 5, 5]], unexplained: [[5, 5, /^seq 5 is missing$/]] },
  { name: 'a range missing, nothing explains it', steps: [['add', 5, 7]], unexplained: [[5, 7, /^seq 5-7 are missing$/]] },
  { name: 'a crash loss explains every seq in its range', crash: [crash(5, 10)], steps: [['add', 5, 7], ['add', 9, 10]], unexplained: [] },
  { name: 'a crash loss explains only its range', crash: [crash(5, 6)], steps: [['add', 4, 8]], unexplained: [[4, 4, /seq 4 is missing/], [7, 8, /seq 7-8 are missing/]] },
  { name: 'touching crash losses act as one', crash: [crash(1, 3), crash(4, 6)], steps: [['add', 1, 6]], unexplained: [] },
  {
    name: 'a drop explains as many seqs as it held records (the other file\'s seqs interleave in its range)', drops: [drop(10, 20, 3)],
    steps: [['add', 12, 12], ['add', 15, 15], ['add', 18, 18]], unexplained: [],
  },
  {
    name: 'one seq more missing than a drop held: the whole range is reported, with the count', drops: [drop(10, 20, 3)],
    steps: [['add', 11, 12], ['add', 15, 15], ['add', 18, 18]],
    unexplained: [[10, 20, /^4 seqs between 10 and 20 are missing, 1 more than metadata.json explains \(a system drop \(EIO, 3 records\)\)$/]],
  },
  {
    name: 'overlapping removal and drop share one budget: one more missing than both held', removed: [removed(1, 10, 5)], drops: [drop(8, 15, 2)],
    steps: [['add', 2, 5], ['add', 9, 10], ['add', 14, 15]],
    unexplained: [[1, 15, /^8 seqs between 1 and 15 are missing, 1 more than metadata.json explains \(audit.000001.jsonl.gz \(cap, 5 lines\); a system drop \(EIO, 2 records\)\)$/]],
  },
  {
    name: 'overlapping removal and drop: within their lines together', removed: [removed(1, 10, 5)], drops: [drop(8, 15, 2)],
    steps: [['add', 2, 4], ['add', 9, 10], ['add', 15, 15]], unexplained: [],
  },
  {
    name: 'a crash loss inside a drop\'s range is not charged to the drop', drops: [drop(1, 20, 2)], crash: [crash(5, 9)],
    steps: [['add', 2, 2], ['add', 5, 9], ['add', 15, 15]], unexplained: [],
  },
  {
    name: 'seqs outside every explanation stay unexplained beside explained ones', drops: [drop(10, 12, 3)],
    steps: [['add', 8, 14]], unexplained: [[8, 9, /seq 8-9 are missing/], [13, 14, /seq 13-14 are missing/]],
  },
  { name: 'a seq met out of order after being counted missing was moved, not lost', steps: [['add', 5, 7], ['found', 6, true]], unexplained: [[5, 5, /seq 5 is missing/], [7, 7, /seq 7 is missing/]] },
  { name: 'a seq met again that was never missing is a copy', steps: [['add', 5, 5], ['found', 9, false]], unexplained: [[5, 5, /seq 5 is missing/]] },
  { name: 'a moved seq inside a drop\'s range gives back its count', drops: [drop(10, 20, 1)], steps: [['add', 12, 13], ['found', 13, true]], unexplained: [] },
];

describe('MissingSeqs', () => {
  for (const c of cases) {
    it(c.name, () => {
      const meta = { ...newMetadata('m', 'full', {}, new Date(0)), crash_losses: c.crash ?? [], drops: c.drops ?? [], removed: c.removed ?? [] };
      const missing = new MissingSeqs(meta);
      for (const step of c.steps) {
        if (step[0] === 'add') missing.add(step[1], step[2], {});
        else assert.equal(missing.found(step[1]), step[2], `found(${step[1]})`);
      }
      const gaps = missing.unexplained();
      assert.deepEqual(gaps.map((g) => [g.first, g.last]), c.unexplained.map(([first, last]) => [first, last]));
      gaps.forEach((gap, i) => assert.match(gap.message, c.unexplained[i]![2]));
    });
  }

  it('keeps where a gap was noticed', () => {
    const missing = new MissingSeqs(newMetadata('m', 'full', {}, new Date(0)));
    missing.add(5, 5, { file: 'system.jsonl', line: 3 });
    assert.deepEqual(missing.unexplained(), [{ first: 5, last: 5, file: 'system.jsonl', line: 3, message: 'seq 5 is missing' }]);
  });
});
