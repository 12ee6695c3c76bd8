import assert from 'node:assert/strict';
import { createSessionLogging } from '../../../src/SessionLogging.ts';
import { ManagedSession } from '../../../app/session/ManagedSession.ts';
import { DEFAULT_PROMPT_PATTERN } from '../../../app/session/SessionManager.ts';
import { compileLinear } from '../../../processors/linearPattern.ts';
import { sessionLines, tempDir } from '../../support/sessionFiles.ts';

describe('ManagedSession: errors on its pipes are recorded, never thrown', () => {
  it('records a read error on stdout or stderr as a warning and keeps running', async () => {
    const dir = tempDir('osl-session-');
    const logging = createSessionLogging({ dir, env: {} });
    const session = new ManagedSession({
      id: 'faulty', command: 'cat', args: [], cwd: process.cwd(), env: { PATH: process.env.PATH ?? '' }, shown: { command: 'cat', args: [], cwd: process.cwd() },
      promptPattern: compileLinear(DEFAULT_PROMPT_PATTERN, 'p'), redact: [], redactWindow: 4096, terminateGraceMs: 1000, maxPendingInput: 1 << 20, counters: { filtered: 0 },
    });
    await session.start(() => logging.open('faulty', { level: 'signals' }));
    // Fault injection: the pipes' own errors (EIO on a read) arrive as 'error' events.
    const child = (session as unknown as { child: { stdout: NodeJS.EventEmitter; stderr: NodeJS.EventEmitter } }).child;
    child.stdout.emit('error', Object.assign(new Error('read EIO'), { code: 'EIO' }));
    child.stderr.emit('error', Object.assign(new Error('read EIO'), { code: 'EIO' }));
    assert.equal(session.status, 'running');
    await session.terminate(undefined);
    await logging.shutdown();
    const warnings = sessionLines(dir, 'faulty').filter((l) => l.event === 'warning');
    assert.deepEqual(warnings.map((l) => [l.attrs.stream, l.attrs.code]), [['stdout', 'EIO'], ['stderr', 'EIO']]);
    assert.match(String(warnings[0]!.body), /reading stdout failed: EIO/);
  });
});
