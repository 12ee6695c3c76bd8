import assert from 'node:assert/strict';
import { compileLinear, MAX_PATTERN_LENGTH } from '../../processors/linearPattern.ts';
import { openMatchStart } from '../../processors/openMatchStart.ts';
import { compileRedactions, redact } from '../../processors/redact.ts';

describe('redact patterns: RE2 engine, linear time, clear refusals', () => {
  it('redacts every match of every pattern, overlapping matches merged', () => {
    const patterns = compileRedactions(['password=\\S+', 'sk-[a-z0-9]{6,}', 'word'], 'redact');
    assert.equal(redact('login password=hunter2 key sk-abc123def ok', patterns), 'login [REDACTED] key [REDACTED] ok');
    assert.equal(redact('nothing here', patterns), 'nothing here');
    assert.equal(redact('x', []), 'x');
  });

  it('keeps the JavaScript syntax users write: escapes, named groups, flags of a RegExp', () => {
    assert.equal(redact('A/B', [compileLinear('\\u0041\\/B', 'p')]), '[REDACTED]');
    assert.equal(redact('Token: x', [compileLinear(/token: \S/i, 'p')]), '[REDACTED]');
    assert.equal(redact('id=42', [compileLinear('id=(?<n>\\d+)', 'p')]), '[REDACTED]');
  });

  it('matches a catastrophic-backtracking pattern in linear time (^(a+)+$ on 100,000 a\'s and a !)', () => {
    // A backtracking engine takes about 2^n steps here; the test would never finish.
    const pattern = compileLinear('^(a+)+$', 'prompt_pattern');
    assert.equal(pattern.re.test('a'.repeat(100_000) + '!'), false);
    assert.equal(redact('a'.repeat(100_000) + '!', compileRedactions(['(a+)+$'], 'redact')), 'a'.repeat(100_000) + '!');
  });

  it('refuses what the engine cannot take, naming the key, the pattern, why and what is allowed', () => {
    const refusals: Array<[string, RegExp]> = [
      ['(?=a)b', /lookahead and lookbehind are not supported/],
      ['(?<!a)b', /lookahead and lookbehind are not supported/],
      ['(a)\\1', /backreferences are not supported/],
      ['([', /missing closing/],
      ['x'.repeat(MAX_PATTERN_LENGTH + 1), /1001 characters/],
      ['(a|aa){1,300}', /instructions, more than 1000/],
      ['', /empty/],
    ];
    for (const [source, why] of refusals) {
      assert.throws(() => compileRedactions(['ok', source], 'session_logging.redact'), (error: Error) => {
        assert.ok(error.message.startsWith('session_logging.redact[1] = '), error.message);
        assert.match(error.message, why);
        assert.match(error.message, /is not a valid regular expression .*; allowed: a regular expression of at most 1000 characters in RE2 syntax/);
        return true;
      });
    }
  });
});

describe('openMatchStart: where a match may be under way at the end of the text', () => {
  const at = (source: string, text: string, from = 0) => openMatchStart(compileLinear(source, 'p'), text, from);

  it('is the start of an unfinished match, or the end of the text when none can be', () => {
    assert.equal(at('password=\\S+', 'ls -l\n'), 6);
    assert.equal(at('password=\\S+', 'echo pass'), 5);
    assert.equal(at('password=\\S+', 'x password=hun'), 2, 'a match that more text would extend');
    assert.equal(at('password=\\S+', 'password=hunter2 done'), 21);
    assert.equal(at('sk-[A-Za-z0-9]{20,}', 'key sk-ABC'), 4);
    assert.equal(at('sk-[A-Za-z0-9]{20,}', 'key sk-ABC!'), 11);
    assert.equal(at('(?i)PASS', 'xpA'), 1);
    assert.equal(at('ab|bcd', 'abc'), 1);
    assert.equal(at('é😀x', 'aé😀'), 1, 'code points, not UTF-16 units');
  });

  it('looks no further back than `from`', () => {
    assert.equal(at('password=\\S+', 'password=hunter2', 4), 16);
  });
});
