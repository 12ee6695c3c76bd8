import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SessionLogging } from '../../src/SessionLogging.ts';
import { type Level, LEVELS, isLevel } from '../../src/levels.ts';
import { isValidSessionId } from '../../format/sessionId.ts';
import { ManagedSession, type SessionStatus, type SetLevelResult } from './ManagedSession.ts';
import { type Requester, apiRequestAttributes, requesterLabel } from './Requester.ts';
import { SessionError } from './SessionError.ts';

export interface SessionManagerOptions {
  logging: SessionLogging;
  /** Default prompt pattern (a regular expression source or RegExp); default `[$#%>:?] ?$`. */
  promptPattern?: string | RegExp;
  /** Time between SIGTERM and SIGKILL on terminate (default 3000 ms). */
  terminateGraceMs?: number;
  /** Ended sessions kept for GET until deleted; the oldest are forgotten past this (default 1000). */
  maxEndedSessions?: number;
  /** Unread input bytes per session past which input is refused with 429 (default 8 MiB). */
  maxPendingInput?: number;
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
export const ID_ALLOWED = '1-128 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit';

/**
 * Runs sessions as child processes and logs each through the facade: the logger is opened
 * on spawn and closed when the process has exited. Every refusal is a SessionError.
 */
export class SessionManager {
  readonly logging: SessionLogging;
  /** Events of managed sessions not recorded because of their level (for /metrics). */
  readonly counters = { filtered: 0 };
  private readonly sessions = new Map<string, ManagedSession>();
  private readonly promptPattern: RegExp;
  private readonly terminateGraceMs: number;
  private readonly maxEndedSessions: number;
  private readonly maxPendingInput: number;
  private closing: Promise<void> | undefined;

  constructor(options: SessionManagerOptions) {
    if (!options || typeof options.logging?.open !== 'function') {
      throw new TypeError('SessionManager: options.logging must be a SessionLogging (from createSessionLogging)');
    }
    this.logging = options.logging;
    this.promptPattern = compilePattern(options.promptPattern ?? DEFAULT_PROMPT_PATTERN, 'SessionManager: options.promptPattern');
    this.terminateGraceMs = positive(options.terminateGraceMs ?? 3000, 'terminateGraceMs');
    this.maxEndedSessions = positive(options.maxEndedSessions ?? 1000, 'maxEndedSessions');
    this.maxPendingInput = positive(options.maxPendingInput ?? 8 * 1024 * 1024, 'maxPendingInput');
  }

  /** Open the session's log, record who asked, start the process. Resolves when it runs. */
  async create(request: CreateSessionRequest, who: Requester): Promise<SessionInfo> {
    if (this.closing) throw new SessionError(503, 'shutting_down', 'the server is shutting down; allowed: nothing until it is restarted');
    if (typeof request?.command !== 'string' || request.command === '') {
      throw new SessionError(400, 'invalid_request', 'command is missing; allowed: a non-empty string naming an executable (e.g. "sh")');
    }
    const id = request.id ?? newSessionId();
    if (!isValidSessionId(id)) throw new SessionError(400, 'invalid_session_id', `invalid session id ${JSON.stringify(id)}; allowed: ${ID_ALLOWED}`);
    if (this.sessions.has(id) || this.logging.get(id)) {
      throw new SessionError(409, 'session_exists', `session ${id} already exists; allowed: a new id, or DELETE /sessions/${id} first`);
    }
    if (request.log_level !== undefined && !isLevel(request.log_level)) {
      throw new SessionError(400, 'invalid_level', `unknown level ${JSON.stringify(request.log_level)}; allowed: ${LEVELS.join(', ')}`);
    }
    let promptPattern = this.promptPattern;
    if (request.prompt_pattern !== undefined) {
      try {
        promptPattern = compilePattern(request.prompt_pattern, 'prompt_pattern');
      } catch (error) {
        throw new SessionError(400, 'invalid_prompt_pattern', (error as Error).message);
      }
    }
    const cwd = resolve(request.cwd ?? process.cwd());
    const args = request.args ?? [];
    const logger = this.logging.open(id, {
      level: request.log_level,
      metadata: { command: request.command, args: JSON.stringify(args), cwd },
    });
    const session = new ManagedSession({
      id, command: request.command, args, cwd, env: request.env ?? {}, promptPattern,
      terminateGraceMs: this.terminateGraceMs, maxPendingInput: this.maxPendingInput, counters: this.counters,
    }, logger);
    this.sessions.set(id, session);
    void session.ended.then(() => this.forgetOldEnded());
    logger.emit('api.request', `create session: ${request.command}`, apiRequestAttributes(who, 'create', { command: request.command }));
    if (cwdProblem(cwd)) {
      this.sessions.delete(id);
      logger.emit('error', `cannot start session ${id}: cwd ${JSON.stringify(cwd)} ${cwdProblem(cwd)}`, { cwd });
      await logger.close({ reason: 'spawn_failed' });
      throw new SessionError(422, 'spawn_failed', `cannot start session ${id}: cwd ${JSON.stringify(cwd)} ${cwdProblem(cwd)}; allowed: an existing directory`);
    }
    try {
      await session.start();
    } catch (error) {
      this.sessions.delete(id);
      throw error;
    }
    return this.info(session);
  }

