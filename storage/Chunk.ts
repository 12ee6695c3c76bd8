import { appendChain, nextChain } from '../format/auditChain.ts';
import type { ActiveFile } from './ActiveFile.ts';
import type { BufferPool } from './BufferPool.ts';

/**
 * What a StreamWriter queues: chunks of encoded lines, each with its file and offset, and
 * rotation markers between them; and how a chunk's text is encoded into a pooled buffer.
 */

/** `,"chain":"<64 hex>"}`: what a chained line adds to its open form. */
export const CHAIN_SUFFIX_BYTES = 76;

/** Lines gathered for the next chunk. */
export interface Builder {
  /** The lines so far, each ended by a newline (system stream): encoded once, when sealed. */
  text: string;
  /** Chained streams keep open lines until sealing, when the chain is computed. */
  lines: string[] | undefined;
  /**
   * UTF-16 length of the chunk (newlines and chain values included), what the chunk's
   * bytes are reckoned at until it is encoded: a UTF-16 unit is 1 to 3 bytes of UTF-8, so
   * the bytes are at least this and at most 3 times it. Measuring each line's bytes
   * (Buffer.byteLength) flattened every line one more time: ~8% of the CPU of writing files.
   */
  chars: number;
  /** Bytes it will have, counted line by line: set when the active file is near maxFileSize, where 3x chars could pass it. */
  bytes: number | undefined;
  count: number;
  first: number;
  last: number;
}

export const QUEUED = 0;
export const WRITTEN = 1;
export const DROPPED = 2;

export interface Chunk {
  rotate: false;
  /** Its bytes; grows while no write has touched it (extendChunk). */
  data: Buffer;
  pooled: Buffer | undefined;
  file: ActiveFile;
  /** Fixed when the chunk is sealed; every write of it, sync or async, goes here. */
  position: number;
  first: number;
  last: number;
  count: number;
  lastChain: string;
  /**
   * A chained stream's chunk, and the chain value it was chained from: re-chained before its
   * first write if a line before it was dropped (from its own bytes: the open lines are not
   * kept, so a chunk waiting to be written holds no strings).
   */
  chained: boolean;
  base: string;
  state: number;
  /** Asynchronous writes under way (its buffer may not be reused until 0). */
  writing: number;
  /** A write of it was tried: a failure may have left part of it in the file. */
  tried: boolean;
}

export interface RotateMarker {
  rotate: true;
  /** Renamed (or given up) already, by the synchronous path. */
  done: boolean;
  /** The file being closed as segment `number`. */
  file: ActiveFile;
  next: ActiveFile;
  number: number;
}

export type Item = Chunk | RotateMarker;

/**
 * One encoding per chunk, into a pooled buffer when it fits. Buffer#write stops at the last
 * whole character that fits, which leaves at most 3 bytes unused: a write that ends further
 * from the end wrote everything.
 */
export function encodeChunk(pool: BufferPool, text: string, chars: number): { data: Buffer; pooled: Buffer | undefined } {
  const size = pool.size;
  if (chars <= size) {
    const pooled = pool.take();
    const written = pooled.write(text, 0);
    if (written < size - 3 || written === Buffer.byteLength(text)) return { data: pooled.subarray(0, written), pooled };
    pool.give(pooled);
  }
  return { data: Buffer.from(text), pooled: undefined };
}

/**
 * Add a sealed builder's lines (`text`, encoded here; `lastChain` after them when chained)
 * to the end of a chunk no write has touched, if its pooled buffer has room: the bytes
 * added, or undefined (the chunk is unchanged).
 */
export function extendChunk(chunk: Chunk, builder: Builder, text: string, lastChain: string): number | undefined {
  if (chunk.pooled === undefined) return undefined;
  const used = chunk.data.length;
  const size = chunk.pooled.length;
  if (used + builder.chars > size) return undefined;
  const written = chunk.pooled.write(text, used);
  if (used + written >= size - 3 && written !== Buffer.byteLength(text)) return undefined; // it did not all fit
  chunk.data = chunk.pooled.subarray(0, used + written);
  chunk.last = builder.last;
  chunk.count += builder.count;
  if (chunk.chained) chunk.lastChain = lastChain;
  return written;
}

/** The open lines (chain values cut off) of a chained chunk's bytes: whole lines, each ending in its chain suffix and a newline. */
export function openLinesOf(data: Buffer): string[] {
  const lines = data.toString('utf8').split('\n');
  lines.pop(); // after the last newline
  return lines.map((line) => line.slice(0, -CHAIN_SUFFIX_BYTES));
}

/** Chain open audit lines from `base`: the text to write and the chain value after the last line. */
export function chainLines(lines: readonly string[], base: string): { text: string; lastChain: string } {
  let head = base;
  let text = '';
  for (const open of lines) {
    head = nextChain(head, open + '}');
    text += appendChain(open, head) + '\n';
  }
  return { text, lastChain: head };
}
