import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { followSession } from '../../../reader/followSession.ts';
import { readSession, recordFilter, type SessionRecord } from '../../../reader/readSession.ts';
import { fail, usageError } from '../format/logDir.ts';
import { formatRecord } from '../format/recordLine.ts';
import { filterOptions, sessionArguments } from './show.ts';

const POLL_MS = 200;

/**
 * `session-logs tail <id> [-f]`: the last N records; with -f, then every new record as it
 * is written, across rotations. Following reads only what was added since the last poll
 * (followSession), so a long session costs no more to follow than a short one.
 */
export function register(program: Command): void {
  filterOptions(program.command('tail <id>').description('print the last records of a session; -f follows new ones across rotations'))
    .option('-n, --lines <count>', 'records to print first', '10')
    .option('-f, --follow', 'keep printing records as they are written (Ctrl-C ends)')
    .action(async (id: string, options: Parameters<typeof sessionArguments>[2] & { lines: string; follow?: boolean }, command: Command) => {
      const count = Number(options.lines);
      if (!Number.isInteger(count) || count < 0) usageError(command, `-n ${JSON.stringify(options.lines)} is not allowed; allowed: an integer >= 0`);
      const { root, filters } = sessionArguments(command, id, options);
      if (!existsSync(join(root, id, 'metadata.json'))) return fail(command, `no session ${id} in ${root}`);
      const colour = process.stdout.isTTY === true && !options.json && !process.env.NO_COLOR;
      const print = (item: SessionRecord) => process.stdout.write((options.json ? item.line : formatRecord(item.record, colour)) + '\n');
      const matches = recordFilter(filters);
      const last: SessionRecord[] = [];
      // Per file: each file is in seq order, but one may be written later than the other
      // (audit chunks wait for their fsync), so a single "last seq" could skip records.
      const after = { audit: 0, system: 0 };
      let problems = 0;
      for await (const item of readSession(root, id, {}, (problem) => {
        if (problem.kind === 'torn' && problem.active) return; // still being written: -f prints it when complete
        problems++;
        process.stderr.write(`session-logs tail: ${problem.file}:${problem.lineNumber}: ${problem.kind}: ${problem.message}\n`);
      })) {
        after[item.file.startsWith('audit') ? 'audit' : 'system'] = item.record.seq;
        if (!matches(item.record)) continue;
        last.push(item);
        if (last.length > count) last.shift();
      }
      last.forEach(print);
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
