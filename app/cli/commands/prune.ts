import type { Command } from 'commander';
import { pruneSessions } from '../../../storage/pruneSessions.ts';
import { type DirOptions, existingLogDir, usageError, withDirOptions } from '../format/logDir.ts';

/** `session-logs prune`: apply retention now, listing what goes (or would go). */
export function register(program: Command): void {
  withDirOptions(program.command('prune').description('apply retention now: remove sessions that ended more than retention_days ago and older segments'))
    .option('--dry-run', 'list what would be removed, remove nothing')
    .option('--retention-days <days>', 'override retention_days from the configuration')
    .option('--json', 'the report as one JSON object')
    .action(async (options: DirOptions & { dryRun?: boolean; retentionDays?: string; json?: boolean }, command: Command) => {
      const days = options.retentionDays === undefined ? undefined : Number(options.retentionDays);
      if (days !== undefined && !(options.retentionDays!.trim() !== '' && Number.isFinite(days) && days >= 0)) usageError(command, `--retention-days ${JSON.stringify(options.retentionDays)} is not allowed; allowed: a number of days >= 0`);
      // A missing directory is reported, not pruned as if empty: a wrong --dir would otherwise look like success.
      const settings = existingLogDir(command, options);
      if (!settings) return;
      const retentionDays = days ?? settings.retentionDays;
      const report = await pruneSessions({ dir: settings.dir, retentionDays, dryRun: options.dryRun });
      if (options.json) process.stdout.write(JSON.stringify(report) + '\n');
      else {
        const verb = options.dryRun ? 'would remove' : 'removed';
        for (const s of report.removedSessions) process.stdout.write(`${verb} session ${s.id} (${s.state}, ended ${s.ended_at ?? 'unknown'})\n`);
        for (const s of report.removedSegments) process.stdout.write(`${verb} ${s.id}/${s.file} (seq ${s.first_seq}-${s.last_seq})\n`);
        process.stdout.write(`${options.dryRun ? 'dry run: would remove' : 'removed'} ${report.removedSessions.length} session(s) and ${report.removedSegments.length} segment(s) (retention ${retentionDays} days, ${settings.dir})\n`);
      }
      for (const error of report.errors) process.stderr.write(`session-logs prune: ${error.id}: ${error.message}\n`);
      if (report.errors.length > 0) process.exitCode = 1;
    });
}
