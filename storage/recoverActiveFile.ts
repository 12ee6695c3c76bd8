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

const CHUNK = 1024 * 1024;
/** The end of the file kept as text: enough for the last records and for gaps near the end. */
const TAIL = 4 * CHUNK;

/**
 * Reopen after a crash: cut a torn last line (bytes after the last newline) and report the
 * seq range and chain the file ends with, so numbering continues without duplicates.
 * Runs once per session open, before any record of the session is written; reads the file
 * in 1 MiB chunks and keeps only its last few MiB, so memory does not grow with the file.
 */
export function recoverActiveFile(fs: FileSystem, path: string): RecoveredFile {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { size: 0, lines: 0, firstSeq: 0, lastSeq: 0, lastChain: '', tornBytes: 0, text: '' };
    throw error;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const buffer = Buffer.allocUnsafe(CHUNK);
    let lines = 0;
    let lastNewline = -1;
    let head = '';
    const tail: Buffer[] = [];
    let tailBytes = 0;
    for (let position = 0; position < size; ) {
      const read = fs.readSync(fd, buffer, 0, Math.min(CHUNK, size - position), position);
      if (read === 0) break;
      const chunk = buffer.subarray(0, read);
      for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, at + 1)) {
        lines++;
        lastNewline = position + at;
      }
      if (position === 0) head = chunk.subarray(0, 100).toString('latin1'); // `seq` is the second key
      tail.push(Buffer.from(chunk));
      tailBytes += read;
      while (tail.length > 1 && tailBytes - tail[0]!.length >= TAIL) tailBytes -= tail.shift()!.length;
      position += read;
    }
    const keep = lastNewline + 1;
    const tornBytes = size - keep;
    if (tornBytes > 0) {
      fs.ftruncateSync(fd, keep);
      fs.fsyncSync(fd);
    }
    // Tail text from the first complete line in the window to the last newline.
    const window = Buffer.concat(tail);
    const windowStart = size - window.length;
    let text = window.subarray(0, Math.max(0, keep - windowStart)).toString('utf8');
    if (windowStart > 0) text = text.slice(text.indexOf('\n') + 1);
    const firstSeq = keep > 0 ? Number(/^\{"ts":"[^"]*","seq":(\d+)/.exec(head)?.[1] ?? 0) : 0;
    const last = lastRecordOf(text);
    return { size: keep, lines, firstSeq, lastSeq: last.seq, lastChain: last.chain, tornBytes, text };
  } finally {
    fs.closeSync(fd);
  }
}
