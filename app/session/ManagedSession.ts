import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { AnyValue } from '@opentelemetry/api';
import type { Level } from '../../src/levels.ts';
import type { SessionLogger } from '../../src/SessionLogger.ts';
import type { LinearPattern } from '../../processors/linearPattern.ts';
import { OutputRecorder } from './OutputRecorder.ts';
import { killGroup, signalGroup } from './processGroup.ts';
import { type Requester, apiRequestAttributes, requesterAttributes } from './Requester.ts';
import { SessionError } from './SessionError.ts';
import { StreamRedactor } from './StreamRedactor.ts';

export type SessionStatus = 'starting' | 'running' | 'exited' | 'failed';

/** What to run and how to watch it; validated by SessionManager. */
export interface SessionSpec {
  id: string;
  command: string;
  args: string[];
  cwd: string;
  /** The whole environment of the process (SessionEnvironment built it). */
  env: Record<string, string>;
  /** The command line as logs and replies show it: redacted. */
  shown: { command: string; args: string[]; cwd: string };
  /** Tested against the unfinished last line of output; a match is a prompt.detected record. */
  promptPattern: LinearPattern;
  /** Redact patterns of the logging config, applied across pipe reads and inputs. */
  redact: readonly LinearPattern[];
  /** Characters a stream holds back at most while a redact pattern may be matching. */
  redactWindow: number;
  /** Time between SIGTERM and SIGKILL when the session is terminated. */
  terminateGraceMs: number;
  /** Input bytes waiting for the child to read past which input is refused (429). */
  maxPendingInput: number;
  /** Shared by all sessions: events not recorded because of their session's level. */
  counters: { filtered: number };
}

/** An unfinished input line kept for command.started. */
const MAX_LINE = 64 * 1024;
const LINE_BREAK = /[\r\n]/;
/** Event-loop turns a pipe may keep delivering data after the process exited (a grandchild writing). */
const DRAIN_TURNS = 64;

/**
 * One session: a real child process, leading its own process group, whose lifecycle, output,
 * input, prompts and exit are recorded through its SessionLogger. The session ends when the
 * process exits, even if a grandchild keeps the pipes open: what the process wrote is read,
 * then the pipes are closed and the log is closed (session.terminated, ended_at).
 */
export class ManagedSession {
  readonly spec: SessionSpec;
  readonly createdAt = new Date().toISOString();
  status: SessionStatus = 'starting';
  pid: number | undefined;
  exitCode: number | null = null;
  signal: string | null = null;
  endedAt: string | null = null;
  inputBytes = 0;
  inputs = 0;
  /** Resolves once the log is closed and, if it was terminated, its process group is gone. */
  readonly ended: Promise<void>;
  private logger!: SessionLogger;
  private readonly stdout: OutputRecorder;
  private readonly stderr: OutputRecorder;
  private readonly inputRedactor: StreamRedactor;
  private child: ChildProcess | undefined;
  private inputLine = '';
  /** The process has exited; the session is being closed (input and level changes are refused). */
  private exiting = false;
  private lastRequester: Requester | undefined;
  private terminating: Promise<void> | undefined;
  /** Settles when start() has finished, either way. */
  private startAttempt: Promise<unknown> = Promise.resolve();
  private resolveEnded!: () => void;

