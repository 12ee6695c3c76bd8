import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { LEVELS, isLevel } from '../../../src/levels.ts';
import { type ReadFilters, readSession, timeBound } from '../../../reader/readSession.ts';
import { isValidSessionId } from '../../../format/sessionId.ts';
import { type DirOptions, fail, logSettings, usageError, withDirOptions } from '../format/logDir.ts';
import { formatRecord, problemText } from '../format/recordLine.ts';

interface ShowOptions extends DirOptions {
  json?: boolean;
  audit?: boolean;
  system?: boolean;
  since?: string;
  until?: string;
  event?: string[];
  level?: string;
}

const ID_ALLOWED = '1-128 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit';

/** Turn an ISO date or time into the same form as `ts`, or fail with what is allowed. */
export function isoBound(command: Command, name: 'since' | 'until', value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return timeBound(value, name);
  } catch (error) {
    return usageError(command, `--${(error as Error).message}`);
  }
}
/** Check id and filters shared by show and tail. */
export function sessionArguments(command: Command, id: string, options: ShowOptions): { root: string; filters: ReadFilters } {
  if (!isValidSessionId(id)) usageError(command, `invalid session id ${JSON.stringify(id)}; allowed: ${ID_ALLOWED}`);
  if (options.audit && options.system) usageError(command, '--audit and --system exclude each other; allowed: one of them, or neither for both files');
  if (options.level !== undefined && !isLevel(options.level)) usageError(command, `--level ${JSON.stringify(options.level)} is not a level; allowed: ${LEVELS.join(', ')}`);
  const root = logSettings(options).dir;
  const filters: ReadFilters = {
    stream: options.audit ? 'audit' : options.system ? 'system' : undefined,
    level: options.level as ReadFilters['level'],
    events: options.event,
    since: isoBound(command, 'since', options.since),
    until: isoBound(command, 'until', options.until),
  };
  return { root, filters };
}

export function filterOptions(command: Command): Command {
  return withDirOptions(command)
    .option('--json', 'the raw JSONL lines, for jq')
    .option('--audit', 'only audit.jsonl (what users did)')
    .option('--system', 'only system.jsonl (what the machine did)')
    .option('--since <time>', 'records at or after this ISO 8601 time')
    .option('--until <time>', 'records at or before this ISO 8601 time')
    .option('--event <name...>', 'only these events')
    .option('--level <level>', `only records whose tier is at most this level (${LEVELS.join(', ')})`);
}

/** `session-logs show <id>`: one session's records in seq order, both files merged. */
export function register(program: Command): void {
  filterOptions(program.command('show <id>').description('print a session\'s records in seq order across every segment, audit and system merged'))
    .action(async (id: string, options: ShowOptions, command: Command) => {
      const { root, filters } = sessionArguments(command, id, options);
      if (!existsSync(join(root, id, 'metadata.json'))) return fail(command, `no session ${id} in ${root}`);
      const colour = process.stdout.isTTY === true && !options.json && !process.env.NO_COLOR;
      let problems = 0;
      for await (const { record, line } of readSession(root, id, filters, (problem) => {
        process.stderr.write(`session-logs show: ${problemText(problem)}\n`);
        // The last line of an active file may be a write under way (live session): noted, not a failure.
        if (!(problem.kind === 'torn' && problem.active)) problems++;
      })) {
        process.stdout.write((options.json ? line : formatRecord(record, colour)) + '\n');
      }
      if (problems > 0) process.exitCode = 1;
    });
}
