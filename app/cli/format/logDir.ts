import type { Command } from 'commander';
import { resolveSettings } from '../../../src/config/resolveSettings.ts';

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

/** The logs directory: --dir, else the configuration (file, SESSION_LOGS_DIR, default); retention days likewise. */
export function logSettings(options: DirOptions): { dir: string; retentionDays: number } {
  const settings = resolveSettings({ configFile: options.config, dir: options.dir });
  return { dir: settings.config.dir, retentionDays: settings.config.retentionDays };
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
