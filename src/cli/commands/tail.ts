import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { readSession, type SessionRecord } from '../../reader/readSession.ts';
import { fail, usageError } from '../format/logDir.ts';
import { formatRecord } from '../format/recordLine.ts';
import { filterOptions, sessionArguments } from './show.ts';

const POLL_MS = 200;

function segmentList(root: string, id: string): string {
  return readdirSync(join(root, id)).filter((name) => /\.\d{6}\.jsonl/.test(name) && !name.endsWith('.tmp')).sort().join(',');
}

/**
 * `session-logs tail <id> [-f]`: the last N records; with -f, then every new record as it
 * is written, across rotations. Following re-reads from the files each poll and prints the
 * records past the last seq printed (a rotated segment is read like any other file).
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
      const colour = process.stdout.isTTY === true && !options.json;
      const print = (item: SessionRecord) => process.stdout.write((options.json ? item.line : formatRecord(item.record, colour)) + '\n');
      const last: SessionRecord[] = [];
      // Per file: each file is in seq order, but one may be written later than the other
      // (audit chunks wait for their fsync), so a single "last seq" could skip records.
      const lastSeq = { audit: 0, system: 0 };
      for await (const item of readSession(root, id, filters)) {
        last.push(item);
        if (last.length > count) last.shift();
        lastSeq[item.record.category] = item.record.seq;
      }
      last.forEach(print);
      if (!options.follow) return;
      let stopped = false;
      const stop = () => (stopped = true);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      while (!stopped) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        // Lines still being written are skipped (torn) and printed on a later poll. A rotation
        // during the read renames the active file away, so the read is repeated until the
        // list of segments did not change under it.
        let fresh: SessionRecord[];
        let before: string;
        do {
          before = segmentList(root, id);
          fresh = [];
          for await (const item of readSession(root, id, filters)) {
            if (item.record.seq > lastSeq[item.record.category]) fresh.push(item);
          }
        } while (segmentList(root, id) !== before);
        for (const item of fresh) {
          print(item);
          lastSeq[item.record.category] = item.record.seq;
        }
      }
    });
}
