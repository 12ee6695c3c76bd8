import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Stream } from '../format/fileNames.ts';
import { assertSessionId } from '../format/sessionId.ts';
import { readLines } from './readLines.ts';
import { type ReadFilters, type SessionRecord, parseRecord, recordFilter } from './readSession.ts';
import { type SessionFile, segmentBefore, withSegment } from './sessionFiles.ts';

export interface FollowOptions {
  filters?: ReadFilters;
  /** Per file, the last seq already seen: only later records are yielded (default 0: everything). */
  after?: Partial<Record<Stream, number>>;
  /** How often the files are checked (default 200 ms). */
  pollMs?: number;
  /** Ends the follow. */
  signal?: AbortSignal;
}

const CHUNK = 64 * 1024;

/**
 * Follows one stream's active file through an open handle, reading only bytes added since
 * the last poll. A rotation (the path now names another file) is seen by inode: the old
 * handle is read to its end (the writer renames only after its last write), then segments
 * rotated since are read by seq and the new active file is opened.
 */
class StreamFollower {
  private readonly path: string;
  private readonly dir: string;
  private readonly stream: Stream;
  private handle: FileHandle | undefined;
  private ino = 0;
  private offset = 0;
  private pending: Buffer = Buffer.alloc(0);
  lastSeq: number;

  constructor(dir: string, stream: Stream, lastSeq: number) {
    this.dir = dir;
    this.stream = stream;
    this.path = join(dir, `${stream}.jsonl`);
    this.lastSeq = lastSeq;
  }

  async poll(out: SessionRecord[]): Promise<void> {
    if (this.handle) {
      await this.drain(out);
      const ino = await fsp.stat(this.path).then((s) => s.ino, () => 0);
      if (ino === this.ino) return;
      await this.drain(out); // rotated: whatever reached the old file before the rename
      await this.close();
    }
    try {
      this.handle = await fsp.open(this.path, 'r');
    } catch {
      return; // not created yet, or the session directory went away: look again next poll
    }
    this.ino = (await this.handle.stat()).ino;
    this.offset = 0;
    this.pending = Buffer.alloc(0);
    // Opened first, then caught up: a rotation in between shows up as a segment, never a skip.
    await this.catchUp(out);
    await this.drain(out);
  }

  /** Segments holding seqs past lastSeq (rotated while we were not looking), oldest first. */
  private async catchUp(out: SessionRecord[]): Promise<void> {
    // Newest first, down to the one that holds lastSeq (it may go on past it).
    const newer: number[] = [];
    for (let number = Infinity; ;) {
      const segment = this.segmentBefore(number);
      if (!segment) break;
      const first = await this.withSegment(segment.number, async (path) => {
        for await (const line of readLines(path)) return parseRecord(line.text)?.seq;
        return undefined;
      });
      if (first === undefined) break;
      newer.push(segment.number);
      if (first <= this.lastSeq) break;
      number = segment.number;
    }
    for (const number of newer.reverse()) {
      await this.withSegment(number, async (path, name) => {
        for await (const { text, lineNumber, torn } of readLines(path)) {
          if (!torn) this.take(text, name, lineNumber, out);
        }
      });
    }
  }

  private segmentBefore(number: number): SessionFile | undefined {
    return segmentBefore(this.dir, this.stream, number);
  }

  /** Run `read` on segment `number`; undefined when it is gone or damaged (verify reports that). */
  private async withSegment<T>(number: number, read: (path: string, name: string) => Promise<T>): Promise<T | undefined> {
    try {
      return await withSegment(this.dir, this.stream, number, (file) => read(file.path, file.name));
    } catch {
      return undefined;
    }
  }

  private async drain(out: SessionRecord[]): Promise<void> {
    const handle = this.handle!;
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, this.offset);
      if (bytesRead === 0) return;
      this.offset += bytesRead;
      const data = this.pending.length > 0 ? Buffer.concat([this.pending, buffer.subarray(0, bytesRead)]) : buffer.subarray(0, bytesRead);
      let start = 0;
      for (let end = data.indexOf(0x0a); end !== -1; end = data.indexOf(0x0a, start)) {
        this.take(data.toString('utf8', start, end), `${this.stream}.jsonl`, 0, out);
        start = end + 1;
      }
      // A line still being written waits for the rest of it (copied: `buffer` is reused).
      this.pending = Buffer.from(data.subarray(start));
    }
  }

  private take(text: string, file: string, lineNumber: number, out: SessionRecord[]): void {
    const record = text === '' ? undefined : parseRecord(text);
    if (!record || record.seq <= this.lastSeq) return;
    this.lastSeq = record.seq;
    out.push({ record, line: text, file, lineNumber });
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    this.ino = 0;
    await handle?.close();
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Records of a session as they are written, across rotations, until `signal` aborts.
 * Each file is followed by its own last seq (one file can be written later than the other:
 * audit chunks wait for their fsync), so nothing is skipped or repeated; within a poll the
 * records of both files are yielded in seq order. Line numbers are not tracked (0).
 */
export async function* followSession(root: string, sessionId: string, options: FollowOptions = {}): AsyncGenerator<SessionRecord> {
  assertSessionId(sessionId);
  const dir = join(root, sessionId);
  const matches = recordFilter(options.filters ?? {});
  const followers = (['system', 'audit'] as const).map((stream) => new StreamFollower(dir, stream, options.after?.[stream] ?? 0));
  try {
    while (!options.signal?.aborted) {
      const fresh: SessionRecord[] = [];
      for (const follower of followers) await follower.poll(fresh);
      fresh.sort((a, b) => a.record.seq - b.record.seq);
      for (const item of fresh) if (matches(item.record)) yield item;
      await sleep(options.pollMs ?? 200, options.signal);
    }
  } finally {
    for (const follower of followers) await follower.close();
  }
}
