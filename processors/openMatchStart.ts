import type { LinearPattern } from './linearPattern.ts';

/**
 * The compiled program of an RE2 pattern, as re2js builds it (src/Prog.js, src/Inst.js). Only
 * these fields are read; `checkedProgram` refuses a program whose shape is not the one known here.
 */
interface Inst {
  op: number;
  out: number;
  arg: number;
  runes: Int32Array;
  matchRune(rune: number): boolean;
}
interface Prog {
  inst: Inst[];
  start: number;
}

// re2js Inst op codes (pinned version; the shape check below catches a change).
const ALT = 1;
const ALT_MATCH = 2;
const CAPTURE = 3;
const EMPTY_WIDTH = 4;
const FAIL = 5;
const MATCH = 6;
const NOP = 7;
const RUNE = 8;
const RUNE1 = 9;
const RUNE_ANY = 10;
const RUNE_ANY_NOT_NL = 11;

const programs = new WeakMap<LinearPattern, Prog>();

function checkedProgram(pattern: LinearPattern): Prog {
  let prog = programs.get(pattern);
  if (prog) return prog;
  prog = (pattern.re.re2() as unknown as { prog: Prog }).prog;
  const known = Array.isArray(prog?.inst) && Number.isInteger(prog.start)
    && prog.inst.every((inst) => inst.op >= ALT && inst.op <= RUNE_ANY_NOT_NL && typeof inst.matchRune === 'function');
  if (!known) throw new Error('openMatchStart: the re2js program has an unknown shape (re2js changed); pin the re2js version in package.json');
  programs.set(pattern, prog);
  return prog;
}

/**
 * The earliest index at or after `from` where a match of `pattern` may have begun without having
 * ended: a thread of the pattern's automaton that is still alive at the end of `text`, so more
 * text could make (or extend) a match starting there. `text.length` when there is none.
 *
 * A Thompson simulation over RE2's program: linear in (text.length - from) x program size.
 * Zero-width assertions (^, $, \b) count as satisfied: the answer may be earlier than needed,
 * never later, so a caller that holds text back from here never releases part of a match.
 */
export function openMatchStart(pattern: LinearPattern, text: string, from = 0): number {
  const prog = checkedProgram(pattern);
  const size = prog.inst.length;
  // Two thread lists (pc, start), kept in order of start; a pc is added at most once per step.
  let pcs = new Int32Array(size);
  let starts = new Int32Array(size);
  let count = 0;
  let nextPcs = new Int32Array(size);
  let nextStarts = new Int32Array(size);
  let nextCount = 0;
  const seen = new Int32Array(size).fill(-1);
  const stack = new Int32Array(size * 2 + 2);
  let step = 0;

  // Adds the threads reachable from `pc` without reading a character (the epsilon closure).
  const add = (intoPcs: Int32Array, intoStarts: Int32Array, length: number, pc: number, start: number): number => {
    let top = 0;
    stack[top++] = pc;
    while (top > 0) {
      const at = stack[--top]!;
      if (seen[at] === step) continue;
      seen[at] = step;
      const inst = prog.inst[at]!;
      switch (inst.op) {
        case ALT:
        case ALT_MATCH:
          stack[top++] = inst.arg;
          stack[top++] = inst.out;
          break;
        case CAPTURE:
        case NOP:
        case EMPTY_WIDTH:
          stack[top++] = inst.out;
          break;
        case MATCH:
        case FAIL:
          break;
        default:
          intoPcs[length] = at;
          intoStarts[length++] = start;
      }
    }
    return length;
  };

  if (from > 0 && from < text.length && isLowSurrogate(text.charCodeAt(from))) from++;
  for (let pos = from; ; ) {
    count = add(pcs, starts, count, prog.start, pos);
    if (pos >= text.length) break;
    const rune = text.codePointAt(pos)!;
    pos += rune > 0xffff ? 2 : 1;
    step++;
    nextCount = 0;
    for (let i = 0; i < count; i++) {
      const inst = prog.inst[pcs[i]!]!;
      const op = inst.op;
      const matches = op === RUNE || op === RUNE1 ? inst.matchRune(rune) : op === RUNE_ANY || (op === RUNE_ANY_NOT_NL && rune !== 0x0a);
      if (matches) nextCount = add(nextPcs, nextStarts, nextCount, inst.out, starts[i]!);
    }
    [pcs, nextPcs] = [nextPcs, pcs];
    [starts, nextStarts] = [nextStarts, starts];
    count = nextCount;
  }
  // The thread added at text.length has read nothing: a match there has not begun.
  let earliest = text.length;
  for (let i = 0; i < count; i++) if (starts[i]! < earliest) earliest = starts[i]!;
  return earliest;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
