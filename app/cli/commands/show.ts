import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { LEVELS, isLevel } from '../../../src/levels.ts';
import { EVENT_NAMES } from '../../../src/catalogue.ts';
import { type ReadFilters, readSession, recordFilter, timeBound } from '../../../reader/readSession.ts';
import { type DirOptions, existingLogDir, fail, sessionIdArgument, usageError, withDirOptions } from '../format/logDir.ts';
import { formatRecord, problemText } from '../format/recordLine.ts';
import { ProgressLine } from '../format/progressLine.ts';

export interface ShowOptions extends DirOptions {
  json?: boolean;
  audit?: boolean;
  system?: boolean;
  since?: string;
  until?: string;
  event?: string[];
  level?: string;
}

/** Turn an ISO date or time into the same form as `ts`, or fail with what is allowed. */
export function isoBound(command: Command, name: 'since' | 'until', value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return timeBound(value, name);
  } catch (error) {
    return usageError(command, `--${(error as Error).message}`);
  }
}

/**
 * Check id and filters shared by show and tail; undefined (exit 1 already set) when the
 * log directory or the session does not exist.
 */
export async function sessionArguments(command: Command, id: string, options: ShowOptions): Promise<{ root: string; filters: ReadFilters } | undefined> {
  sessionIdArgument(command, id);
  if (options.audit && options.system) usageError(command, '--audit and --system exclude each other; allowed: one of them, or neither for both files');
  if (options.level !== undefined && !isLevel(options.level)) usageError(command, `--level ${JSON.stringify(options.level)} is not a level; allowed: ${LEVELS.join(', ')}`);
  const filters: ReadFilters = {
    stream: options.audit ? 'audit' : options.system ? 'system' : undefined,
    level: options.level as ReadFilters['level'],
    events: options.event,
    since: isoBound(command, 'since', options.since),
    until: isoBound(command, 'until', options.until),
  };
  const root = existingLogDir(command, options)?.dir;
  if (root === undefined) return undefined;
  if (!existsSync(join(root, id, 'metadata.json'))) {
    fail(command, `no session ${id} in ${root}`);
    return undefined;
  }
  await checkEvents(command, root, id, options.event ?? []);
  return { root, filters };
}

/**
 * --event takes the catalogue's events, and events outside it that the session recorded
 * (emitted with an explicit tier). Only names outside the catalogue cost a look into the
 * session, which stops as soon as each has been seen.
 */
async function checkEvents(command: Command, root: string, id: string, events: readonly string[]): Promise<void> {
  const unknown = new Set(events.filter((event) => !EVENT_NAMES.includes(event)));
  if (unknown.size === 0) return;
  const others = new Set<string>();
  for await (const { record } of readSession(root, id)) {
    unknown.delete(record.event);
    if (unknown.size === 0) return;
    if (!EVENT_NAMES.includes(record.event)) others.add(record.event);
  }
  const names = [...unknown].map((name) => JSON.stringify(name)).join(', ');
  const recorded = others.size > 0 ? `; or one that session ${id} recorded: ${[...others].sort().join(', ')}` : '';
  usageError(command, `--event ${names}: no such event in the catalogue or in session ${id}; allowed: ${EVENT_NAMES.join(', ')}${recorded}`);
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
      const session = await sessionArguments(command, id, options);
      if (!session) return;
      const matches = recordFilter(session.filters);
      const colour = process.stdout.isTTY === true && !options.json && !process.env.NO_COLOR;
      let problems = 0;
      let read = 0;
      let file = '';
      // Every record read counts, so a filter that matches little still shows the read moving on.
      const progress = new ProgressLine(() => `show ${id}: ${read.toLocaleString('en')} records read (${file})`);
      for await (const item of readSession(session.root, id, {}, (problem) => {
        progress.clear();
        process.stderr.write(`session-logs show: ${problemText(problem)}\n`);
        // The last line of an active file may be a write under way (live session): noted, not a failure.
        if (!(problem.kind === 'torn' && problem.active)) problems++;
      })) {
        read++;
        file = item.file;
        progress.tick();
        if (!matches(item.record)) continue;
        if (process.stdout.isTTY) progress.clear();
        process.stdout.write((options.json ? item.line : formatRecord(item.record, colour)) + '\n');
      }
      progress.clear();
      if (problems > 0) process.exitCode = 1;
    });
}
