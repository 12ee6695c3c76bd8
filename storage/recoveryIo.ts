import { constants, type Stats } from 'node:fs';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { compressionOfFile } from '../format/fileNames.ts';
import type { FileSystem } from './FileSystem.ts';

/**
 * The file-system steps recovery takes, as values: recovery is a generator that yields
 * them, and one of two drivers performs them, asynchronously off the event loop (every
 * reopen) or synchronously (only when metadata.json is lost and seqs must be known at
 * once). One recovery, two ways to run it.
 */
export type IoStep =
  | { op: 'readdir'; path: string }
  | { op: 'unlink'; path: string }
  | { op: 'open'; path: string }
  | { op: 'fstat'; fd: number }
  | { op: 'read'; fd: number; buffer: Buffer; position: number }
  | { op: 'truncate'; fd: number; size: number }
  | { op: 'close'; fd: number }
  | { op: 'readSegment'; path: string }
  | { op: 'stat'; path: string };

/** What each step gives back to the generator. */
export type IoResult = string[] | number | Stats | string | undefined | void;

export type Recovery<T> = Generator<IoStep, T, IoResult>;

/** Active files are opened for repair: read and truncate, never through a link. */
const OPEN_FOR_REPAIR = constants.O_RDWR | constants.O_NOFOLLOW;

function decompressSync(path: string, data: Buffer): string {
  const compression = compressionOfFile(path);
  if (compression === 'gzip') return zlib.gunzipSync(data).toString('utf8');
  if (compression === 'zstd') return zlib.zstdDecompressSync(data).toString('utf8');
  return data.toString('utf8');
}

const gunzip = promisify(zlib.gunzip);
const zstdDecompress = promisify(zlib.zstdDecompress);

async function decompress(path: string, data: Buffer): Promise<string> {
  const compression = compressionOfFile(path);
  if (compression === 'gzip') return (await gunzip(data)).toString('utf8');
  if (compression === 'zstd') return (await zstdDecompress(data)).toString('utf8');
  return data.toString('utf8');
}

function missing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

function stepSync(fs: FileSystem, step: IoStep): IoResult {
  switch (step.op) {
    case 'readdir': return fs.readdirSync(step.path);
    case 'unlink':
      try {
        fs.unlinkSync(step.path);
      } catch (error) {
        if (!missing(error)) throw error;
      }
      return;
    case 'open':
      try {
        return fs.openSync(step.path, OPEN_FOR_REPAIR);
      } catch (error) {
        if (missing(error)) return -1;
        throw error;
      }
    case 'fstat': return fs.fstatSync(step.fd);
    case 'read': return fs.readSync(step.fd, step.buffer, 0, step.buffer.length, step.position);
    case 'truncate':
      fs.ftruncateSync(step.fd, step.size);
      fs.fsyncSync(step.fd);
      return;
    case 'close': return fs.closeSync(step.fd);
    case 'readSegment': return decompressSync(step.path, fs.readFileSync(step.path) as Buffer);
    case 'stat': return fs.statSync(step.path, { throwIfNoEntry: false });
  }
}

/** Run a node:fs callback call as a promise (by hand: promisify would miss fs.read's two results on an injected fs). */
function call<T>(start: (done: (error: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value as T))));
}

async function stepAsync(fs: FileSystem, step: IoStep): Promise<IoResult> {
  const p = fs.promises;
  switch (step.op) {
    case 'readdir': return p.readdir(step.path);
    case 'unlink': return p.unlink(step.path).catch((error) => {
      if (!missing(error)) throw error;
    });
    case 'open':
      try {
        return await call<number>((done) => fs.open(step.path, OPEN_FOR_REPAIR, done));
      } catch (error) {
        if (missing(error)) return -1;
        throw error;
      }
    case 'fstat': return call<Stats>((done) => fs.fstat(step.fd, done));
    case 'read': return call<number>((done) => fs.read(step.fd, step.buffer, 0, step.buffer.length, step.position, (error, bytesRead) => done(error, bytesRead)));
    case 'truncate':
      await call<void>((done) => fs.ftruncate(step.fd, step.size, done));
      await call<void>((done) => fs.fsync(step.fd, done));
      return;
    case 'close': return call<void>((done) => fs.close(step.fd, done));
    case 'readSegment': return decompress(step.path, (await p.readFile(step.path)) as Buffer);
    case 'stat': return p.stat(step.path).catch((error) => {
      if (missing(error)) return undefined;
      throw error;
    });
  }
}

export function runSync<T>(fs: FileSystem, recovery: Recovery<T>): T {
  let result = recovery.next();
  while (!result.done) {
    let value: IoResult;
    try {
      value = stepSync(fs, result.value);
    } catch (error) {
      result = recovery.throw(error);
      continue;
    }
    result = recovery.next(value);
  }
  return result.value;
}

export async function runAsync<T>(fs: FileSystem, recovery: Recovery<T>): Promise<T> {
  let result = recovery.next();
  while (!result.done) {
    let value: IoResult;
    try {
      value = await stepAsync(fs, result.value);
    } catch (error) {
      result = recovery.throw(error);
      continue;
    }
    result = recovery.next(value);
  }
  return result.value;
}
