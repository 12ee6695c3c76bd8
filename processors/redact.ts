import { type LinearPattern, compileLinear } from './linearPattern.ts';

const REPLACEMENT = '[REDACTED]';

export type { LinearPattern } from './linearPattern.ts';

/**
 * Compile redact patterns once for the linear-time engine, naming the bad one on error
 * (config load validates `redact` through this, so a bad pattern stops start-up).
 */
export function compileRedactions(patterns: ReadonlyArray<string | RegExp>, where: string): LinearPattern[] {
  return patterns.map((pattern, i) => compileLinear(pattern, `${where}[${i}]`));
}

/** Where the patterns match in `text`: sorted, overlapping and touching ranges merged, empty matches left out. */
export function matchRanges(text: string, patterns: readonly LinearPattern[]): Array<[start: number, end: number]> {
  const ranges: Array<[number, number]> = [];
  for (const { re } of patterns) {
    // The DFA answers "any match?" far faster than the matcher finds positions.
    if (!re.test(text)) continue;
    const matcher = re.matcher(text);
    while (matcher.find()) {
      if (matcher.end() > matcher.start()) ranges.push([matcher.start(), matcher.end()]);
    }
  }
  if (ranges.length < 2) return ranges;
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [ranges[0]!];
  for (let i = 1; i < ranges.length; i++) {
    const last = merged[merged.length - 1]!;
    const range = ranges[i]!;
    if (range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push(range);
  }
  return merged;
}

/** `text` up to `end` with each of `ranges` (sorted, disjoint, all ending by `end`) replaced by [REDACTED]. */
export function replaceRanges(text: string, ranges: ReadonlyArray<readonly [number, number]>, end = text.length): string {
  let out = '';
  let at = 0;
  for (const [start, stop] of ranges) {
    if (stop > end) break;
    out += text.slice(at, start) + REPLACEMENT;
    at = stop;
  }
  return at === 0 && end === text.length ? text : out + text.slice(at, end);
}

/** `body` with every match of `patterns` replaced by [REDACTED]. */
export function redact(body: string, patterns: readonly LinearPattern[]): string {
  if (patterns.length === 0) return body;
  const ranges = matchRanges(body, patterns);
  return ranges.length === 0 ? body : replaceRanges(body, ranges);
}