  list(): SessionInfo[] {
    return [...this.sessions.values()].map((session) => this.info(session));
  }

  get(id: string): SessionInfo {
    return this.info(this.find(id));
  }

  input(id: string, data: string, who: Requester): { id: string; bytes: number; seq: number } {
    return this.find(id).input(data, who);
  }

  setLevel(id: string, level: string, who: Requester): SetLevelResult {
    if (!isLevel(level)) throw new SessionError(400, 'invalid_level', `unknown level ${JSON.stringify(level)}; allowed: ${LEVELS.join(', ')}`);
    return this.find(id).setLevel(level, who, requesterLabel(who));
  }

  /** Terminate (if running), wait until its log is closed, and forget the session. */
  async terminate(id: string, who: Requester): Promise<SessionInfo> {
    const session = this.find(id);
    await session.terminate(who);
    this.sessions.delete(id);
    return this.info(session);
  }

  /** Refuse new sessions, terminate every running one and wait for their logs to close. */
  shutdown(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.sessions.values()].map((session) => session.terminate(undefined)));
    })();
    return this.closing;
  }

  get counts(): Record<SessionStatus, number> {
    const counts: Record<SessionStatus, number> = { starting: 0, running: 0, exited: 0, failed: 0 };
    for (const session of this.sessions.values()) counts[session.status]++;
    return counts;
  }

  private find(id: string): ManagedSession {
    if (!isValidSessionId(id)) throw new SessionError(400, 'invalid_session_id', `invalid session id ${JSON.stringify(id)}; allowed: ${ID_ALLOWED}`);
    const session = this.sessions.get(id);
    if (!session) throw new SessionError(404, 'session_not_found', `no session ${id}; allowed: an id listed by GET /sessions`);
    return session;
  }

  private info(session: ManagedSession): SessionInfo {
    return {
      id: session.id,
      status: session.status,
      command: session.spec.command,
      args: session.spec.args,
      cwd: session.spec.cwd,
      pid: session.pid ?? null,
      level: session.logger.level,
      created_at: session.createdAt,
      ended_at: session.endedAt,
      exit_code: session.exitCode,
      signal: session.signal,
      prompt_pattern: session.spec.promptPattern.source,
      output_bytes: session.outputBytes,
      input_bytes: session.inputBytes,
      inputs: session.inputs,
      last_seq: session.logger.seq,
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

function cwdProblem(cwd: string): string | undefined {
  try {
    return statSync(cwd).isDirectory() ? undefined : 'is not a directory';
  } catch {
    return 'does not exist';
  }
}

/** A prompt pattern without the g/y flags, whose state would make test() alternate. */
export function compilePattern(pattern: string | RegExp, where: string): RegExp {
  if (pattern instanceof RegExp) return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
  try {
    return new RegExp(pattern);
  } catch (error) {
    throw new RangeError(`${where}: ${JSON.stringify(pattern)} is not a regular expression (${(error as Error).message}); allowed: a JavaScript regular expression such as "[$#>] ?$"`);
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`SessionManager: options.${name} = ${JSON.stringify(value)}; allowed: a positive number`);
  return value;
}
