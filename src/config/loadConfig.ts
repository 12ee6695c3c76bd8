import { compileRedactions } from '../../processors/redact.ts';
import type { SessionLoggingConfig } from './defaults.ts';
import { ConfigError, LOGGING_OPTIONS, OTLP_OPTIONS, readOptions } from './options.ts';

export { ConfigError };

const TABLES = ['session_logging', 'session_server'];

function isTable(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Validate a parsed `{ session_logging: {...} }` document against options.ts and merge it
 * over the defaults. `source` names where it came from (a file path) for error messages.
 * The `[session_server]` table belongs to the server (app/server/serverConfig.ts).
 */
export function configFromDocument(document: unknown, source: string): SessionLoggingConfig {
  const where = `${source}: `;
  if (!isTable(document)) throw new ConfigError('(top level)', `${where}not a table of settings; allowed: the tables [session_logging] and [session_server]`);
  for (const name of Object.keys(document)) {
    if (!TABLES.includes(name)) throw new ConfigError(name, `${where}unknown key ${name}; allowed: the tables [session_logging] and [session_server]`);
  }
  const raw = document.session_logging ?? {};
  if (!isTable(raw)) throw new ConfigError('session_logging', `${where}session_logging = ${JSON.stringify(raw)} is not allowed; allowed: the table [session_logging]`);
  const { otlp, ...table } = raw;
  if (otlp !== undefined && !isTable(otlp)) throw new ConfigError('session_logging.otlp', `${where}session_logging.otlp = ${JSON.stringify(otlp)} is not allowed; allowed: the table [session_logging.otlp]`);
  const config: SessionLoggingConfig = {
    ...readOptions(LOGGING_OPTIONS, table, 'toml', 'session_logging.', where),
    otlp: readOptions(OTLP_OPTIONS, otlp ?? {}, 'toml', 'session_logging.otlp.', where),
  };
  try {
    compileRedactions(config.redact, 'session_logging.redact');
  } catch (error) {
    throw new ConfigError('session_logging.redact', `${where}${(error as Error).message}`);
  }
  if (config.maxSessionSize < config.maxFileSize) {
    throw new ConfigError('session_logging.max_session_size', `${where}session_logging.max_session_size (${config.maxSessionSize} bytes) is smaller than max_file_size (${config.maxFileSize} bytes); allowed: max_session_size >= max_file_size`);
  }
  return config;
}
