import assert from 'node:assert/strict';
import type { StoredSegment } from '../../format/sessionMetadata.ts';
import { segmentsOverCap } from '../../storage/sizeCap.ts';

function segment(file: string, first: number, storedBytes: number): StoredSegment {
  return { file, stream: file.startsWith('audit') ? 'audit' : 'system', number: 1, first_seq: first, last_seq: first + 9, lines: 10, bytes: storedBytes * 4, compression: 'gzip', stored_bytes: storedBytes };
}

const s1 = segment('system.000001.jsonl.gz', 1, 100);
const a1 = segment('audit.000001.jsonl.gz', 5, 50);
const s2 = segment('system.000002.jsonl.gz', 20, 100);
const s3 = segment('system.000003.jsonl.gz', 40, 100);

describe('sizeCap (segmentsOverCap)', () => {
  const cases: Array<{ name: string; segments: StoredSegment[]; active: number; cap: number; busy?: StoredSegment[]; remove: StoredSegment[] }> = [
    { name: 'nothing when under the cap', segments: [s1, s2], active: 50, cap: 1000, remove: [] },
    { name: 'nothing when exactly at the cap', segments: [s1, s2], active: 50, cap: 250, remove: [] },
    { name: 'the oldest data first, by first seq, whatever the list order', segments: [s3, s2, s1], active: 0, cap: 250, remove: [s1] },
    { name: 'as many as needed, counting stored (compressed) bytes', segments: [s1, s2, s3], active: 0, cap: 100, remove: [s1, s2] },
    { name: 'audit and system segments alike, in seq order', segments: [s1, a1, s2], active: 0, cap: 120, remove: [s1, a1] },
    { name: 'the active files count toward the total, but are never removed', segments: [s1, s2], active: 500, cap: 550, remove: [s1, s2] },
    { name: 'stops at a segment being compressed (it is counted again afterwards)', segments: [s1, s2, s3], active: 0, cap: 100, busy: [s1], remove: [] },
    { name: 'removes the older ones before a busy segment', segments: [s1, s2, s3], active: 0, cap: 50, busy: [s2], remove: [s1] },
    { name: 'no segments: nothing to remove', segments: [], active: 10_000, cap: 100, remove: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const busy = new Set(c.busy ?? []);
      assert.deepEqual(segmentsOverCap(c.segments, c.active, c.cap, (s) => busy.has(s)).map((s) => s.file), c.remove.map((s) => s.file));
    });
  }

  it('does not reorder the list it is given', () => {
    const list = [s3, s1, s2];
    segmentsOverCap(list, 0, 0, () => false);
    assert.deepEqual(list, [s3, s1, s2]);
  });
});
