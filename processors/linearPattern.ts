import type { RE2JS } from 're2js';
import { re2js } from '../src/lazyModules.ts';

/** Longest pattern source accepted (characters). */
export const MAX_PATTERN_LENGTH = 1000;
/**
 * Largest compiled program accepted (RE2 instructions). Matching costs at most
 * input length x program size steps; this keeps a 64 KiB read under a second in the worst case.
 */
export const MAX_PROGRAM_SIZE = 1000;

export const PATTERN_ALLOWED = `a regular expression of at most ${MAX_PATTERN_LENGTH} characters in RE2 syntax `
  + '(JavaScript syntax without lookahead, lookbehind or backreferences; matched in linear time), e.g. "password=\\\\S+"';

/**
 * A user-supplied pattern, compiled for RE2's linear-time engine: no input can make matching
 * backtrack, so one session's output cannot stall the server (a backtracking `^(a+)+$` can).
 */
export interface LinearPattern {
  /** The pattern as the user wrote it. */
  readonly source: string;
  readonly re: RE2JS;
}

/**
 * Compile `pattern` (a JavaScript-style source or RegExp; flags i, m, s are kept) for the
 * linear-time engine. Throws a SyntaxError naming `where`, the pattern, why and what is allowed.
 */
export function compileLinear(pattern: string | RegExp, where: string): LinearPattern {
  const source = pattern instanceof RegExp ? pattern.source : pattern;
  const shown = JSON.stringify(source.length > 80 ? source.slice(0, 80) + '...' : source);
  const refuse = (why: string) => new SyntaxError(`${where} = ${shown} is not a valid regular expression (${why}); allowed: ${PATTERN_ALLOWED}`);
  if (typeof source !== 'string' || source === '') throw refuse('empty');
  if (source.length > MAX_PATTERN_LENGTH) throw refuse(`${source.length} characters`);
  const { RE2JS } = re2js();
  let flags = 0;
  if (pattern instanceof RegExp) {
    if (pattern.flags.includes('i')) flags |= RE2JS.CASE_INSENSITIVE;
    if (pattern.flags.includes('m')) flags |= RE2JS.MULTILINE;
    if (pattern.flags.includes('s')) flags |= RE2JS.DOTALL;
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(RE2JS.translateRegExp(source), flags);
  } catch (error) {
    throw refuse(explain((error as Error).message));
  }
  if (re.programSize() > MAX_PROGRAM_SIZE) throw refuse(`it compiles to ${re.programSize()} instructions, more than ${MAX_PROGRAM_SIZE}`);
  return { source, re };
}

/** RE2's parse errors, said in terms of what a JavaScript user wrote. */
function explain(message: string): string {
  const detail = message.replace(/^error parsing regexp: /, '');
  if (/`\(\?[=!]/.test(detail) || /`\(\?<[=!]/.test(detail) || /named capture: `\(\?<[=!]/.test(detail)) return `lookahead and lookbehind are not supported by the linear-time engine: ${detail}`;
  if (/escape sequence: `\\[1-9]/.test(detail)) return `backreferences are not supported by the linear-time engine: ${detail}`;
  return detail;
}
