import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { resolveSettings } from '../../../src/config/resolveSettings.ts';
import { ConfigError } from '../../../src/config/loadConfig.ts';
import { DEFAULT_DIR } from '../../../src/config/defaults.ts';
import { assertSessionId } from '../../../format/sessionId.ts';

export interface DirOptions {
  dir?: string;
  config?: string;
}

/** Add --dir and --config to a read-side command. */
export function withDirOptions(command: Command): Command {
  return command
    .option('--dir <path>', 'logs directory (default: config dir, SESSION_LOGS_DIR, ~/.ccmux/logs)')
    .option('--config <file>', 'TOML file with a [session_logging] table');
}

/** Usage error: exit 2 with the message (commander prints usage). */
export function usageError(command: Command, message: string): never {
  return command.error(`session-logs ${command.name()}: ${message}`, { exitCode: 2, code: 'session-logs.usage' });
}

/** A problem found (exit 1), printed on stderr. */
export function fail(command: Command, message: string): void {
  process.stderr.write(`session-logs ${command.name()}: ${message}\n`);
  process.exitCode = 1;
}

/**
 * The logs directory (--dir, else the configuration: file, SESSION_LOGS_DIR, default) and the
 * retention days. A configuration file that cannot be read or holds a bad value is a usage
 * error (exit 2), as a bad option is. Only SESSION_LOGS_DIR is read from the environment:
 * levels (CCMUX_SESSION_LOG) matter to writers, not to reading.
 */
function logSettings(command: Command, options: DirOptions): { dir: string; retentionDays: number } {
  try {
    const { config } = resolveSettings({ configFile: options.config, dir: options.dir, env: { SESSION_LOGS_DIR: process.env.SESSION_LOGS_DIR } });
    return { dir: config.dir, retentionDays: config.retentionDays };
  } catch (error) {
    if (error instanceof ConfigError) return usageError(command, error.message);
    throw error;
  }
}

/**
 * logSettings, for a directory that must exist: a missing one is a problem found (exit 1,
 * undefined), named with where the path came from.
 */
export function existingLogDir(command: Command, options: DirOptions): { dir: string; retentionDays: number } | undefined {
  const settings = logSettings(command, options);
  if (statSync(settings.dir, { throwIfNoEntry: false })?.isDirectory()) return settings;
  const from = options.dir !== undefined ? '--dir'
    : process.env.SESSION_LOGS_DIR ? 'SESSION_LOGS_DIR'
    : settings.dir !== DEFAULT_DIR ? `dir in ${options.config}`
    : 'the default; give --dir, SESSION_LOGS_DIR or dir in a --config file';
  fail(command, `no log directory ${settings.dir} (${from})`);
  return undefined;
}

/** A session id argument, or a usage error that says what is allowed. */
export function sessionIdArgument(command: Command, id: string): string {
  try {
    return assertSessionId(id, 'id');
  } catch (error) {
    return usageError(command, (error as Error).message);
  }
}
