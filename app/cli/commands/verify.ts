import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { listSessions } from '../../../reader/listSessions.ts';
import { type Problem, verifySession } from '../../../reader/verifySession.ts';
import { isValidSessionId } from '../../../format/sessionId.ts';
import { type DirOptions, fail, logSettings, usageError, withDirOptions } from '../format/logDir.ts';

/** `session-logs verify [id...]`: exit 0 when intact, 1 when a problem is found. */
export function register(program: Command): void {
  withDirOptions(program.command('verify [ids...]').description('check sessions: seq gaps not explained by metadata, duplicates, torn or unparseable lines, the audit chain, metadata against files'))
    .option('--json', 'one JSON object per problem')
    .action(async (ids: string[], options: DirOptions & { json?: boolean }, command: Command) => {
      const { dir } = logSettings(options);
      for (const id of ids) if (!isValidSessionId(id)) usageError(command, `invalid session id ${JSON.stringify(id)}; allowed: 1-128 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit`);
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
      for (const id of targets) {
        if (!existsSync(join(dir, id))) {
          problems.push({ session: id, kind: 'metadata', message: `no session ${id} in ${dir}` });
          continue;
        }
        problems.push(...(await verifySession(dir, id)));
      }
      for (const p of problems) {
        if (options.json) process.stdout.write(JSON.stringify(p) + '\n');
        else process.stdout.write(`${p.session}: ${p.kind}${p.file ? ` ${p.file}` : ''}${p.line ? `:${p.line}` : ''}${p.seq !== undefined ? ` seq ${p.seq}` : ''}: ${p.message}\n`);
      }
      if (!options.json) process.stdout.write(`${targets.length} session(s) checked, ${problems.length} problem(s)\n`);
      if (problems.length > 0) process.exitCode = 1;
    });
}
