import { type Compression, COMPRESSIONS } from '../../format/fileNames.ts';
import type { Level } from '../levels.ts';
import { DEFAULT_DIR, type Durability, DURABILITIES, LOGGING_OPTIONS, OTLP_OPTIONS, defaultsOf } from './options.ts';

export { COMPRESSIONS, type Compression, DEFAULT_DIR, DURABILITIES, type Durability };

export interface OtlpConfig {
  enabled: boolean;
  /** Full URL of the logs endpoint; undefined lets OTEL_EXPORTER_OTLP_* decide. */
  endpoint?: string | undefined;
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

/** The defaults, as options.ts gives them (the one place they are written). */
export function defaultConfig(): SessionLoggingConfig {
  return { ...defaultsOf(LOGGING_OPTIONS), otlp: defaultsOf(OTLP_OPTIONS) };
}
