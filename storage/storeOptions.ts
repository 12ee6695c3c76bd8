import { resolve } from 'node:path';
import { COMPRESSIONS, type Compression, DURABILITIES, type Durability, STORE_TUNING, defaultConfig } from '../src/config/defaults.ts';
import { SIZE_ALLOWED, parseSize } from '../src/config/parseSize.ts';
import type { FileSystem } from './FileSystem.ts';

/** Options of a SessionStore (and of SessionFileProcessor / SessionJsonlExporter, which make one). */
export interface StoreOptions {
  /** Root directory; one sub-directory per session. */
  dir: string;
  /** Bytes (or "10MB") at which the active file becomes a numbered segment (default 10MB). */
  maxFileSize?: number | string;
  /** Bytes (or "100MB") past which the oldest segments are removed, recorded (default 100MB). */
  maxSessionSize?: number | string;
  compression?: Compression;
  /** none: written to the OS; audit (default): audit lines fdatasync'ed before flush() resolves; all: every line. */
  durability?: Durability;
  separateAuditTrail?: boolean;
  /** Remove a session's directory when it is closed. */
  cleanupOnEnd?: boolean;
  maxOpenFiles?: number;
  chunkBytes?: number;
  highWaterMark?: number;
  maxBufferedBytes?: number;
  checkIntervalMs?: number;
  fsyncConcurrency?: number;
  /** Called once per fault episode (error) and when it ends (null). Default: OTel diag. */
  onError?: ((sessionId: string, what: string, error: Error | null) => void) | undefined;
  /** Fault injection and clocks for tests. */
  fs?: FileSystem | undefined;
  clock?: (() => Date) | undefined;
}

export interface ValidStoreOptions {
  dir: string;
  maxFileSize: number;
  maxSessionSize: number;
  compression: Compression;
  durability: Durability;
  separateAuditTrail: boolean;
  cleanupOnEnd: boolean;
  maxOpenFiles: number;
  chunkBytes: number;
  highWaterMark: number;
  maxBufferedBytes: number;
  checkIntervalMs: number;
  fsyncConcurrency: number;
  onError: ((sessionId: string, what: string, error: Error | null) => void) | undefined;
  fs: FileSystem | undefined;
  clock: () => Date;
}

function fail(key: string, value: unknown, allowed: string): never {
  throw new RangeError(`SessionStore: ${key} = ${JSON.stringify(value) ?? String(value)} is not allowed; allowed: ${allowed}`);
}

function integer(key: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) fail(key, value, `an integer >= ${min}`);
  return value;
}

function oneOf<T extends string>(key: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) fail(key, value, allowed.join(', '));
  return value as T;
}

function bool(key: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(key, value, 'true or false');
  return value;
}

function size(key: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  return parseSize(value) ?? fail(key, value, SIZE_ALLOWED);
}

/** Every store option checked once, where the store is made; the message names the option, the value and what is allowed. */
export function validateStoreOptions(options: StoreOptions): ValidStoreOptions {
  if (options === null || typeof options !== 'object') throw new TypeError('SessionStore: options must be an object with at least dir (the root directory for session logs)');
  if (typeof options.dir !== 'string' || options.dir === '') fail('dir', options.dir, 'the root directory for session logs (a non-empty string)');
  const defaults = defaultConfig();
  const maxFileSize = size('maxFileSize', options.maxFileSize, defaults.maxFileSize);
  const maxSessionSize = size('maxSessionSize', options.maxSessionSize, defaults.maxSessionSize);
  if (maxSessionSize < maxFileSize) fail('maxSessionSize', options.maxSessionSize, `a size >= maxFileSize (${maxFileSize} bytes)`);
  for (const key of ['onError', 'clock'] as const) if (options[key] !== undefined && typeof options[key] !== 'function') fail(key, options[key], 'a function');
  return {
    dir: resolve(options.dir),
    maxFileSize,
    maxSessionSize,
    compression: oneOf('compression', options.compression, COMPRESSIONS, defaults.compression),
    durability: oneOf('durability', options.durability, DURABILITIES, defaults.durability),
    separateAuditTrail: bool('separateAuditTrail', options.separateAuditTrail, defaults.separateAuditTrail),
    cleanupOnEnd: bool('cleanupOnEnd', options.cleanupOnEnd, defaults.cleanupOnEnd),
    maxOpenFiles: integer('maxOpenFiles', options.maxOpenFiles, STORE_TUNING.maxOpenFiles, 2),
    chunkBytes: integer('chunkBytes', options.chunkBytes, STORE_TUNING.chunkBytes, 1024),
    highWaterMark: integer('highWaterMark', options.highWaterMark, STORE_TUNING.highWaterMark, 1024),
    maxBufferedBytes: integer('maxBufferedBytes', options.maxBufferedBytes, STORE_TUNING.maxBufferedBytes, 1024),
    checkIntervalMs: integer('checkIntervalMs', options.checkIntervalMs, STORE_TUNING.checkIntervalMs, 0),
    fsyncConcurrency: integer('fsyncConcurrency', options.fsyncConcurrency, STORE_TUNING.fsyncConcurrency, 1),
    onError: options.onError,
    fs: options.fs,
    clock: options.clock ?? (() => new Date()),
  };
}