  constructor(spec: SessionSpec) {
    this.spec = spec;
    const { promptPattern, redact, redactWindow, counters } = spec;
    this.stdout = new OutputRecorder({ name: 'stdout', promptPattern, redact, redactWindow, counters });
    this.stderr = new OutputRecorder({ name: 'stderr', promptPattern, redact, redactWindow, counters });
    this.inputRedactor = new StreamRedactor(spec.redact, spec.redactWindow);
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  get id(): string {
    return this.spec.id;
  }

  get level(): Level | undefined {
    return this.logger?.level;
  }

  get seq(): number {
    return this.logger?.seq ?? 0;
  }

  get outputBytes(): { stdout: number; stderr: number } {
    return { stdout: this.stdout.bytes, stderr: this.stderr.bytes };
  }

  /**
   * Start the process in its own process group; once it runs, `openLog` opens its log (so a
   * command that cannot start leaves nothing on disk). Rejects with a SessionError (422) if the
   * spawn fails; the error from `openLog` is thrown after the process group is killed.
   */
  start(openLog: (pid: number) => SessionLogger): Promise<void> {
    const attempt = this.run(openLog);
    this.startAttempt = attempt.catch(() => undefined);
    return attempt;
  }

  private async run(openLog: (pid: number) => SessionLogger): Promise<void> {
    const { command, args, cwd, env } = this.spec;
    let child: ChildProcess;
    try {
      // detached: the child leads its own process group, so termination reaches its children too.
      child = spawn(command, args, { cwd, env, stdio: 'pipe', detached: true });
    } catch (error) {
      throw this.failed(error as NodeJS.ErrnoException);
    }
    const spawnError = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', (error) => resolve(error));
    });
    if (spawnError) throw this.failed(spawnError);
    this.child = child;
    this.pid = child.pid!;
    try {
      this.logger = openLog(this.pid);
    } catch (error) {
      // A session without a log does not run: the refusal answers once its process is gone.
      signalGroup(this.pid, 'SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve));
      this.status = 'failed';
      this.resolveEnded();
      throw error;
    }
    this.status = 'running';
    // No I/O callback ran since the spawn: the pipes have buffered whatever the process wrote.
    this.watch(child.stdout!, this.stdout);
    this.watch(child.stderr!, this.stderr);
    child.stdin!.on('error', (error: NodeJS.ErrnoException) => this.warn(`writing input to the process failed: ${error.code ?? error.message} (the process no longer reads its input)`, { code: error.code ?? 'unknown' }));
    child.on('error', (error: NodeJS.ErrnoException) => this.warn(`process error: ${error.message}`, { code: error.code ?? 'unknown' }));
    child.once('exit', (code, signal) => void this.onExit(code, signal));
    const shown = this.spec.shown;
    this.logger.emit('process.started', `${shown.command} started (pid ${this.pid})`, { pid: this.pid, pgid: this.pid, command: shown.command, args: JSON.stringify(shown.args), cwd: shown.cwd });
  }

  private failed(error: NodeJS.ErrnoException): SessionError {
    this.status = 'failed';
    this.endedAt = new Date().toISOString();
    this.resolveEnded();
    const { command } = this.spec;
    // cwd and command were checked before spawning; this is a race or a file that is not a program.
    const why = error.code === 'ENOENT'
      ? `command ${JSON.stringify(command)} was not found (searched PATH)`
      : error.code === 'EACCES' ? `command ${JSON.stringify(command)} is not executable` : error.message;
    return new SessionError(422, 'spawn_failed', `cannot start session ${this.id}: ${why}; allowed: an executable command name or path and an existing cwd`);
  }

  private watch(pipe: Readable, recorder: OutputRecorder): void {
    pipe.on('data', (chunk: Buffer) => recorder.push(this.logger, chunk));
    pipe.on('error', (error: NodeJS.ErrnoException) => this.warn(`reading ${recorder.name} failed: ${error.code ?? error.message}`, { stream: recorder.name, code: error.code ?? 'unknown' }));
  }

  /**
   * Write `data` to the process's stdin. Records `input` (full) and one `command.started`
   * (prompts) per completed line, both naming the requester; resolves once those records are
   * durable (an acknowledgement means the audit record is on disk).
   */
  async input(data: string, who: Requester): Promise<{ id: string; bytes: number; seq: number }> {
    const stdin = this.child?.stdin;
    if (this.status !== 'running' || this.terminating || this.exiting) {
      throw new SessionError(409, this.status === 'starting' ? 'session_starting' : 'session_ended', `session ${this.id} is ${this.describeStatus()}; allowed: input to a running session`);
    }
    if (!stdin || stdin.destroyed || stdin.writableEnded) {
      throw new SessionError(409, 'input_closed', `session ${this.id}: the process no longer reads its input (stdin is closed); allowed: input to a session whose stdin is open`);
    }
    if (stdin.writableLength > this.spec.maxPendingInput) {
      throw new SessionError(429, 'input_backlog', `session ${this.id}: ${stdin.writableLength} bytes of earlier input are still unread by the process; allowed: up to ${this.spec.maxPendingInput} bytes pending, retry later`);
    }
    const bytes = Buffer.byteLength(data);
    const requester = requesterAttributes(who);
    const seqBefore = this.logger.seq;
    if (this.logger.isEnabled('input')) {
      const recorded = this.inputRedactor.push(data);
      const attrs: Record<string, AnyValue> = { ...requester, bytes };
      // Characters that may begin a secret wait for the next input to be redacted with it.
      if (this.inputRedactor.heldLength !== 0) attrs.held_chars = this.inputRedactor.heldLength;
      this.logger.emit('input', recorded, attrs);
      this.lastRequester = who;
    } else {
      this.inputRedactor.reset();
      this.spec.counters.filtered++;
    }
    this.commands(data, requester);
    const seq = this.logger.seq;
    stdin.write(data);
    this.inputBytes += bytes;
    this.inputs++;
    // Nothing recorded (the level leaves input out): nothing to make durable.
    if (seq !== seqBefore) await this.logger.flush();
    return { id: this.id, bytes, seq };
  }

