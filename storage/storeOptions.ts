import type { Compression } from '../format/fileNames.ts';
import { ConfigError, type Durability, LOGGING_OPTIONS, STORE_TUNING_OPTIONS, readOption, readOptions } from '../src/config/options.ts';
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
  writeDelayMs?: number;
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
  writeDelayMs: number;
  fsyncConcurrency: number;
  onError: ((sessionId: string, what: string, error: Error | null) => void) | undefined;
  fs: FileSystem | undefined;
  clock: () => Date;
}

/** Every store option checked once, where the store is made, against src/config/options.ts (the message names the option, the value and what is allowed). */
export function validateStoreOptions(options: StoreOptions): ValidStoreOptions {
  if (options === null || typeof options !== 'object') throw new TypeError('SessionStore: options must be an object with at least dir (the root directory for session logs)');
  const where = 'SessionStore: ';
  const { dir, onError, fs, clock, maxFileSize, maxSessionSize, compression, durability, separateAuditTrail, cleanupOnEnd, ...tuning } = options;
  for (const [key, value] of [['onError', onError], ['clock', clock]] as const) {
    if (value !== undefined && typeof value !== 'function') throw new ConfigError(key, `${where}${key} = ${String(value)} is not allowed; allowed: a function`);
  }
  const o = LOGGING_OPTIONS;
  const valid: ValidStoreOptions = {
    dir: readOption(o.dir, dir ?? null, 'dir', where),
    maxFileSize: readOption(o.maxFileSize, maxFileSize, 'maxFileSize', where),
    maxSessionSize: readOption(o.maxSessionSize, maxSessionSize, 'maxSessionSize', where),
    compression: readOption(o.compression, compression, 'compression', where),
    durability: readOption(o.durability, durability, 'durability', where),
    separateAuditTrail: readOption(o.separateAuditTrail, separateAuditTrail, 'separateAuditTrail', where),
    cleanupOnEnd: readOption(o.cleanupOnEnd, cleanupOnEnd, 'cleanupOnEnd', where),
    ...readOptions(STORE_TUNING_OPTIONS, Object.fromEntries(Object.entries(tuning).filter(([, value]) => value !== undefined)), 'code', '', where),
    onError, fs, clock: clock ?? (() => new Date()),
  };
  if (valid.maxSessionSize < valid.maxFileSize) throw new ConfigError('maxSessionSize', `${where}maxSessionSize = ${valid.maxSessionSize} is not allowed; allowed: a size >= maxFileSize (${valid.maxFileSize} bytes)`);
  return valid;
}
