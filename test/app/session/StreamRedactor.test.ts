import assert from 'node:assert/strict';
import { compileRedactions } from '../../../processors/redact.ts';
import { StreamRedactor } from '../../../app/session/StreamRedactor.ts';

const PATTERNS = compileRedactions(['password=\\S+', 'sk-[A-Za-z0-9]{20,}', 'BEGIN KEY[\\s\\S]*?END KEY'], 'redact');

/** Feed `pieces` through a redactor and end it: the recorded pieces, and everything recorded. */
function through(pieces: string[], window = 4096): { recorded: string[]; all: string } {
  const redactor = new StreamRedactor(PATTERNS, window);
  const recorded = pieces.map((piece) => redactor.push(piece));
  recorded.push(redactor.end());
  return { recorded, all: recorded.join('') };
}

describe('StreamRedactor: a secret split between pieces never passes', () => {
  const secrets = ['password=hunter5', 'sk-ABCDEFGHIJKLMNOPQRSTUV', 'BEGIN KEY\nMIIB\nEND KEY'];
  for (const secret of secrets) {
    it(`redacts ${JSON.stringify(secret)} at every split point into two pieces`, () => {
      for (let cut = 1; cut < secret.length; cut++) {
        const { all } = through([`before ${secret.slice(0, cut)}`, `${secret.slice(cut)} after\n`]);
        assert.equal(all, 'before [REDACTED] after\n', `split at ${cut}`);
      }
    });

    it(`redacts ${JSON.stringify(secret)} split into three pieces at every pair of points`, () => {
      for (let a = 1; a < secret.length - 1; a++) {
        for (let b = a + 1; b < secret.length; b++) {
          const { all } = through([secret.slice(0, a), secret.slice(a, b), secret.slice(b) + '\n']);
          assert.equal(all, '[REDACTED]\n', `split at ${a}, ${b}`);
        }
      }
    });
  }

  it('holds back only what may begin a secret: plain text passes at once', () => {
    const redactor = new StreamRedactor(PATTERNS, 4096);
    assert.equal(redactor.push('ls -la\n'), 'ls -la\n');
    assert.equal(redactor.push('echo pass'), 'echo ');
    assert.equal(redactor.heldLength, 4);
    assert.equal(redactor.push('ed\n'), 'passed\n');
    assert.equal(redactor.push('$ '), '$ ');
    assert.equal(redactor.heldLength, 0);
  });

  it('holds at most twice the window, and releases the rest when the stream ends', () => {
    const redactor = new StreamRedactor(PATTERNS, 64);
    const long = 'password=' + 'x'.repeat(1000);
    let recorded = '';
    for (const char of long) {
      recorded += redactor.push(char);
      assert.ok(redactor.heldLength <= 128, `held ${redactor.heldLength}`);
    }
    recorded += redactor.end();
    assert.ok(!recorded.includes('password='), 'the start of the secret is redacted');
  });

  it('passes every piece unchanged without patterns', () => {
    const redactor = new StreamRedactor([], 4096);
    assert.equal(redactor.push('password=hun'), 'password=hun');
    assert.equal(redactor.end(), '');
  });
});
