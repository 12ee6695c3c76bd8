// Memory of reading a session does not grow with its size: read a small and a 10x larger
// session (rotated, gzip) in their own processes and compare peak RSS.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createSessionLogging } from '../src/index.ts';
import { tempDir } from './tempDir.ts';

async function writeSession(root: string, id: string, records: number): Promise<void> {
  const logging = createSessionLogging({ dir: root, env: {}, defaultLevel: 'full', maxSessionSize: '10GB', retention: false });
  const log = logging.open(id);
  for (let i = 0; i < records; i++) {
    log.emit(i % 10 === 0 ? 'input' : 'output', `record ${i} lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor`, { i });
    if (i % 5000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await logging.shutdown();
}

export interface ReaderMemory {
  small: { records: number; ms: number; rss_mib: number; heap_mib: number };
  large: { records: number; ms: number; rss_mib: number; heap_mib: number };
}

export async function readerMemory(largeRecords: number): Promise<ReaderMemory> {
  const root = tempDir();
  const smallRecords = largeRecords / 10;
  await writeSession(root, 'small', smallRecords);
  await writeSession(root, 'large', largeRecords);
  const child = fileURLToPath(new URL('./readSessionChild.ts', import.meta.url));
  // As in the soak test: V8's young generation would otherwise grow to its ceiling with the
  // allocation rate and hide what the reader keeps.
  const read = (id: string) => JSON.parse(execFileSync(process.execPath, ['--max-semi-space-size=8', child, root, id], { encoding: 'utf8' }).trim());
  return { small: read('small'), large: read('large') };
}
