import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { SessionLogging } from '../../src/SessionLogging.ts';
import { type Level, LEVELS, isLevel } from '../../src/levels.ts';
import { SESSION_ID_ALLOWED, isValidSessionId } from '../../format/sessionId.ts';
import { type LinearPattern, compileLinear } from '../../processors/linearPattern.ts';
import { compileRedactions, redact } from '../../processors/redact.ts';
import { ManagedSession, type SessionStatus, type SetLevelResult } from './ManagedSession.ts';
import { processStartTicks } from './processGroup.ts';
import { type Requester, apiRequestAttributes, requesterLabel } from './Requester.ts';
import { commandProblem, cwdProblem } from './resolveCommand.ts';
import { SessionError } from './SessionError.ts';
import { StorageError } from '../../storage/StorageError.ts';
import { ENV_NAME_ALLOWED, SessionEnvironment, type SessionEnvPolicy, envProblem } from './sessionEnvironment.ts';

export interface SessionManagerOptions {
  logging: SessionLogging;
  /** Default prompt pattern (RE2 syntax, or a RegExp whose source is); default `[$#%>:?] ?$`. */
  promptPattern?: string | RegExp;
  /** Time between SIGTERM and SIGKILL to a session's process group on terminate (default 5000 ms). */
  terminateGraceMs?: number;
  /** Ended sessions kept for GET until deleted; the oldest are forgotten past this (default 1000). */
  maxEndedSessions?: number;
  /** Unread input bytes per session past which input is refused with 429 (default 8 MiB). */
  maxPendingInput?: number;
  /** Sessions starting or running at once; more are refused with 429 (default 256). */
  maxSessions?: number;
  /** What a session inherits from the server's environment (default `inherit`, minus secrets). */
  sessionEnv?: SessionEnvPolicy;
  /** More variable names (globs with `*`) never passed to a session. */
  sessionEnvDeny?: string[];
  /** The server's environment the policy reads (default process.env). */
  baseEnv?: NodeJS.ProcessEnv;
  /** Characters a stream holds back at most while a redact pattern may be matching (default 4096). */
  redactWindow?: number;
}

/** The body of POST /sessions. */
export interface CreateSessionRequest {
  id?: string;
  command: string;
  args?: string[];
  cwd?: string;
  env?: Record<string, string>;
  log_level?: Level;
  prompt_pattern?: string;
}

/** What GET /sessions/:id returns. */
export interface SessionInfo {
  id: string;
  status: SessionStatus;
  command: string;
  args: string[];
  cwd: string;
  pid: number | null;
  level: Level;
  created_at: string;
  ended_at: string | null;
  exit_code: number | null;
  signal: string | null;
  prompt_pattern: string;
  output_bytes: { stdout: number; stderr: number };
  input_bytes: number;
  inputs: number;
  last_seq: number;
  dir: string;
}

export const DEFAULT_PROMPT_PATTERN = '[$#%>:?] ?$';
/** What a session id may be (the rule is SESSION_ID_PATTERN in format/sessionId.ts). */
export const ID_ALLOWED = SESSION_ID_ALLOWED;
export const DEFAULTS = { terminateGraceMs: 5000, maxEndedSessions: 1000, maxPendingInput: 8 * 1024 * 1024, maxSessions: 256, redactWindow: 4096 } as const;

/**
 * Runs sessions as child processes and logs each through the facade. A create is checked in
 * full (id, level, patterns, env, limits, cwd, command) and the process started before the
 * session's log is opened, so a refused create leaves nothing on disk. Every refusal is a
 * SessionError.
 */
export class SessionManager {
  readonly logging: SessionLogging;
  /** Events of managed sessions not recorded because of their level (for /metrics). */
  readonly counters = { filtered: 0 };
  readonly maxSessions: number;
  private readonly sessions = new Map<string, ManagedSession>();
  /** Creates still being checked or started, by id: the id is taken, and counted against maxSessions. */
  private readonly pending = new Map<string, Promise<unknown>>();
  private readonly promptPattern: LinearPattern;
  private readonly redactions: LinearPattern[];
  private readonly environment: SessionEnvironment;
  readonly terminateGraceMs: number;
  private readonly maxEndedSessions: number;
  private readonly maxPendingInput: number;
  private readonly redactWindow: number;
  private closing: Promise<void> | undefined;

