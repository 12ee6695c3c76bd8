// Read one session with readSession and report records read, wall ms and peak RSS.
import { readSession } from '../reader/readSession.ts';
import { peakRssMiB } from './peakRss.ts';

const [root, id] = process.argv.slice(2);
const start = performance.now();
let records = 0;
let lastSeq = 0;
let peakHeap = 0;
for await (const { record } of readSession(root!, id!)) {
  if (record.seq <= lastSeq) throw new Error(`seq ${record.seq} after ${lastSeq}`);
  lastSeq = record.seq;
  if (++records % 50_000 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
}
process.stdout.write(JSON.stringify({ records, ms: performance.now() - start, rss_mib: peakRssMiB(), heap_mib: peakHeap / 1048576 }) + '\n');
