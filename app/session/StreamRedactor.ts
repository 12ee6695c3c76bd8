import { openMatchStart } from '../../processors/openMatchStart.ts';
import { type LinearPattern, matchRanges, replaceRanges } from '../../processors/redact.ts';

/**
 * Redaction for a stream that arrives in pieces (pipe reads, input requests): a secret split
 * between two pieces is still found. Text where a match may have begun but not ended is held
 * back and matched again with the next piece; at most `window` characters are held, so a
 * match longer than the window can be cut. With no patterns every piece passes unchanged.
 */
export class StreamRedactor {
  private readonly patterns: readonly LinearPattern[];
  private readonly window: number;
  private held = '';

  constructor(patterns: readonly LinearPattern[], window: number) {
    this.patterns = patterns;
    this.window = window;
  }

  /** Characters held back until the next piece (or `end`). */
  get heldLength(): number {
    return this.held.length;
  }

  /** The text that is safe to record now, redacted; the rest waits for the next piece. */
  push(piece: string): string {
    if (this.patterns.length === 0) return piece;
    const text = this.held + piece;
    let cut = text.length;
    const from = Math.max(0, text.length - this.window);
    for (const pattern of this.patterns) cut = Math.min(cut, openMatchStart(pattern, text, from));
    const ranges = matchRanges(text, this.patterns);
    // A whole match across the cut is held with its start, unless that would pass the bound:
    // then it is released redacted, to its end.
    for (const [start, end] of ranges) {
      if (start < cut && cut < end) cut = text.length - start <= 2 * this.window ? start : end;
    }
    this.held = text.slice(cut);
    return replaceRanges(text, ranges, cut);
  }

  /** The stream ended: whatever is held, redacted. */
  end(): string {
    const text = this.held;
    this.held = '';
    if (text === '') return text;
    return replaceRanges(text, matchRanges(text, this.patterns));
  }

  /** Forget what is held (the stream is no longer recorded). */
  reset(): void {
    this.held = '';
  }
}
