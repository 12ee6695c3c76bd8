import { type ChildProcess, spawn } from 'node:child_process';
import type { AnyValue } from '@opentelemetry/api';
import type { Level } from '../../src/levels.ts';
import type { SessionLogger } from '../../src/SessionLogger.ts';
import { incompleteUtf8Tail, textOrBytes } from './outputText.ts';
import { type Requester, apiRequestAttributes, requesterAttributes } from './Requester.ts';
import { SessionError } from './SessionError.ts';

export type SessionStatus = 'starting' | 'running' | 'exited' | 'failed';

/** What to run and how to watch it; validated by SessionManager. */
export interface SessionSpec {
  id: string;
  command: string;
  args: string[];
  cwd: string;
  /** Variables set on top of the server's environment. */
  env: Record<string, string>;
  /** Tested against the unfinished last line of output; a match is a prompt.detected record. */
  promptPattern: RegExp;
  /** Time between SIGTERM and SIGKILL when the session is terminated. */
  terminateGraceMs: number;
  /** Input bytes waiting for the child to read past which input is refused (429). */
  maxPendingInput: number;
  /** Shared by all sessions: events not recorded because of their session's level. */
  counters: { filtered: number };
}

/** One stdout or stderr pipe: byte count, bytes of a split UTF-8 character, unfinished line. */
interface OutputStream {
  readonly name: 'stdout' | 'stderr';
  bytes: number;
  held: Buffer | undefined;
  tail: string;
}

const MAX_LINE = 64 * 1024;
const LINE_BREAK = /[\r\n]/;

/**
 * One session: a real child process whose lifecycle, output, input, prompts and exit are
 * recorded through its SessionLogger. Its log is closed (session.terminated, ended_at)
 * once the process has exited and its pipes are drained.
 */
export class ManagedSession {
  readonly spec: SessionSpec;
  readonly logger: SessionLogger;
  readonly createdAt = new Date().toISOString();
  status: SessionStatus = 'starting';
  pid: number | undefined;
  exitCode: number | null = null;
  signal: string | null = null;
  endedAt: string | null = null;
  inputBytes = 0;
  inputs = 0;
  /** Resolves once the log is closed (after exit or a failed spawn). */
  readonly ended: Promise<void>;
  private readonly stdout: OutputStream = { name: 'stdout', bytes: 0, held: undefined, tail: '' };
  private readonly stderr: OutputStream = { name: 'stderr', bytes: 0, held: undefined, tail: '' };
  private child: ChildProcess | undefined;
  private inputLine = '';
  private terminating = false;
  private killTimer: NodeJS.Timeout | undefined;
  private starting: Promise<unknown> | undefined;
  private resolveEnded!: () => void;

