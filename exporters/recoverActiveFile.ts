import type { FileSystem } from './FileSystem.ts';

/** What an active file holds after a torn last line is cut off. */
export interface RecoveredFile {
  size: number;
  lines: number;
  firstSeq: number;
  lastSeq: number;
  /** `chain` of the last line (audit files). */
  lastChain: string;
  /** Bytes cut off the end (0 when the file ended with a newline). */
  tornBytes: number;
  /** The complete lines kept, for finding gaps near the end. */
  text: string;
}

/** Seqs of the lines of `text` whose seq is greater than `after`, walking back from the end. */
export function seqsAfter(text: string, after: number): number[] {
  const seqs: number[] = [];
  let end = text.length;
  while (end > 0) {
    const start = text.lastIndexOf('\n', end - 2) + 1;
    const match = /"seq":(\d+)/.exec(text.slice(start, Math.min(end, start + 80)));
    end = start;
    if (!match) continue;
    const seq = Number(match[1]);
    if (seq <= after) break;
    seqs.push(seq);
  }
  return seqs;
}

/** seq and chain of the last complete, parseable line of `text` (0/'' when none). */
export function lastRecordOf(text: string): { seq: number; chain: string } {
  let end = text.length;
  while (end > 0) {
    const start = text.lastIndexOf('\n', end - 2) + 1;
    const line = text.slice(start, end).trim();
    end = start;
    if (line === '') continue;
    try {
      const record = JSON.parse(line) as { seq?: unknown; chain?: unknown };
      if (typeof record.seq === 'number') return { seq: record.seq, chain: typeof record.chain === 'string' ? record.chain : '' };
    } catch {
      // An unparseable line mid-file is for `verify` to report; keep looking for the last good one.
    }
    if (start === 0) break;
  }
  return { seq: 0, chain: '' };
}

/**
 * Reopen after a crash: cut a torn last line (bytes after the last newline) and report the
 * seq range and chain the file ends with, so numbering continues without duplicates.
 * Runs once per session open, synchronously, before any record of the session is written.
 */
export function recoverActiveFile(fs: FileSystem, path: string): RecoveredFile {
  let data: Buffer;
  try {
    data = fs.readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { size: 0, lines: 0, firstSeq: 0, lastSeq: 0, lastChain: '', tornBytes: 0, text: '' };
    throw error;
  }
  const lastNewline = data.lastIndexOf(0x0a);
  const keep = lastNewline + 1;
  const tornBytes = data.length - keep;
  if (tornBytes > 0) {
    const fd = fs.openSync(path, 'r+');
    try {
      fs.ftruncateSync(fd, keep);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
  const text = data.subarray(0, keep).toString('utf8');
  let lines = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lines++;
  let firstSeq = 0;
  const firstLine = text.slice(0, text.indexOf('\n'));
  try {
    firstSeq = (JSON.parse(firstLine) as { seq: number }).seq ?? 0;
  } catch {
    firstSeq = 0;
  }
  const last = lastRecordOf(text);
  return { size: keep, lines, firstSeq, lastSeq: last.seq, lastChain: last.chain, tornBytes, text };
}
