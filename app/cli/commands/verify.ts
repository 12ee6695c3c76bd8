import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { listSessions } from '../../../reader/listSessions.ts';
import { type Problem, verifySession } from '../../../reader/verifySession.ts';
import { type DirOptions, existingLogDir, fail, sessionIdArgument, withDirOptions } from '../format/logDir.ts';
import { ProgressLine } from '../format/progressLine.ts';

/** `session-logs verify [id...]`: exit 0 when intact, 1 when a problem is found. */
export function register(program: Command): void {
  withDirOptions(program.command('verify [ids...]').description('check sessions: seq gaps not explained by metadata, duplicates, torn or unparseable lines, the audit chain, metadata against files'))
    .option('--json', 'one JSON object per problem')
    .action(async (ids: string[], options: DirOptions & { json?: boolean }, command: Command) => {
      for (const id of ids) sessionIdArgument(command, id);
      const dir = existingLogDir(command, options)?.dir;
      if (dir === undefined) return;
      let targets = ids;
      if (targets.length === 0) {
        try {
          // A session whose metadata.json does not parse is checked too: verify reports it.
          const listing = listSessions(dir);
          targets = [...listing.sessions.map((s) => s.id), ...listing.errors.map((e) => e.id)].sort();
        } catch (error) {
          return fail(command, (error as Error).message);
        }
      }
      const problems: Problem[] = [];
      let at = { id: '', index: 0, lines: 0, file: '' };
      const progress = new ProgressLine(() => `verify ${at.id} (${at.index} of ${targets.length}): ${at.lines.toLocaleString('en')} lines checked (${at.file})`);
      for (const [index, id] of targets.entries()) {
        if (!existsSync(join(dir, id))) {
          problems.push({ session: id, kind: 'metadata', message: `no session ${id} in ${dir}` });
          continue;
        }
        at = { id, index: index + 1, lines: 0, file: 'metadata.json' };
        progress.tick();
        problems.push(...(await verifySession(dir, id, {
          onProgress: ({ lines, file }) => {
            at.lines = lines;
            at.file = file;
            progress.tick();
          },
        })));
      }
      progress.clear();
      for (const p of problems) {
        if (options.json) process.stdout.write(JSON.stringify(p) + '\n');
        else process.stdout.write(`${p.session}: ${p.kind}${p.file ? ` ${p.file}` : ''}${p.line ? `:${p.line}` : ''}${p.seq !== undefined ? ` seq ${p.seq}` : ''}: ${p.message}\n`);
      }
      if (!options.json) process.stdout.write(`${targets.length} session(s) checked, ${problems.length} problem(s)\n`);
      if (problems.length > 0) process.exitCode = 1;
    });
}
