import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { COMPRESSIONS } from '../../format/fileNames.ts';
import { LEVELS } from '../levels.ts';
import { defaultMaxOpenFiles } from './openFileLimit.ts';
import { SIZE_ALLOWED, parseSize } from './parseSize.ts';

/**
 * Every option of the library in one place: its name in code, its key in the TOML table
 * `[session_logging]` (none for tuning that only code sets), what it allows, its default,
 * and how a value becomes the setting. The TOML file, options in code and the store's own
 * options are all checked against this table, with one message style: the key, the value,
 * what is allowed. Adding an option is one entry here and its line in docs/configuration.md.
 */
export interface OptionSpec<T> {
  /** Key in `[session_logging]`; undefined for options only code can set. */
  readonly toml: string | undefined;
  readonly allowed: string;
  readonly default: T;
  /** The setting for `value`, or undefined when it is not allowed. */
  read(value: unknown): T | undefined;
  /** What the message says of a value that is not allowed (default "is not allowed"). */
  readonly rejected?: string;
}

export const DURABILITIES = ['none', 'audit', 'all'] as const;
/** none: written to the OS; audit: audit records fdatasync'ed before flush() resolves; all: every record. */
export type Durability = (typeof DURABILITIES)[number];

const bool = (toml: string | undefined, fallback: boolean): OptionSpec<boolean> => ({
  toml, allowed: 'true or false', default: fallback, read: (value) => (typeof value === 'boolean' ? value : undefined),
});

const oneOf = <T extends string>(toml: string, values: readonly T[], fallback: T): OptionSpec<T> => ({
  toml, allowed: values.join(', '), default: fallback, read: (value) => (values.includes(value as T) ? (value as T) : undefined),
});

const size = (toml: string, fallback: number): OptionSpec<number> => ({
  toml, allowed: SIZE_ALLOWED, default: fallback, read: parseSize, rejected: 'is not a size',
});

const integer = (min: number, fallback: number, what = 'an integer', max = Number.MAX_SAFE_INTEGER): OptionSpec<number> => ({
  toml: undefined, allowed: max === Number.MAX_SAFE_INTEGER ? `${what} >= ${min}` : `${what} from ${min} to ${max}`, default: fallback,
  read: (value) => (typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max ? value : undefined),
});

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
}

export const DEFAULT_DIR = join(homedir(), '.ccmux', 'logs');

/** `[session_logging]` and its options in code (camelCase), with their defaults. */
export const LOGGING_OPTIONS = {
  enabled: bool('enabled', true),
  dir: {
    toml: 'dir', allowed: 'a directory path', default: DEFAULT_DIR,
    read: (value: unknown) => (typeof value === 'string' && value !== '' ? resolve(expandHome(value)) : undefined),
  } satisfies OptionSpec<string>,
  defaultLevel: oneOf('default_level', LEVELS, 'signals'),
  maxFileSize: size('max_file_size', 10 * 1024 * 1024),
  maxSessionSize: size('max_session_size', 100 * 1024 * 1024),
  retentionDays: {
    toml: 'retention_days', allowed: 'a number of days >= 0 (0 keeps ended sessions only until the next prune)', default: 7,
    read: (value: unknown) => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined),
  } satisfies OptionSpec<number>,
  compression: oneOf('compression', COMPRESSIONS, 'gzip'),
  cleanupOnEnd: bool('cleanup_on_end', false),
  separateAuditTrail: bool('separate_audit_trail', true),
  redact: {
    toml: 'redact', allowed: 'an array of regular expressions (RE2 syntax)', default: [] as string[],
    read: (value: unknown) => (Array.isArray(value) && value.every((item) => typeof item === 'string') ? [...value] : undefined),
  } satisfies OptionSpec<string[]>,
  durability: oneOf('durability', DURABILITIES, 'audit'),
} as const;

