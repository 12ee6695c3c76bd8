import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One log record as the Collector's file exporter wrote it (OTLP/JSON), flattened. */
export interface ExportedRecord {
  resource: Record<string, unknown>;
  attributes: Record<string, unknown>;
  eventName: string | undefined;
  body: unknown;
  severityText: string | undefined;
  timeUnixNano: string;
  file: string;
}

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number; kvlistValue?: unknown };
function valueOf(v: AnyValue | undefined): unknown {
  if (!v || Object.keys(v).length === 0) return null;
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('boolValue' in v) return v.boolValue;
  if ('doubleValue' in v) return v.doubleValue;
  return v;
}
function attributesOf(list: Array<{ key: string; value: AnyValue }> = []): Record<string, unknown> {
  return Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));
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
      for (const resourceLogs of payload.resourceLogs ?? []) {
        const resource = attributesOf(resourceLogs.resource?.attributes);
        for (const scope of resourceLogs.scopeLogs ?? []) {
          for (const record of scope.logRecords ?? []) {
            records.push({
              resource, attributes: attributesOf(record.attributes), eventName: record.eventName,
              body: valueOf(record.body), severityText: record.severityText, timeUnixNano: String(record.timeUnixNano), file,
            });
          }
        }
      }
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
