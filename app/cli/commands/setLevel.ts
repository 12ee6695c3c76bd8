import type { Command } from 'commander';
import { LEVELS, isLevel } from '../../../src/levels.ts';
import { sessionIdArgument, usageError } from '../format/logDir.ts';
import { DEFAULT_HOST, DEFAULT_PORT } from '../../server/SessionServer.ts';
import { TOKEN_ENV } from '../../server/auth.ts';

export const SERVER_ENV = 'SESSION_LOGS_SERVER';

interface SetLevelOptions {
  server?: string;
  token?: string;
  json?: boolean;
}

/** `session-logs set-level <id> <level>`: change a running session's level through the server. */
export function register(program: Command): void {
  program
    .command('set-level <id> <level>')
    .description(`change a running session's level (${LEVELS.join(', ')}) through the server's HTTP API`)
    .option('--server <url>', `server base URL (default ${SERVER_ENV} or http://${DEFAULT_HOST}:${DEFAULT_PORT})`)
    .option('--token <secret>', `bearer token (default ${TOKEN_ENV})`)
    .option('--json', 'print the server\'s JSON response')
    .action(async (id: string, level: string, options: SetLevelOptions, command: Command) => {
      const usage = (message: string): never => usageError(command, message);
      sessionIdArgument(command, id);
      if (!isLevel(level)) usage(`unknown level ${JSON.stringify(level)}; allowed: ${LEVELS.join(', ')}`);
      const base = options.server ?? process.env[SERVER_ENV] ?? `http://${DEFAULT_HOST}:${DEFAULT_PORT}`;
      let url: URL;
      try {
        url = new URL(`sessions/${encodeURIComponent(id)}/log-level`, base.endsWith('/') ? base : base + '/');
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
      } catch {
        return usage(`--server ${JSON.stringify(base)} is not a URL; allowed: http://host:port or https://host:port`);
      }
      const token = options.token ?? process.env[TOKEN_ENV];
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      let response: Response;
      try {
        response = await fetch(url, { method: 'PUT', headers, body: JSON.stringify({ level }) });
      } catch (error) {
        process.stderr.write(`session-logs set-level: cannot reach the server at ${base}: ${((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      const text = await response.text();
      let body: Record<string, any> | undefined;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (!response.ok) {
        const message = body?.error?.message ?? text.slice(0, 200);
        process.stderr.write(`session-logs set-level: server refused (${response.status} ${body?.error?.code ?? ''}): ${message}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(options.json ? `${text}\n` : `${id}: ${body?.previous} -> ${body?.level} (log_level.changed at seq ${body?.seq})\n`);
    });
}
