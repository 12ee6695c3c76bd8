import type { LogLine, ReadProblem } from '../../../reader/readSession.ts';

const COLOURS: Record<string, string> = { audit: '\x1b[36m', ERROR: '\x1b[31m', WARN: '\x1b[33m' };
const RESET = '\x1b[0m';
/** Where text may be cut: after a space, a path or list separator. */
const BOUNDARY = new Set([' ', '\t', '\n', '/', ',', ';', ':', '=']);

/**
 * `text` in at most `width` characters: cut at the last word boundary that keeps at least
 * half of it (a word cut in two reads as another word), else at the width; "..." marks the cut.
 */
export function shorten(text: string, width: number): string {
  if (text.length <= width) return text;
  const room = width - 3;
  for (let at = room; at >= room / 2; at--) {
    if (BOUNDARY.has(text[at - 1]!)) return text.slice(0, at).trimEnd() + '...';
  }
  return text.slice(0, room) + '...';
}

function excerpt(value: unknown, width: number): string {
  return shorten(value === null || value === undefined ? '' : JSON.stringify(value), width);
}

/** One record as aligned human columns: seq, time, category, event, body, attrs. */
export function formatRecord(record: LogLine, colour: boolean): string {
  const time = record.ts.slice(11, 23);
  const attrs = shorten(Object.entries(record.attrs ?? {}).map(([key, value]) => `${key}=${typeof value === 'string' ? JSON.stringify(value).slice(1, -1) : JSON.stringify(value)}`).join(' '), 100);
  const body = record.body_encoding === 'base64' ? `<${Buffer.from(String(record.body), 'base64').length} bytes>` : excerpt(record.body, 60);
  let line = `${String(record.seq).padStart(7)} ${time} ${record.category.padEnd(6)} ${record.event.padEnd(18)} ${body.padEnd(60)} ${attrs}`.trimEnd();
  const colourOf = COLOURS[record.severity] ?? COLOURS[record.category];
  if (colour && colourOf) line = colourOf + line + RESET;
  return line;
}

/** A line that could not be read, as `file[:line]: kind: message` (line 0: not known, e.g. read from the end). */
export function problemText(problem: ReadProblem): string {
  return `${problem.file}${problem.lineNumber > 0 ? `:${problem.lineNumber}` : ''}: ${problem.kind}: ${problem.message}`;
}
