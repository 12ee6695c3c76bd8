import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { compileRedactions } from '../../processors/redact.ts';
import { LEVELS } from '../levels.ts';
import { COMPRESSIONS, DURABILITIES, type SessionLoggingConfig, defaultConfig } from './defaults.ts';
import { SIZE_ALLOWED, parseSize } from './parseSize.ts';

/** A configuration value that is not allowed: names the key, the value and what is allowed. */
export class ConfigError extends Error {
  readonly key: string;
  constructor(key: string, message: string) {
    super(message);
    this.name = 'ConfigError';
    this.key = key;
  }
}

const size = { type: ['string', 'integer'], allowed: SIZE_ALLOWED };
const bool = { type: 'boolean', allowed: 'true or false' };

/** Schema of the TOML file; `allowed` is our own keyword, used in error messages. */
const FILE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  allowed: 'the tables [session_logging] and [session_server]',
  properties: {
    // The session server's own table: validated by app/ (the library only reads [session_logging]).
    session_server: { type: 'object', allowed: 'a table' },
    session_logging: {
      type: 'object',
      additionalProperties: false,
      allowed: 'keys enabled, dir, default_level, max_file_size, max_session_size, retention_days, compression, cleanup_on_end, separate_audit_trail, redact, durability, otlp',
      properties: {
        enabled: bool,
        dir: { type: 'string', minLength: 1, allowed: 'a directory path' },
        default_level: { enum: [...LEVELS], allowed: LEVELS.join(', ') },
        max_file_size: size,
        max_session_size: size,
        retention_days: { type: 'number', minimum: 0, allowed: 'a number of days >= 0 (0 keeps ended sessions only until the next prune)' },
        compression: { enum: [...COMPRESSIONS], allowed: COMPRESSIONS.join(', ') },
        cleanup_on_end: bool,
        separate_audit_trail: bool,
        redact: { type: 'array', items: { type: 'string', allowed: 'a regular expression' }, allowed: 'an array of regular expressions' },
        durability: { enum: [...DURABILITIES], allowed: DURABILITIES.join(', ') },
        otlp: {
          type: 'object',
          additionalProperties: false,
          allowed: 'keys enabled, endpoint, headers, service_name',
          properties: {
            enabled: bool,
            endpoint: { type: 'string', pattern: '^https?://', allowed: 'an http:// or https:// URL of the OTLP logs endpoint' },
            headers: { type: 'object', additionalProperties: { type: 'string', allowed: 'a string' }, allowed: 'a table of header = "value"' },
            service_name: { type: 'string', minLength: 1, allowed: 'a non-empty string' },
          },
        },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: false, verbose: true, strict: true, allowUnionTypes: true });
ajv.addKeyword({ keyword: 'allowed', schemaType: 'string' });
const validateFile = ajv.compile(FILE_SCHEMA);

function keyOf(error: ErrorObject): string {
  const path = error.instancePath.split('/').filter(Boolean).join('.');
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return path ? `${path}.${extra}` : extra;
  }
  return path || '(top level)';
}

function describe(error: ErrorObject): string {
  const key = keyOf(error);
  const allowed = (error.parentSchema as { allowed?: string } | undefined)?.allowed ?? error.message ?? 'see docs/configuration.md';
  if (error.keyword === 'additionalProperties') return `unknown key ${key}; allowed: ${allowed}`;
  return `${key} = ${JSON.stringify(error.data)} is not allowed; allowed: ${allowed}`;
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
}

function sizeOf(key: string, value: unknown, source: string): number {
  const bytes = parseSize(value);
  if (bytes === undefined) throw new ConfigError(key, `${source}: ${key} = ${JSON.stringify(value)} is not a size; allowed: ${SIZE_ALLOWED}`);
  return bytes;
}

/**
 * Validate a parsed `{ session_logging: {...} }` document and merge it over the defaults.
 * `source` names where it came from (a file path) for error messages.
 */
export function configFromDocument(document: unknown, source: string): SessionLoggingConfig {
  if (!validateFile(document)) {
    const error = validateFile.errors![0]!;
    throw new ConfigError(keyOf(error), `${source}: ${describe(error)}`);
  }
  const config = defaultConfig();
  const table = (document as { session_logging?: Record<string, unknown> }).session_logging ?? {};
  const key = (name: string) => `session_logging.${name}`;
  if (table.enabled !== undefined) config.enabled = table.enabled as boolean;
  if (table.dir !== undefined) config.dir = resolve(expandHome(table.dir as string));
  if (table.default_level !== undefined) config.defaultLevel = table.default_level as SessionLoggingConfig['defaultLevel'];
  if (table.max_file_size !== undefined) config.maxFileSize = sizeOf(key('max_file_size'), table.max_file_size, source);
  if (table.max_session_size !== undefined) config.maxSessionSize = sizeOf(key('max_session_size'), table.max_session_size, source);
  if (table.retention_days !== undefined) config.retentionDays = table.retention_days as number;
  if (table.compression !== undefined) config.compression = table.compression as SessionLoggingConfig['compression'];
  if (table.cleanup_on_end !== undefined) config.cleanupOnEnd = table.cleanup_on_end as boolean;
  if (table.separate_audit_trail !== undefined) config.separateAuditTrail = table.separate_audit_trail as boolean;
  if (table.durability !== undefined) config.durability = table.durability as SessionLoggingConfig['durability'];
  if (table.redact !== undefined) {
    config.redact = table.redact as string[];
    try {
      compileRedactions(config.redact, key('redact'));
    } catch (error) {
      throw new ConfigError(key('redact'), `${source}: ${(error as Error).message}`);
    }
  }
  const otlp = table.otlp as Record<string, unknown> | undefined;
  if (otlp) {
    if (otlp.enabled !== undefined) config.otlp.enabled = otlp.enabled as boolean;
    if (otlp.endpoint !== undefined) config.otlp.endpoint = otlp.endpoint as string;
    if (otlp.headers !== undefined) config.otlp.headers = { ...(otlp.headers as Record<string, string>) };
    if (otlp.service_name !== undefined) config.otlp.serviceName = otlp.service_name as string;
  }
  if (config.maxSessionSize < config.maxFileSize) {
    throw new ConfigError(key('max_session_size'), `${source}: ${key('max_session_size')} (${config.maxSessionSize} bytes) is smaller than max_file_size (${config.maxFileSize} bytes); allowed: max_session_size >= max_file_size`);
  }
  return config;
}