  constructor(options: SessionManagerOptions) {
    if (!options || typeof options.logging?.open !== 'function') {
      throw new TypeError('SessionManager: options.logging must be a SessionLogging (from createSessionLogging)');
    }
    this.logging = options.logging;
    this.promptPattern = compileLinear(options.promptPattern ?? DEFAULT_PROMPT_PATTERN, 'SessionManager: options.promptPattern');
    this.redactions = compileRedactions(this.logging.settings.config.redact, 'session_logging.redact');
    this.terminateGraceMs = positive(options.terminateGraceMs ?? DEFAULTS.terminateGraceMs, 'terminateGraceMs');
    this.maxEndedSessions = positive(options.maxEndedSessions ?? DEFAULTS.maxEndedSessions, 'maxEndedSessions');
    this.maxPendingInput = positive(options.maxPendingInput ?? DEFAULTS.maxPendingInput, 'maxPendingInput');
    this.maxSessions = positive(options.maxSessions ?? DEFAULTS.maxSessions, 'maxSessions');
    this.redactWindow = positive(options.redactWindow ?? DEFAULTS.redactWindow, 'redactWindow');
    const policy = options.sessionEnv ?? 'inherit';
    if (policy !== 'inherit' && !(Array.isArray(policy) && policy.every((name) => typeof name === 'string'))) {
      throw new RangeError(`SessionManager: options.sessionEnv = ${JSON.stringify(policy)}; allowed: "inherit" or an array of variable names (globs with *)`);
    }
    this.environment = new SessionEnvironment(policy, options.sessionEnvDeny ?? [], options.baseEnv ?? process.env);
  }

  /** Check the request, start the process, then open its log and record who asked. Resolves when it runs. */
  async create(request: CreateSessionRequest, who: Requester): Promise<SessionInfo> {
    if (this.closing) throw new SessionError(503, 'shutting_down', 'the server is shutting down; allowed: nothing until it is restarted');
    if (typeof request?.command !== 'string' || request.command === '') {
      throw new SessionError(400, 'invalid_request', 'command is missing; allowed: a non-empty string naming an executable (e.g. "sh")');
    }
    const id = request.id ?? newSessionId();
    if (!isValidSessionId(id)) throw new SessionError(400, 'invalid_session_id', `invalid session id ${JSON.stringify(id)}; allowed: ${ID_ALLOWED}`);
    if (this.sessions.has(id) || this.pending.has(id) || this.logging.get(id)) {
      throw new SessionError(409, 'session_exists', `session ${id} already exists; allowed: a new id, or DELETE /sessions/${id} first`);
    }
    if (request.log_level !== undefined && !isLevel(request.log_level)) {
      throw new SessionError(400, 'invalid_level', `unknown level ${JSON.stringify(request.log_level)}; allowed: ${LEVELS.join(', ')}`);
    }
    let promptPattern = this.promptPattern;
    if (request.prompt_pattern !== undefined) {
      try {
        promptPattern = compileLinear(request.prompt_pattern, 'prompt_pattern');
      } catch (error) {
        throw new SessionError(400, 'invalid_prompt_pattern', (error as Error).message);
      }
    }
    const args = request.args ?? [];
    const problem = envProblem(request.env ?? {}) ?? (args.some((arg) => typeof arg !== 'string' || arg.includes('\0')) ? 'args must be strings without NUL characters' : undefined)
      ?? (request.command.includes('\0') ? 'command contains a NUL character' : undefined);
    if (problem) throw new SessionError(400, 'invalid_request', `${problem}; allowed: args as strings, env with ${ENV_NAME_ALLOWED}`);
    if (this.active() >= this.maxSessions) {
      throw new SessionError(429, 'too_many_sessions', `${this.active()} sessions are starting or running; allowed: at most ${this.maxSessions} (max_sessions), DELETE one or retry later`);
    }
    const started = this.start(id, request, args, promptPattern, who);
    this.pending.set(id, started.catch(() => undefined));
    try {
      return await started;
    } finally {
      this.pending.delete(id);
    }
  }

