import { type Command, InvalidArgumentError } from 'commander';
import { createSessionLogging } from '../../../src/SessionLogging.ts';
import { describeForwardingReport } from '../../../processors/ForwardingReport.ts';
import { DEFAULT_HOST, DEFAULT_PORT, SessionServer } from '../../server/SessionServer.ts';
import { TOKEN_ENV } from '../../server/auth.ts';
import { readServerConfig } from '../../server/serverConfig.ts';

interface ServeOptions {
  host: string;
  port: number;
  dir?: string;
  config?: string;
  token?: string;
  promptPattern?: string;
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError(`${JSON.stringify(value)} is not a port; allowed: an integer 0-65535 (0 picks a free port)`);
  return port;
}

/** `session-logs serve`: the instrumented session server, until SIGINT or SIGTERM. */
export function register(program: Command): void {
  program
    .command('serve')
    .description('run the session server: each session a child process, logged per session; HTTP API (docs/server.md)')
    .option('--host <address>', 'address to bind; a non-loopback address requires a token', DEFAULT_HOST)
    .option('--port <n>', 'port to listen on (0 picks a free port)', parsePort, DEFAULT_PORT)
    .option('--dir <path>', 'logs directory (default: config dir, SESSION_LOGS_DIR, ~/.ccmux/logs)')
    .option('--config <file>', 'TOML file with [session_logging] and [session_server] tables (docs/configuration.md)')
    .option('--token <secret>', `bearer token required on every request (or ${TOKEN_ENV})`)
    .option('--prompt-pattern <regex>', 'default pattern for prompt.detected (matched against the unfinished last line of output)')
    .action(async (options: ServeOptions, command: Command) => {
      let server: SessionServer;
      try {
        const logging = createSessionLogging({
          dir: options.dir, configFile: options.config,
          // One line per forwarding outage and one when it ends (the library's default is OTel diag, which serve does not print).
          forwarding: { onReport: (report) => process.stderr.write(`session-logs: ${describeForwardingReport(report)}\n`) },
        });
        server = new SessionServer({
          ...readServerConfig(options.config),
          logging, host: options.host, port: options.port, token: options.token ?? process.env[TOKEN_ENV], promptPattern: options.promptPattern,
        });
      } catch (error) {
        command.error(`session-logs serve: ${(error as Error).message}`, { exitCode: 2, code: 'session-logs.usage' });
      }
      await serveUntilSignal(server);
    });
}

/** Listen, then on SIGINT/SIGTERM terminate every session, flush the logs and return. */
async function serveUntilSignal(server: SessionServer): Promise<void> {
  const url = await server.listen();
  for (const orphan of server.orphans) {
    process.stdout.write(`session-logs: session ${orphan.id} (${orphan.command}) outlived server pid ${orphan.server_pid}: process group ${orphan.pgid} ${orphan.killed ? 'killed' : 'still running (session_server.orphans = "kill" ends such groups)'}\n`);
  }
  process.stdout.write(`session-logs: serving on ${url} (logs in ${server.logging.dir}); SIGINT or SIGTERM stops\n`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`session-logs: ${signal} again: exiting without waiting (buffered lines are written at exit)\n`);
        process.exit(1);
      }
      stopping = true;
      const running = server.manager.counts.running;
      process.stdout.write(`session-logs: ${signal}: terminating ${running} running session(s) and flushing logs\n`);
      server.close().then(() => {
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
        process.stdout.write('session-logs: stopped; every session log is closed\n');
        resolve();
      }, (error: Error) => {
        process.stderr.write(`session-logs: shutdown failed: ${error.message}\n`);
        process.exitCode = 1;
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
