import type { FileHandle } from 'node:fs/promises';

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

export interface BackwardLine {
  text: string;
  /** True for a last line with no newline after it (torn by a crash or still being written). */
  torn: boolean;
}

/**
 * The lines of a plain file, last first, read in 64 KiB chunks from the end, so the last
 * lines of a large file cost what those of a small one do. Lines are split on the newline
 * byte and decoded one by one (that byte is never part of a multi-byte UTF-8 character).
 * Reads up to the size the file had at the start; the caller closes the handle.
 */
export async function* readLinesBackward(handle: FileHandle): AsyncGenerator<BackwardLine> {
  let position = (await handle.stat()).size;
  // The start of the file up to `position`, after the last newline found: part of a line whose start is further back.
  let carry = Buffer.alloc(0);
  let atEnd = true;
  // The piece after the file's last newline is empty, or a torn line.
  const line = (text: string): BackwardLine | undefined => {
    if (!atEnd) return { text, torn: false };
    atEnd = false;
    return text === '' ? undefined : { text, torn: true };
  };
  while (position > 0) {
    const length = Math.min(CHUNK, position);
    position -= length;
    const chunk = Buffer.allocUnsafe(length);
    const { bytesRead } = await handle.read(chunk, 0, length, position);
    const data = carry.length > 0 ? Buffer.concat([chunk.subarray(0, bytesRead), carry]) : chunk.subarray(0, bytesRead);
    let end = data.length;
    for (let at = data.lastIndexOf(NEWLINE, end - 1); at !== -1; at = end > 0 ? data.lastIndexOf(NEWLINE, end - 1) : -1) {
      const found = line(data.toString('utf8', at + 1, end));
      if (found) yield found;
      end = at;
    }
    carry = Buffer.from(data.subarray(0, end));
  }
  const first = line(carry.toString('utf8'));
  if (first) yield first;
}