  private async start(id: string, request: CreateSessionRequest, args: string[], promptPattern: LinearPattern, who: Requester): Promise<SessionInfo> {
    const cwd = resolve(request.cwd ?? process.cwd());
    const env = this.environment.for(request.env);
    const problem = (await cwdProblem(cwd)) ?? (await commandProblem(request.command, env.PATH, cwd));
    if (problem) throw new SessionError(422, 'spawn_failed', `cannot start session ${id}: ${problem}; allowed: an executable command name or path and an existing cwd`);
    // What logs and replies show of the command line: secrets in arguments are redacted there too.
    const shown = { command: redact(request.command, this.redactions), args: args.map((arg) => redact(arg, this.redactions)), cwd: redact(cwd, this.redactions) };
    const session = new ManagedSession({
      id, command: request.command, args, cwd, env, shown, promptPattern, redact: this.redactions, redactWindow: this.redactWindow,
      terminateGraceMs: this.terminateGraceMs, maxPendingInput: this.maxPendingInput, counters: this.counters,
    });
    await session.start((pid) => {
      let logger;
      try {
        logger = this.logging.open(id, { level: request.log_level, metadata: { command: shown.command, args: JSON.stringify(shown.args), cwd: shown.cwd } });
      } catch (error) {
        // The process is killed; the reason is the state of the log directory (a link or a file in the way,
        // another process writing the session) or a failing disk.
        if (error instanceof StorageError) {
          const inTheWay = error.code === 'ESESSIONLINK' || error.code === 'ESESSIONNOTDIR';
          if (inTheWay || error.code === 'ESESSIONLOCKED') throw new SessionError(409, inTheWay ? 'log_unavailable' : 'session_locked', `cannot open the log of session ${id}: ${error.message}`);
        }
        throw new SessionError(503, 'log_unavailable', `cannot open the log of session ${id}: ${(error as Error).message}; allowed: retry once the log directory can be written`);
      }
      // The start time tells this process group from a later one with a reused number (orphan check).
      const started = processStartTicks(pid);
      logger.setMetadata(started === undefined ? { pid, pgid: pid } : { pid, pgid: pid, pid_start_ticks: started });
      logger.emit('api.request', `create session: ${shown.command}`, apiRequestAttributes(who, 'create', { command: shown.command }));
      return logger;
    });
    this.sessions.set(id, session);
    void session.ended.then(() => this.forgetOldEnded());
    return this.info(session);
  }

  list(): SessionInfo[] {
    return [...this.sessions.values()].map((session) => this.info(session));
  }

  get(id: string): SessionInfo {
    return this.info(this.find(id));
  }

  /** Resolves once the input's audit records are durable. */
  input(id: string, data: string, who: Requester): Promise<{ id: string; bytes: number; seq: number }> {
    return this.find(id).input(data, who);
  }

  setLevel(id: string, level: string, who: Requester): SetLevelResult {
    if (!isLevel(level)) throw new SessionError(400, 'invalid_level', `unknown level ${JSON.stringify(level)}; allowed: ${LEVELS.join(', ')}`);
    return this.find(id).setLevel(level, who, requesterLabel(who));
  }

  /** Terminate (if running), wait until its log is closed and its process group gone, and forget the session. */
  async terminate(id: string, who: Requester): Promise<SessionInfo> {
    const session = this.find(id);
    await session.terminate(who);
    this.sessions.delete(id);
    return this.info(session);
  }

  /** Refuse new sessions, let creates under way finish, terminate every running session and wait for their logs to close. */
  shutdown(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all(this.pending.values());
      await Promise.all([...this.sessions.values()].map((session) => session.terminate(undefined)));
    })();
    return this.closing;
  }

  get counts(): Record<SessionStatus, number> {
    const counts: Record<SessionStatus, number> = { starting: 0, running: 0, exited: 0, failed: 0 };
    for (const id of this.pending.keys()) if (!this.sessions.has(id)) counts.starting++;
    for (const session of this.sessions.values()) counts[session.status]++;
    return counts;
  }

  /** Sessions starting or running: what maxSessions bounds. */
  private active(): number {
    let count = 0;
    for (const id of this.pending.keys()) if (!this.sessions.has(id)) count++;
    for (const session of this.sessions.values()) if (session.status === 'running') count++;
    return count;
  }

  private find(id: string): ManagedSession {
    if (!isValidSessionId(id)) throw new SessionError(400, 'invalid_session_id', `invalid session id ${JSON.stringify(id)}; allowed: ${ID_ALLOWED}`);
    const session = this.sessions.get(id);
    if (!session) throw new SessionError(404, 'session_not_found', `no session ${id}; allowed: an id listed by GET /sessions`);
    return session;
  }

  private info(session: ManagedSession): SessionInfo {
    const shown = session.spec.shown;
    return {
      id: session.id,
      status: session.status,
      command: shown.command,
      args: shown.args,
      cwd: shown.cwd,
      pid: session.pid ?? null,
      level: session.level!,
      created_at: session.createdAt,
      ended_at: session.endedAt,
      exit_code: session.exitCode,
      signal: session.signal,
      prompt_pattern: session.spec.promptPattern.source,
      output_bytes: session.outputBytes,
      input_bytes: session.inputBytes,
      inputs: session.inputs,
      last_seq: session.seq,
      dir: join(this.logging.dir, session.id),
    };
  }

  /** Ended sessions stay listed until deleted; keep at most maxEndedSessions of them. */
  private forgetOldEnded(): void {
    const ended = [...this.sessions.values()].filter((session) => session.status === 'exited');
    for (let i = 0; i < ended.length - this.maxEndedSessions; i++) this.sessions.delete(ended[i]!.id);
  }
}

function newSessionId(): string {
  return `s-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`SessionManager: options.${name} = ${JSON.stringify(value)}; allowed: a positive number`);
  return value;
}
