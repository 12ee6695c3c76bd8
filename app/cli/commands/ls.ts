import type { Command } from 'commander';
import { listSessions } from '../../../reader/listSessions.ts';
import { type DirOptions, existingLogDir, fail, withDirOptions } from '../format/logDir.ts';

/** `session-logs ls`: every session with state, level, times, size and record count. */
export function register(program: Command): void {
  withDirOptions(program.command('ls').description('list sessions: state (live/ended/abandoned), level, created/ended, size, records'))
    .option('--json', 'one JSON object per session')
    .action((options: DirOptions & { json?: boolean }, command: Command) => {
      const dir = existingLogDir(command, options)?.dir;
      if (dir === undefined) return;
      let listing;
      try {
        listing = listSessions(dir);
      } catch (error) {
        return fail(command, (error as Error).message);
      }
      for (const error of listing.errors) process.stderr.write(`session-logs ls: ${error.id}: ${error.message}\n`);
      if (listing.errors.length > 0) process.exitCode = 1;
      if (options.json) {
        for (const session of listing.sessions) process.stdout.write(JSON.stringify(session) + '\n');
        return;
      }
      process.stdout.write(`${'SESSION'.padEnd(24)} ${'STATE'.padEnd(9)} ${'LEVEL'.padEnd(8)} ${'CREATED'.padEnd(24)} ${'ENDED'.padEnd(24)} ${'SIZE'.padStart(10)} ${'RECORDS'.padStart(8)}\n`);
      for (const s of listing.sessions) {
        process.stdout.write(`${s.id.padEnd(24)} ${s.state.padEnd(9)} ${(s.level ?? "-").padEnd(8)} ${s.created_at.padEnd(24)} ${(s.ended_at ?? '-').padEnd(24)} ${String(s.bytes).padStart(10)} ${String(s.records).padStart(8)}\n`);
      }
    });
}
