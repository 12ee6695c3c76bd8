import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type OtlpLogRecord, otlpLogRecords } from './otlpJson.ts';

/** One log record as the Collector's file exporter wrote it (OTLP/JSON), flattened. */
export interface ExportedRecord extends OtlpLogRecord {
  file: string;
}

/** Every record in every file the file exporter wrote under `dir`. */
export function readExported(dir: string): ExportedRecord[] {
  if (!existsSync(dir)) return [];
  const records: ExportedRecord[] = [];
  for (const file of readdirSync(dir)) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      let payload;
      try {
        payload = JSON.parse(line);
      } catch {
        continue; // a line being written right now
      }
      for (const record of otlpLogRecords(payload)) records.push({ ...record, file });
    }
  }
  return records;
}

/** Poll until `count(records) >= want` or the time is up; returns the last read. */
export async function waitForExported(dir: string, want: (records: ExportedRecord[]) => boolean, timeoutMs = 30_000): Promise<ExportedRecord[]> {
  const deadline = Date.now() + timeoutMs;
  let records = readExported(dir);
  while (!want(records) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    records = readExported(dir);
  }
  return records;
}

/** Our line's `ts` (ISO 8601 with nanoseconds) as OTLP's timeUnixNano string. */
export function tsToUnixNano(ts: string): string {
  const match = /^(.*T\d\d:\d\d:\d\d)\.(\d{9})Z$/.exec(ts)!;
  return (BigInt(Date.parse(match[1] + 'Z')) * 1_000_000n + BigInt(match[2]!)).toString();
}