/** `[session_logging.otlp]`: forwarding over OTLP/HTTP. */
export const OTLP_OPTIONS = {
  enabled: bool('enabled', false),
  endpoint: {
    toml: 'endpoint', allowed: 'an http:// or https:// URL of the OTLP logs endpoint', default: undefined as string | undefined,
    read: (value: unknown) => (typeof value === 'string' && /^https?:\/\//.test(value) ? value : undefined),
  } satisfies OptionSpec<string | undefined>,
  headers: {
    toml: 'headers', allowed: 'a table of header = "value"', default: {} as Record<string, string>,
    read: (value: unknown) => (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string') ? { ...(value as Record<string, string>) } : undefined),
  } satisfies OptionSpec<Record<string, string>>,
  serviceName: {
    toml: 'service_name', allowed: 'a non-empty string', default: 'otel-session-logs',
    read: (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined),
  } satisfies OptionSpec<string>,
} as const;

/** Tuning of the session store: options in code only. */
export const STORE_TUNING_OPTIONS = {
  /** Open descriptors kept at most; idle files past it are closed and reopened on demand (default: a quarter of the process's limit, 256-8,192). */
  maxOpenFiles: {
    ...integer(2, 256),
    // Read from /proc when a store is made, not when the module loads (the CLI's reading commands never need it).
    get default() {
      return defaultMaxOpenFiles();
    },
  },
  /** Bytes of lines gathered before a chunk is written (also the size of the pooled chunk buffers). */
  chunkBytes: integer(1024, 64 * 1024, 'a byte count'),
  /** Bytes queued in one file past which appends write synchronously. */
  highWaterMark: integer(1024, 256 * 1024, 'a byte count'),
  /** Bytes buffered across all sessions past which appends write synchronously. */
  maxBufferedBytes: integer(1024, 64 * 1024 * 1024, 'a byte count'),
  /**
   * How long (ms) a chunk whose buffer has room may wait for the next lines before it is
   * written, when nobody waits for it (flush, drain, an acknowledgement): fewer, larger
   * writes for busy sessions. 0 writes each turn's lines at once.
   */
  writeDelayMs: integer(0, 5, 'a number of milliseconds', 1000),
  /** How often (ms) each active file is checked for being deleted or replaced. */
  checkIntervalMs: integer(0, 1000, 'a number of milliseconds'),
  /** fdatasync calls the group commit runs at once (the libuv pool has 4 threads by default). */
  fsyncConcurrency: integer(1, 2),
} as const;

/** An option value that is not allowed: names the key, the value and what is allowed. */
export class ConfigError extends Error {
  readonly key: string;
  constructor(key: string, message: string) {
    super(message);
    this.name = 'ConfigError';
    this.key = key;
  }
}

function shown(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** The setting for `value` of `spec` (its default when undefined), or a ConfigError saying what `key` allows. */
export function readOption<T>(spec: OptionSpec<T>, value: unknown, key: string, where: string): T {
  if (value === undefined) return spec.default;
  const read = spec.read(value);
  if (read === undefined) throw new ConfigError(key, `${where}${key} = ${shown(value)} ${spec.rejected ?? 'is not allowed'}; allowed: ${spec.allowed}`);
  return read;
}

/** Read every option of `specs` from `values` (keys as in code, or as in TOML); unknown keys are refused. */
export function readOptions<S extends Record<string, OptionSpec<unknown>>>(specs: S, values: Record<string, unknown>, names: 'code' | 'toml', prefix: string, where: string): { [K in keyof S]: S[K]['default'] } {
  const byName = new Map(Object.entries(specs).map(([code, spec]) => [names === 'code' ? code : spec.toml, code] as const));
  for (const name of Object.keys(values)) {
    if (!byName.has(name)) {
      throw new ConfigError(`${prefix}${name}`, `${where}unknown ${names === 'code' ? 'option' : 'key'} ${prefix}${name}; allowed: ${names === 'code' ? '' : 'keys '}${[...byName.keys()].join(', ')}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [name, code] of byName) out[code] = readOption(specs[code]!, values[name as string], `${prefix}${name}`, where);
  return out as { [K in keyof S]: S[K]['default'] };
}

/** Every default of a table of options. */
export function defaultsOf<S extends Record<string, OptionSpec<unknown>>>(specs: S): { [K in keyof S]: S[K]['default'] } {
  return Object.fromEntries(Object.entries(specs).map(([code, spec]) => [code, structuredClone(spec.default)])) as { [K in keyof S]: S[K]['default'] };
}
