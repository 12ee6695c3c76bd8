import type { StoredSegment } from '../format/sessionMetadata.ts';

/**
 * The segments to remove so a session fits `maxSessionSize`: oldest data first, counting
 * every segment as stored (compressed or not) plus the active files. A segment being
 * compressed right now stops the choice (it is counted again when compression is done).
 */
export function segmentsOverCap(segments: readonly StoredSegment[], activeBytes: number, maxSessionSize: number, isBusy: (segment: StoredSegment) => boolean): StoredSegment[] {
  let total = activeBytes;
  for (const segment of segments) total += segment.stored_bytes;
  const oldestFirst = [...segments].sort((a, b) => a.first_seq - b.first_seq);
  const remove: StoredSegment[] = [];
  for (const segment of oldestFirst) {
    if (total <= maxSessionSize) break;
    if (isBusy(segment)) break;
    remove.push(segment);
    total -= segment.stored_bytes;
  }
  return remove;
}