  /** One command.started per line completed by this input (lines may span inputs). */
  private commands(data: string, attrs: Record<string, AnyValue>): void {
    let text = this.inputLine + data;
    let match;
    while ((match = LINE_BREAK.exec(text)) !== null) {
      const line = text.slice(0, match.index);
      if (line.trim() !== '') this.logger.emit('command.started', line, attrs);
      text = text.slice(match.index + 1);
    }
    this.inputLine = text.length > MAX_LINE ? text.slice(-MAX_LINE) : text;
  }

  /** Change the level; the result says where in the stream the switch happened. */
  setLevel(level: Level, who: Requester, by: string): SetLevelResult {
    if (this.status !== 'running' || this.terminating || this.exiting) {
      throw new SessionError(409, this.status === 'starting' ? 'session_starting' : 'session_ended', `session ${this.id} is ${this.describeStatus()}; allowed: changing the level of a running session`);
    }
    this.logger.emit('api.request', `set level to ${level}`, apiRequestAttributes(who, 'set_level', { from: this.logger.level, to: level }));
    const { previous } = this.logger.setLevel(level, { by });
    return { id: this.id, previous, level, seq: this.logger.seq, output_bytes: this.outputBytes };
  }

  /**
   * SIGTERM to the process group, SIGKILL to what is left of it after the grace period.
   * Resolves when the log is closed and no process of the group remains.
   */
  async terminate(who: Requester | undefined): Promise<void> {
    await this.startAttempt;
    if (this.status !== 'running') return this.ended;
    this.terminating ??= (async () => {
      if (who) this.logger.emit('api.request', 'terminate session', apiRequestAttributes(who, 'terminate'));
      // The group may outlive the process (children that ignore SIGTERM): wait for all of it.
      await killGroup(this.pid!, this.spec.terminateGraceMs, () => this.status === 'running');
      await this.ended;
    })();
    return this.terminating;
  }

  private async onExit(code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    this.exiting = true;
    this.exitCode = code;
    this.signal = signal;
    await this.drainPipes();
    this.stdout.end(this.logger);
    this.stderr.end(this.logger);
    const inputRest = this.inputRedactor.end();
    if (inputRest !== '' && this.logger.isEnabled('input')) {
      this.logger.emit('input', inputRest, { ...requesterAttributes(this.lastRequester!), bytes: 0, released_at_end: true });
    }
    const attrs: Record<string, AnyValue> = { pid: this.pid! };
    if (code !== null) attrs.exit_code = code;
    if (signal !== null) attrs.signal = signal;
    attrs.terminated = this.terminating !== undefined;
    this.logger.emit('process.exited', signal !== null ? `killed by ${signal}` : `exited with code ${code}`, attrs);
    try {
      await this.logger.close({ reason: this.terminating ? 'terminated' : 'exited' });
    } finally {
      // `exited` once its log is closed: a reader that sees it finds every file complete.
      this.status = 'exited';
      this.endedAt = new Date().toISOString();
      this.resolveEnded();
    }
  }

  /**
   * Read what the process wrote before it exited, then close the pipes. A pipe normally ends
   * with the process; one still open is held by a grandchild, and waiting for it would keep
   * the session running for as long as that lives. What the exited process wrote is already in
   * the pipe, so it arrives within an event-loop turn or two: read until a turn brings nothing.
   */
  private async drainPipes(): Promise<void> {
    const child = this.child!;
    const pipes = [child.stdout!, child.stderr!];
    const open = () => pipes.some((pipe) => !pipe.destroyed && !pipe.readableEnded);
    for (let turn = 0; turn < DRAIN_TURNS && open(); turn++) {
      const before = this.stdout.bytes + this.stderr.bytes;
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      if (this.stdout.bytes + this.stderr.bytes === before) break;
    }
    for (const pipe of pipes) pipe.destroy();
  }

  private warn(message: string, attrs: Record<string, AnyValue>): void {
    if (!this.logger.closed) this.logger.emit('warning', `session ${this.id}: ${message}`, attrs);
  }

  private describeStatus(): string {
    if (this.status === 'starting') return 'still starting';
    if (this.terminating && this.status === 'running') return 'being terminated';
    if (this.exiting && this.status === 'running') return 'over (its process exited; its log is being closed)';
    if (this.status === 'failed') return 'not running (its command failed to start)';
    return this.signal !== null ? `over (its process was killed by ${this.signal})` : `over (its process exited with code ${this.exitCode})`;
  }
}

export interface SetLevelResult {
  id: string;
  previous: Level;
  level: Level;
  /** Seq of the log_level.changed record: every record after it uses the new level. */
  seq: number;
  /** Output bytes read from the process when the level changed. */
  output_bytes: { stdout: number; stderr: number };
}
