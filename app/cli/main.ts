import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.ts';

/** `session-logs`: exit 0 ok, 1 a problem found, 2 a usage error. */
// `session-logs show x | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const program = new Command('session-logs')
  .description('Per-session logs for session servers: serve, demo, ls, show, tail, verify, prune, set-level')
  .showHelpAfterError()
  .exitOverride();
registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(`session-logs: ${(error as Error).message}\n`);
    process.exitCode = process.exitCode || 1;
  }
}
