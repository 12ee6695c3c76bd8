import assert from 'node:assert/strict';
import fc from 'fast-check';
import { chainLines, openLinesOf } from '../../storage/Chunk.ts';

describe('Chunk', () => {
  it('openLinesOf gives back the open lines of chained bytes, whatever their characters: what a re-chain starts from', () => {
    // An open line is JSON without its closing brace: any text, newlines escaped.
    const openLine = fc.string({ unit: 'grapheme', maxLength: 40 }).map((body) => `{"seq":1,"body":${JSON.stringify(body)}`);
    fc.assert(
      fc.property(fc.array(openLine, { minLength: 1, maxLength: 20 }), fc.constantFrom('', 'a'.repeat(64)), (lines, base) => {
        const { text } = chainLines(lines, base);
        assert.deepEqual(openLinesOf(Buffer.from(text)), lines);
      }),
    );
  });
});
