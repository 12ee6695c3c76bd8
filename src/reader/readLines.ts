import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';

export interface FileLine {
  text: string;
  lineNumber: number;
  /** True for a last line that has no newline after it (torn by a crash or still being written). */
  torn: boolean;
}

/**
 * The lines of one file, plain, .gz or .zst, streamed in constant memory. A decompression
 * error (a truncated or corrupt segment) is thrown after the lines that could be read.
 */
export async function* readLines(path: string): AsyncGenerator<FileLine> {
  const source = createReadStream(path);
  const decompressor = path.endsWith('.gz') ? createGunzip() : path.endsWith('.zst') ? createZstdDecompress() : undefined;
  const text = new PassThrough();
  let lastByte = 0x0a;
  let failure: Error | undefined;
  const input: NodeJS.ReadableStream = decompressor ? source.pipe(decompressor) : source;
  source.on('error', (error) => text.destroy(error));
  decompressor?.on('error', (error) => {
    failure = error;
    text.end();
  });
  input.on('data', (chunk: Buffer) => {
    if (chunk.length > 0) lastByte = chunk[chunk.length - 1]!;
  });
  input.pipe(text);
  const lines = createInterface({ input: text, crlfDelay: Infinity });
  // Hold each line back by one, so the last can be told apart (torn or not).
  let previous: string | undefined;
  let lineNumber = 0;
  for await (const line of lines) {
    if (previous !== undefined) yield { text: previous, lineNumber, torn: false };
    previous = line;
    lineNumber++;
  }
  if (previous !== undefined) yield { text: previous, lineNumber, torn: lastByte !== 0x0a };
  if (failure) throw Object.assign(new Error(`${path}: ${failure.message}`), { code: (failure as NodeJS.ErrnoException).code });
}
