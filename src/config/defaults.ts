import { homedir } from 'node:os';
import { join } from 'node:path';
import { type Level, DEFAULT_LEVEL } from '../levels.ts';

import { COMPRESSIONS, type Compression } from '../../format/fileNames.ts';

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
