import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';

export interface FileLine {
  text: string;
  lineNumber: number;
  /** True for a last line that has no newline after it (torn by a crash or still being written). */
  torn: boolean;
}

/**
 * The lines of one file, plain, .gz or .zst, in constant memory: chunks are pulled only as
 * lines are consumed (async iteration keeps the stream's backpressure, unlike readline's
 * iterator, which reads ahead without bound). A decompression error (a truncated or corrupt
 * segment) is thrown after the lines that could be read.
 */
export async function* readLines(path: string, handle?: FileHandle): AsyncGenerator<FileLine> {
  // With a handle already open the file is read through it (the stream closes it).
  const source = handle ? createReadStream(path, { fd: handle, highWaterMark: 256 * 1024 }) : createReadStream(path, { highWaterMark: 256 * 1024 });
  const stream: NodeJS.ReadableStream = path.endsWith('.gz') || path.endsWith('.zst')
    ? pipeline(source, path.endsWith('.gz') ? createGunzip() : createZstdDecompress(), () => {})
    : source;
  const decoder = new TextDecoder('utf-8');
  let rest = '';
  let lineNumber = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      rest += decoder.decode(chunk, { stream: true });
      let start = 0;
      for (let end = rest.indexOf('\n'); end !== -1; end = rest.indexOf('\n', start)) {
        yield { text: rest.slice(start, end), lineNumber: ++lineNumber, torn: false };
        start = end + 1;
      }
      rest = rest.slice(start);
    }
  } catch (error) {
    if (rest !== '') yield { text: rest, lineNumber: ++lineNumber, torn: true };
    throw Object.assign(new Error(`${path}: ${(error as Error).message}`), { code: (error as NodeJS.ErrnoException).code });
  }
  rest += decoder.decode();
  if (rest !== '') yield { text: rest, lineNumber: ++lineNumber, torn: true };
}
