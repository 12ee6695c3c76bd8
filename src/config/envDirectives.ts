import { type Level, LEVELS, isLevel } from '../levels.ts';
import { SESSION_ID_ALLOWED, isValidSessionId } from '../../format/sessionId.ts';

/** Parsed `CCMUX_SESSION_LOG`: a default level and per-session overrides. */
export interface EnvDirectives {
  readonly defaultLevel?: Level;
  readonly sessions: ReadonlyMap<string, Level>;
}

export const ENV_LEVEL_VARIABLE = 'CCMUX_SESSION_LOG';

/**
 * Parse `level` or `level,id=level,...` (a comma-separated list; at most one bare level).
 * Throws an error naming the variable, the bad directive and what is allowed.
 */
export function parseEnvDirectives(value: string | undefined, variable = ENV_LEVEL_VARIABLE): EnvDirectives {
  const sessions = new Map<string, Level>();
  let defaultLevel: Level | undefined;
  if (value === undefined || value.trim() === '') return { sessions };
  const allowed = `a level (${LEVELS.join(', ')}) or directives like "signals,abc123=full"`;
  for (const raw of value.split(',')) {
    const directive = raw.trim();
    if (directive === '') throw new RangeError(`${variable}=${JSON.stringify(value)}: empty directive; allowed: ${allowed}`);
    const eq = directive.indexOf('=');
    if (eq === -1) {
      if (!isLevel(directive)) throw new RangeError(`${variable}: unknown level ${JSON.stringify(directive)}; allowed: ${allowed}`);
      if (defaultLevel !== undefined) throw new RangeError(`${variable}=${JSON.stringify(value)}: more than one default level; allowed: ${allowed}`);
      defaultLevel = directive;
      continue;
    }
    const id = directive.slice(0, eq).trim();
    const level = directive.slice(eq + 1).trim();
    if (!isValidSessionId(id)) {
      throw new RangeError(`${variable}: invalid session id ${JSON.stringify(id)} in directive ${JSON.stringify(directive)}; allowed: ${SESSION_ID_ALLOWED}`);
    }
    if (!isLevel(level)) throw new RangeError(`${variable}: unknown level ${JSON.stringify(level)} for session ${id}; allowed: ${LEVELS.join(', ')}`);
    if (sessions.has(id)) throw new RangeError(`${variable}: session ${id} is given twice; allowed: one directive per session`);
    sessions.set(id, level);
  }
  return { defaultLevel, sessions };
}
