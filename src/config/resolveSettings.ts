import { resolve } from 'node:path';
import { type Level } from '../levels.ts';
import { type EnvDirectives, ENV_LEVEL_VARIABLE, parseEnvDirectives } from './envDirectives.ts';
import { type SessionLoggingConfig } from './defaults.ts';
import { ConfigError, configFromDocument } from './loadConfig.ts';
import { LOGGING_OPTIONS, OTLP_OPTIONS } from './options.ts';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The TOML parser, loaded the first time a configuration file is read (most programs never read one). */
function parseToml(text: string): unknown {
  return (createRequire(import.meta.url)('smol-toml') as typeof import('smol-toml')).parse(text);
}

/** Options accepted in code; same keys as the TOML table, camelCase. They take the place of the file's values. */
export interface ConfigOptions {
  /** Path of a TOML file with a [session_logging] table. */
  configFile?: string;
  enabled?: boolean;
  dir?: string;
  defaultLevel?: Level;
  maxFileSize?: number | string;
  maxSessionSize?: number | string;
  retentionDays?: number;
  compression?: SessionLoggingConfig['compression'];
  cleanupOnEnd?: boolean;
  separateAuditTrail?: boolean;
  redact?: string[];
  durability?: SessionLoggingConfig['durability'];
  otlp?: { enabled?: boolean; endpoint?: string; headers?: Record<string, string>; serviceName?: string };
  /** Environment to read CCMUX_SESSION_LOG, SESSION_LOGS_DIR and OTEL_LOGS_EXPORTER from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface Settings {
  readonly config: SessionLoggingConfig;
  readonly env: EnvDirectives;
  /** Level for a session: per-session argument > env directive for that id > env default > file/options > built-in. */
  levelFor(sessionId: string, explicit?: Level): Level;
}

/** Options in code are the TOML keys in camelCase: the name in code of each key, from options.ts. */
const TOML_KEY_OF: ReadonlyMap<string, string> = new Map([...Object.entries(LOGGING_OPTIONS).map(([code, spec]) => [code, spec.toml!] as const), ['otlp', 'otlp']]);
const OTLP_TOML_KEY_OF: ReadonlyMap<string, string> = new Map(Object.entries(OTLP_OPTIONS).map(([code, spec]) => [code, spec.toml!] as const));

/** Read, parse and validate a TOML configuration file; the whole document (the server reads its [session_server] table). */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('(file)', `cannot read configuration file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let document: Record<string, unknown>;
  try {
    document = parseToml(text) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError('(file)', `${path}: not valid TOML: ${(error as Error).message.split('\n')[0]}`);
  }
  configFromDocument(document, path); // validates the file on its own, so errors name the file
  return document;
}

function readTable(path: string): Record<string, unknown> {
  return (readConfigFile(path).session_logging ?? {}) as Record<string, unknown>;
}

const LOGS_EXPORTERS = ['otlp', 'console', 'none'];

/**
 * OTEL_LOGS_EXPORTER, the OTel SDK's switch: a comma list; `otlp` in it turns forwarding on,
 * anything else (`none`, `console`) turns it off. Unset: the configuration decides.
 */
function otlpExporterFromEnv(value: string | undefined): boolean | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const names = value.split(',').map((name) => name.trim());
  if (names.some((name) => !LOGS_EXPORTERS.includes(name))) {
    throw new ConfigError('OTEL_LOGS_EXPORTER', `environment: OTEL_LOGS_EXPORTER = ${JSON.stringify(value)} is not allowed; allowed: ${LOGS_EXPORTERS.join(', ')} or a comma list of them (otlp turns forwarding on)`);
  }
  return names.includes('otlp');
}

/** Merge built-in defaults, the TOML file, options in code and the environment, validating each once. */
export function resolveSettings(options: ConfigOptions = {}): Settings {
  const table: Record<string, unknown> = options.configFile ? { ...readTable(options.configFile) } : {};
  for (const [name, value] of Object.entries(options)) {
    if (name === 'configFile' || name === 'env' || value === undefined) continue;
    const key = TOML_KEY_OF.get(name);
    if (key === undefined) {
      throw new ConfigError(name, `options: unknown option ${name}; allowed: configFile, env, ${[...TOML_KEY_OF.keys()].join(', ')}`);
    }
    if (key === 'otlp') {
      const otlp: Record<string, unknown> = { ...(table.otlp as object | undefined) };
      for (const [option, setting] of Object.entries(value as object)) {
        if (setting === undefined) continue;
        const otlpKey = OTLP_TOML_KEY_OF.get(option);
        if (otlpKey === undefined) throw new ConfigError(`otlp.${option}`, `options: unknown option otlp.${option}; allowed: ${[...OTLP_TOML_KEY_OF.keys()].join(', ')}`);
        otlp[otlpKey] = setting;
      }
      table.otlp = otlp;
    } else {
      table[key] = value;
    }
  }
  const source = options.configFile ? `${options.configFile} with options` : 'options';
  const env = options.env ?? process.env;
  const config = configFromDocument({ session_logging: table }, source);
  if (options.dir === undefined && env.SESSION_LOGS_DIR) config.dir = resolve(env.SESSION_LOGS_DIR);
  const otlpFromEnv = otlpExporterFromEnv(env.OTEL_LOGS_EXPORTER);
  if (options.otlp?.enabled === undefined && otlpFromEnv !== undefined) config.otlp.enabled = otlpFromEnv;
  const directives = parseEnvDirectives(env[ENV_LEVEL_VARIABLE]);
  return {
    config,
    env: directives,
    levelFor(sessionId: string, explicit?: Level): Level {
      return explicit ?? directives.sessions.get(sessionId) ?? directives.defaultLevel ?? config.defaultLevel;
    },
  };
}
