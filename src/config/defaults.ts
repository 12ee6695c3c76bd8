import { homedir } from 'node:os';
import { join } from 'node:path';
import { COMPRESSIONS, type Compression } from '../../format/fileNames.ts';
import { type Level, DEFAULT_LEVEL } from '../levels.ts';

export { COMPRESSIONS, type Compression };

export const DURABILITIES = ['none', 'audit', 'all'] as const;
/** none: flushed by the OS; audit: audit records fsynced promptly; all: every flush fsynced. */
export type Durability = (typeof DURABILITIES)[number];

export interface OtlpConfig {
  enabled: boolean;
  /** Full URL of the logs endpoint; undefined lets OTEL_EXPORTER_OTLP_* decide. */
  endpoint?: string;
  headers: Record<string, string>;
  serviceName: string;
}

/** The resolved `[session_logging]` configuration, with every default applied. */
export interface SessionLoggingConfig {
  enabled: boolean;
  dir: string;
  defaultLevel: Level;
  maxFileSize: number;
  maxSessionSize: number;
  retentionDays: number;
  compression: Compression;
  cleanupOnEnd: boolean;
  separateAuditTrail: boolean;
  redact: string[];
  durability: Durability;
  otlp: OtlpConfig;
}

export const DEFAULT_DIR = join(homedir(), '.ccmux', 'logs');

/** Every default in one place. */
export function defaultConfig(): SessionLoggingConfig {
  return {
    enabled: true,
    dir: DEFAULT_DIR,
    defaultLevel: DEFAULT_LEVEL,
    maxFileSize: 10 * 1024 * 1024,
    maxSessionSize: 100 * 1024 * 1024,
    retentionDays: 7,
    compression: 'gzip',
    cleanupOnEnd: false,
    separateAuditTrail: true,
    redact: [],
    durability: 'audit',
    otlp: { enabled: false, headers: {}, serviceName: 'otel-session-logs' },
  };
}

/** Tuning of the session store (options in code only, not in the TOML file). */
export const STORE_TUNING = {
  /** Open descriptors kept at most; idle files past it are closed and reopened on demand. */
  maxOpenFiles: 256,
  /** Bytes of lines gathered before a chunk is written (also the size of pooled chunk buffers). */
  chunkBytes: 64 * 1024,
  /** Bytes queued in one file past which appends write synchronously. */
  highWaterMark: 1024 * 1024,
  /** Bytes buffered across all sessions past which appends write synchronously. */
  maxBufferedBytes: 64 * 1024 * 1024,
  /** How often (ms) each active file is checked for being deleted or replaced. */
  checkIntervalMs: 1000,
  /** fdatasync calls run at once by the group commit (the libuv pool has 4 threads by default). */
  fsyncConcurrency: 2,
} as const;
