import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createSessionLogging } from '../../../src/SessionLogging.ts';
import { SessionManager } from '../../../app/session/SessionManager.ts';
import { incompleteUtf8Tail } from '../../../app/session/outputText.ts';
import { assertContiguous, readMetadata, sessionLines, tempDir } from '../../support/sessionFiles.ts';

const who = { client: 'test' };

function manager(options: { env?: NodeJS.ProcessEnv; cleanupOnEnd?: boolean } = {}) {
  const dir = tempDir('osl-manager-');
  const logging = createSessionLogging({ dir, env: options.env ?? {}, cleanupOnEnd: options.cleanupOnEnd });
  return { dir, logging, sessions: new SessionManager({ logging }) };
}

/** Resolves when the session's process has exited and its log is closed. */
async function exited(sessions: SessionManager, id: string): Promise<void> {
  while (sessions.get(id).status !== 'exited') await new Promise((resolve) => setTimeout(resolve, 10));
  await sessions.terminate(id, who);
}

describe('SessionManager', () => {
  it('keeps UTF-8 characters split across pipe reads as text, and writes non-UTF-8 output as base64', async () => {
    const { dir, logging, sessions } = manager();
    // Writes "héllo wörld €" one byte per write, with a pause so each byte is its own read.
    const script = "const b = Buffer.from('héllo wörld €\\n'); let i = 0; const t = setInterval(() => { process.stdout.write(b.subarray(i, i + 1)); if (++i === b.length) { clearInterval(t); process.stdout.write(Buffer.from([0xff, 0xfe, 0x00])); } }, 2);";
    await sessions.create({ id: 'utf8', command: process.execPath, args: ['-e', script], log_level: 'full' }, who);
    await exited(sessions, 'utf8');
    await logging.shutdown();
    const outputs = sessionLines(dir, 'utf8').filter((l) => l.event === 'output');
    const bytes = (l: (typeof outputs)[number]) => Buffer.from(l.body as string, l.body_encoding === 'base64' ? 'base64' : 'utf8');
    assert.deepEqual(Buffer.concat(outputs.map(bytes)), Buffer.concat([Buffer.from('héllo wörld €\n'), Buffer.from([0xff, 0xfe, 0x00])]));
    // Only the read holding the invalid bytes is base64: no split character became binary.
    const binary = outputs.filter((l) => l.body_encoding === 'base64');
    assert.equal(binary.length, 1);
    assert.ok(bytes(binary[0]!).includes(0xff));
    assert.ok(outputs.length > 5, 'the child wrote in many reads');
    assert.equal(incompleteUtf8Tail(Buffer.from([0x61, 0xe2, 0x82])), 2);
    assert.equal(incompleteUtf8Tail(Buffer.from('€')), 0);
  });

  it('takes the level from the request, else CCMUX_SESSION_LOG, and passes args, cwd and env to the child', async () => {
    const { dir, logging, sessions } = manager({ env: { CCMUX_SESSION_LOG: 'prompts,loud=full' } });
    const cwd = tempDir('osl-cwd-');
    await sessions.create({ id: 'loud', command: 'sh', args: ['-c', 'echo "$1 $(pwd) $OSL_VAR"', 'sh', 'arg1'], cwd, env: { OSL_VAR: 'from-env' } }, who);
    await sessions.create({ id: 'quiet', command: 'true' }, who);
    await sessions.create({ id: 'asked', command: 'true', log_level: 'spawns' }, who);
    for (const id of ['loud', 'quiet', 'asked']) await exited(sessions, id);
    await logging.shutdown();
    assert.deepEqual(['loud', 'quiet', 'asked'].map((id) => readMetadata(dir, id).level), ['full', 'prompts', 'spawns']);
    assert.equal(sessionLines(dir, 'loud').find((l) => l.event === 'output')!.body, `arg1 ${cwd} from-env\n`);
    const { pid, pgid, pid_start_ticks: started, ...attributes } = readMetadata(dir, 'loud').attributes as Record<string, unknown>;
    assert.deepEqual(attributes, { command: 'sh', args: JSON.stringify(['-c', 'echo "$1 $(pwd) $OSL_VAR"', 'sh', 'arg1']), cwd });
    // The process leads its own group: its pid is the group id.
    assert.equal(typeof pid, 'number');
    assert.equal(pgid, pid);
    assert.equal(typeof started, 'number');
  });

  it('honours cleanup_on_end: the session directory is removed when the session ends', async () => {
    const { dir, logging, sessions } = manager({ cleanupOnEnd: true });
    await sessions.create({ id: 'tidy', command: 'cat' }, who);
    assert.ok(existsSync(join(dir, 'tidy')));
    await sessions.terminate('tidy', who);
    assert.equal(existsSync(join(dir, 'tidy')), false);
    await logging.shutdown();
  });

  it('shutdown terminates every session, including one still starting, and refuses new ones', async () => {
    const { dir, logging, sessions } = manager();
    await sessions.create({ id: 'a', command: 'sleep', args: ['30'] }, who);
    const starting = sessions.create({ id: 'b', command: 'sleep', args: ['30'] }, who);
    const stopped = sessions.shutdown();
    await starting;
    await stopped;
    await assert.rejects(sessions.create({ id: 'c', command: 'true' }, who), /shutting down/);
    await logging.shutdown();
    for (const id of ['a', 'b']) {
      const lines = sessionLines(dir, id);
      assertContiguous(lines);
      assert.deepEqual(lines.slice(-2).map((l) => [l.event, l.attrs.signal ?? l.attrs.reason]), [['process.exited', 'SIGTERM'], ['session.terminated', 'terminated']]);
    }
  });
});
