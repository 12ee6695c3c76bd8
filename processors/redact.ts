const REPLACEMENT = '[REDACTED]';

/** Compile redact patterns once, with the global flag, naming the bad one on error. */
export function compileRedactions(patterns: ReadonlyArray<string | RegExp>, where: string): RegExp[] {
  return patterns.map((pattern, i) => {
    if (pattern instanceof RegExp) return new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g');
    try {
      return new RegExp(pattern, 'g');
    } catch (error) {
      throw new SyntaxError(`${where}[${i}] = ${JSON.stringify(pattern)} is not a valid regular expression (${(error as Error).message}); allowed: a JavaScript regular expression`);
    }
  });
}

export function redact(body: string, patterns: readonly RegExp[]): string {
  let out = body;
  for (const pattern of patterns) out = out.replace(pattern, REPLACEMENT);
  return out;
}
