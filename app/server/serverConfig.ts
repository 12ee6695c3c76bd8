import { ConfigError } from '../../src/config/loadConfig.ts';
import { readConfigFile } from '../../src/config/resolveSettings.ts';
import { DEFAULTS } from '../session/SessionManager.ts';
import type { SessionEnvPolicy } from '../session/sessionEnvironment.ts';

/** The server's settings from the `[session_server]` table, as SessionServer options. */
export interface ServerConfig {
  sessionEnv?: SessionEnvPolicy;
  sessionEnvDeny?: string[];
  maxSessions?: number;
  terminateGraceMs?: number;
  allowedHosts?: string[];
  allowedOrigins?: string[];
  orphans?: OrphanPolicy;
  redactWindow?: number;
}

/** What to do at start-up with process groups that outlived a server that crashed. */
export type OrphanPolicy = 'report' | 'kill';

const NAME_GLOB = /^[A-Za-z0-9_*]+$/;
const HOST = /^(\*|\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)$/;

interface Key {
  allowed: string;
  /** The option value, or undefined when `value` is not allowed. */
  read(value: unknown): unknown;
}

const stringList = (test: (item: string) => boolean) => (value: unknown) =>
  Array.isArray(value) && value.every((item) => typeof item === 'string' && test(item)) ? [...value] : undefined;
const integer = (min: number, max: number) => (value: unknown) =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max ? value : undefined;

function origin(item: string): boolean {
  try {
    const url = new URL(item);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === item;
  } catch {
    return false;
  }
}

/** Every key of [session_server], what it allows, and how it becomes an option. */
const KEYS: Readonly<Record<string, Key & { option: keyof ServerConfig }>> = {
  session_env: {
    option: 'sessionEnv',
    allowed: '"inherit" (the server\'s environment minus secrets) or an array of variable names to pass (globs with *, e.g. ["PATH", "HOME", "LC_*"])',
    read: (value) => (value === 'inherit' ? value : stringList((item) => NAME_GLOB.test(item))(value)),
  },
  session_env_deny: {
    option: 'sessionEnvDeny',
    allowed: 'an array of variable names never passed to a session (globs with *)',
    read: stringList((item) => NAME_GLOB.test(item)),
  },
  max_sessions: { option: 'maxSessions', allowed: 'an integer 1-65536', read: integer(1, 65536) },
  terminate_grace_seconds: {
    option: 'terminateGraceMs',
    allowed: 'a number of seconds > 0 and <= 3600',
    read: (value) => (typeof value === 'number' && value > 0 && value <= 3600 ? Math.round(value * 1000) : undefined),
  },
  allowed_hosts: {
    option: 'allowedHosts',
    allowed: 'an array of host names or addresses accepted in the Host header besides loopback and the bound address (["*"] accepts any)',
    read: stringList((item) => HOST.test(item)),
  },
  allowed_origins: {
    option: 'allowedOrigins',
    allowed: 'an array of origins accepted in the Origin header, e.g. ["https://sessions.example.com"]',
    read: stringList(origin),
  },
  orphans: { option: 'orphans', allowed: '"report" or "kill"', read: (value) => (value === 'report' || value === 'kill' ? value : undefined) },
  redact_window: { option: 'redactWindow', allowed: 'an integer 64-1048576 (characters)', read: integer(64, 1048576) },
};

export const SERVER_CONFIG_DEFAULTS = {
  session_env: 'inherit', session_env_deny: [], max_sessions: DEFAULTS.maxSessions, terminate_grace_seconds: DEFAULTS.terminateGraceMs / 1000,
  allowed_hosts: [], allowed_origins: [], orphans: 'report', redact_window: DEFAULTS.redactWindow,
} as const;

/** Validate a `[session_server]` table; `source` names where it came from, for messages. */
export function serverConfigFromTable(table: unknown, source: string): ServerConfig {
  if (table === undefined) return {};
  if (table === null || typeof table !== 'object' || Array.isArray(table)) {
    throw new ConfigError('session_server', `${source}: session_server = ${JSON.stringify(table)} is not allowed; allowed: a table`);
  }
  const config: ServerConfig = {};
  for (const [name, value] of Object.entries(table)) {
    const key = KEYS[name];
    if (!key) throw new ConfigError(`session_server.${name}`, `${source}: unknown key session_server.${name}; allowed: keys ${Object.keys(KEYS).join(', ')}`);
    const option = key.read(value);
    if (option === undefined) {
      throw new ConfigError(`session_server.${name}`, `${source}: session_server.${name} = ${JSON.stringify(value)} is not allowed; allowed: ${key.allowed}`);
    }
    (config as Record<string, unknown>)[key.option] = option;
  }
  return config;
}

/** The `[session_server]` table of a TOML configuration file (an empty config without a file). */
export function readServerConfig(file: string | undefined): ServerConfig {
  if (file === undefined) return {};
  return serverConfigFromTable(readConfigFile(file).session_server, file);
}
