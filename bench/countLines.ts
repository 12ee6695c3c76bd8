import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** Lines with "event":"output" in every .jsonl file under `dir`: the workload's records found on disk. */
export async function countRecords(dir: string): Promise<number> {
  let count = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      count += await countRecords(path);
      continue;
    }
    if (!name.endsWith('.jsonl')) continue;
    for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
      if (line.includes('"event":"output"')) count++;
    }
  }
  return count;
}
