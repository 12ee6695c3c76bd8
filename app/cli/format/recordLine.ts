import type { LogLine } from '../../../reader/readSession.ts';

const COLOURS: Record<string, string> = { audit: '\x1b[36m', ERROR: '\x1b[31m', WARN: '\x1b[33m' };
const RESET = '\x1b[0m';

function truncate(text: string, width: number): string {
  return text.length > width ? text.slice(0, width - 3) + '...' : text;
}

function excerpt(value: unknown, width: number): string {
  return truncate(value === null || value === undefined ? '' : JSON.stringify(value), width);
}

/** One record as aligned human columns: seq, time, category, event, body, attrs. */
export function formatRecord(record: LogLine, colour: boolean): string {
  const time = record.ts.slice(11, 23);
  const attrs = truncate(Object.entries(record.attrs ?? {}).map(([key, value]) => `${key}=${typeof value === 'string' ? JSON.stringify(value).slice(1, -1) : JSON.stringify(value)}`).join(' '), 100);
  const body = record.body_encoding === 'base64' ? `<${Buffer.from(String(record.body), 'base64').length} bytes>` : excerpt(record.body, 60);
  let line = `${String(record.seq).padStart(7)} ${time} ${record.category.padEnd(6)} ${record.event.padEnd(18)} ${body.padEnd(60)} ${attrs}`.trimEnd();
  const colourOf = COLOURS[record.severity] ?? COLOURS[record.category];
  if (colour && colourOf) line = colourOf + line + RESET;
  return line;
}
