import type { Command } from 'commander';
import { followSession } from '../../../reader/followSession.ts';
import type { SessionRecord } from '../../../reader/readSession.ts';
import { tailSession } from '../../../reader/tailSession.ts';
import { usageError } from '../format/logDir.ts';
import { formatRecord, problemText } from '../format/recordLine.ts';
import { filterOptions, type ShowOptions, sessionArguments } from './show.ts';

const POLL_MS = 200;

/**
 * `session-logs tail <id> [-f]`: the last N records, read from the end of the files; with -f,
 * then every new record as it is written, across rotations. Following reads only what was
 * added since the last poll (followSession), so a long session costs no more than a short one.
 */
export function register(program: Command): void {
  filterOptions(program.command('tail <id>').description('print the last records of a session; -f follows new ones across rotations'))
    .option('-n, --lines <count>', 'records to print first', '10')
    .option('-f, --follow', 'keep printing records as they are written (Ctrl-C ends)')
    .action(async (id: string, options: ShowOptions & { lines: string; follow?: boolean }, command: Command) => {
      const count = Number(options.lines);
      if (!Number.isInteger(count) || count < 0) usageError(command, `-n ${JSON.stringify(options.lines)} is not allowed; allowed: an integer >= 0`);
      const session = await sessionArguments(command, id, options);
      if (!session) return;
      const { root, filters } = session;
      const colour = process.stdout.isTTY === true && !options.json && !process.env.NO_COLOR;
      const print = (item: SessionRecord) => process.stdout.write((options.json ? item.line : formatRecord(item.record, colour)) + '\n');
      let problems = 0;
      // From the end of each file, only as far back as -n needs; `after` is each file's last seq, where -f goes on.
      const { records, after } = await tailSession(root, id, count, filters, (problem) => {
        problems++;
        process.stderr.write(`session-logs tail: ${problemText(problem)}\n`);
      });
      records.forEach(print);
      if (problems > 0) process.exitCode = 1;
      if (!options.follow) return;
      const stop = new AbortController();
      const abort = () => stop.abort();
      process.once('SIGINT', abort);
      process.once('SIGTERM', abort);
      for await (const item of followSession(root, id, { filters, after, signal: stop.signal, pollMs: POLL_MS })) print(item);
      process.off('SIGINT', abort);
      process.off('SIGTERM', abort);
    });
}