  constructor(spec: SessionSpec, logger: SessionLogger) {
    this.spec = spec;
    this.logger = logger;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  get id(): string {
    return this.spec.id;
  }

  get outputBytes(): { stdout: number; stderr: number } {
    return { stdout: this.stdout.bytes, stderr: this.stderr.bytes };
  }

  /**
   * Start the process. On failure (no such command, bad cwd) the session records the error,
   * closes its log and this rejects with a SessionError (422).
   */
  async start(): Promise<void> {
    const { command, args, cwd, env } = this.spec;
    let child: ChildProcess;
    try {
      // detached: the child leads its own process group, so termination reaches its children too.
      child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: 'pipe', detached: true });
    } catch (error) {
      return this.failed(error as NodeJS.ErrnoException);
    }
    this.child = child;
    child.stdout!.on('data', (chunk: Buffer) => this.onOutput(this.stdout, chunk));
    child.stderr!.on('data', (chunk: Buffer) => this.onOutput(this.stderr, chunk));
    child.stdin!.on('error', (error: NodeJS.ErrnoException) => this.warn(`writing input to the process failed: ${error.code ?? error.message} (the process no longer reads its input)`, { code: error.code ?? 'unknown' }));
    const started = await (this.starting = new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', (error) => resolve(error));
    }));
    if (started) return this.failed(started);
    this.status = 'running';
    this.pid = child.pid;
    this.logger.emit('process.started', `${command} started (pid ${child.pid})`, { pid: child.pid!, command, args: JSON.stringify(args), cwd });
    child.on('error', (error: NodeJS.ErrnoException) => this.warn(`process error: ${error.message}`, { code: error.code ?? 'unknown' }));
    child.once('close', (code, signal) => void this.onClose(code, signal));
  }

  private async failed(error: NodeJS.ErrnoException): Promise<never> {
    this.status = 'failed';
    this.endedAt = new Date().toISOString();
    const { command, cwd } = this.spec;
    // cwd was checked before spawning, so ENOENT means the command.
    const why = error.code === 'ENOENT'
      ? `command ${JSON.stringify(command)} was not found (searched PATH)`
      : error.code === 'EACCES' ? `command ${JSON.stringify(command)} is not executable` : error.message;
    const message = `cannot start session ${this.id}: ${why}; allowed: an executable command name or path and an existing cwd`;
    this.logger.emit('error', message, { code: error.code ?? 'unknown', command, cwd });
    await this.logger.close({ reason: 'spawn_failed' });
    this.resolveEnded();
    throw new SessionError(422, 'spawn_failed', message);
  }

  private onOutput(stream: OutputStream, chunk: Buffer): void {
    stream.bytes += chunk.length;
    let bytes = stream.held === undefined ? chunk : Buffer.concat([stream.held, chunk]);
    const hold = incompleteUtf8Tail(bytes);
    stream.held = hold === 0 ? undefined : Buffer.from(bytes.subarray(bytes.length - hold));
    if (hold !== 0) bytes = bytes.subarray(0, bytes.length - hold);
    if (bytes.length !== 0) this.record(stream, bytes);
  }

  private record(stream: OutputStream, bytes: Buffer): void {
    const logger = this.logger;
    const wantsPrompt = logger.isEnabled('prompt.detected');
    if (!wantsPrompt) stream.tail = '';
    if (!wantsPrompt && !logger.isEnabled('output')) {
      this.spec.counters.filtered++;
      return;
    }
    const body = textOrBytes(bytes);
    this.emit('output', body, { stream: stream.name });
    if (wantsPrompt && typeof body === 'string') this.detectPrompt(stream, body);
  }

  /** A prompt is an unfinished last line (no newline yet) that matches the pattern. */
  private detectPrompt(stream: OutputStream, text: string): void {
    const newline = text.lastIndexOf('\n');
    stream.tail = newline === -1 ? stream.tail + text : text.slice(newline + 1);
    if (stream.tail.length > MAX_LINE) stream.tail = stream.tail.slice(-MAX_LINE);
    if (stream.tail !== '' && this.spec.promptPattern.test(stream.tail)) {
      this.logger.emit('prompt.detected', stream.tail, { stream: stream.name });
      stream.tail = '';
    }
  }

  /**
   * Write `data` to the process's stdin. Records `input` (full) and one `command.started`
   * (prompts) per completed line, both naming the requester.
   */
  input(data: string, who: Requester): { id: string; bytes: number; seq: number } {
    const stdin = this.child?.stdin;
    if (this.status !== 'running' || this.terminating) {
      throw new SessionError(409, this.status === 'starting' ? 'session_starting' : 'session_ended', `session ${this.id} is ${this.describeStatus()}; allowed: input to a running session`);
    }
    if (!stdin || stdin.destroyed || stdin.writableEnded) {
      throw new SessionError(409, 'input_closed', `session ${this.id}: the process no longer reads its input (stdin is closed); allowed: input to a session whose stdin is open`);
    }
    if (stdin.writableLength > this.spec.maxPendingInput) {
      throw new SessionError(429, 'input_backlog', `session ${this.id}: ${stdin.writableLength} bytes of earlier input are still unread by the process; allowed: up to ${this.spec.maxPendingInput} bytes pending, retry later`);
    }
    const bytes = Buffer.byteLength(data);
    const attrs = { ...requesterAttributes(who), bytes };
    this.emit('input', data, attrs);
    this.commands(data, requesterAttributes(who));
    stdin.write(data);
    this.inputBytes += bytes;
    this.inputs++;
    return { id: this.id, bytes, seq: this.logger.seq };
  }

  /** One command.started per line completed by this input (lines may span inputs). */
  private commands(data: string, attrs: Record<string, AnyValue>): void {
    let text = this.inputLine + data;
    let match;
    while ((match = LINE_BREAK.exec(text)) !== null) {
      const line = text.slice(0, match.index);
      if (line.trim() !== '') this.emit('command.started', line, attrs);
      text = text.slice(match.index + 1);
    }
    this.inputLine = text.length > MAX_LINE ? text.slice(-MAX_LINE) : text;
  }

  /** Change the level; the result says where in the stream the switch happened. */
  setLevel(level: Level, who: Requester, by: string): SetLevelResult {
    if (this.status !== 'running' || this.terminating) {
      throw new SessionError(409, this.status === 'starting' ? 'session_starting' : 'session_ended', `session ${this.id} is ${this.describeStatus()}; allowed: changing the level of a running session`);
    }
    this.logger.emit('api.request', `set level to ${level}`, apiRequestAttributes(who, 'set_level', { from: this.logger.level, to: level }));
    const { previous } = this.logger.setLevel(level, { by });
    return { id: this.id, previous, level, seq: this.logger.seq, output_bytes: this.outputBytes };
  }

  /** SIGTERM to the process group, SIGKILL after the grace period; resolves when the log is closed. */
  async terminate(who: Requester | undefined): Promise<void> {
    // start() awaited this first, so its continuation has set the status when this one runs.
    if (this.status === 'starting') await this.starting;
    if (this.status === 'running' && !this.terminating) {
      this.terminating = true;
      if (who) this.logger.emit('api.request', 'terminate session', apiRequestAttributes(who, 'terminate'));
      this.kill('SIGTERM');
      this.killTimer = setTimeout(() => this.kill('SIGKILL'), this.spec.terminateGraceMs);
      this.killTimer.unref();
    }
    await this.ended;
  }

  private kill(signal: NodeJS.Signals): void {
    if (this.pid === undefined || this.status !== 'running') return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      this.child?.kill(signal);
    }
  }

  private async onClose(code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    clearTimeout(this.killTimer);
    for (const stream of [this.stdout, this.stderr]) {
      if (stream.held !== undefined) this.record(stream, stream.held);
      stream.held = undefined;
    }
    this.status = 'exited';
    this.exitCode = code;
    this.signal = signal;
    this.endedAt = new Date().toISOString();
    const attrs: Record<string, AnyValue> = { pid: this.pid! };
    if (code !== null) attrs.exit_code = code;
    if (signal !== null) attrs.signal = signal;
    attrs.terminated = this.terminating;
    this.logger.emit('process.exited', signal !== null ? `killed by ${signal}` : `exited with code ${code}`, attrs);
    try {
      await this.logger.close({ reason: this.terminating ? 'terminated' : 'exited' });
    } finally {
      this.resolveEnded();
    }
  }

  /** The facade counts what the level leaves out; `record` counts output it skips before emitting. */
  private emit(event: string, body: AnyValue, attrs: Record<string, AnyValue>): boolean {
    return this.logger.emit(event, body, attrs);
  }

  private warn(message: string, attrs: Record<string, AnyValue>): void {
    if (!this.logger.closed) this.logger.emit('warning', `session ${this.id}: ${message}`, attrs);
  }

  private describeStatus(): string {
    if (this.status === 'starting') return 'still starting';
    if (this.terminating && this.status === 'running') return 'being terminated';
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
