import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventPart } from '../../format/formatLine.ts';
import { formatTimestamp } from '../../format/formatTimestamp.ts';
import { nextChain, splitChainedLine } from '../../format/auditChain.ts';
import { createSessionLogging } from '../../src/index.ts';
import { rawLines, tempDir } from '../support/sessionFiles.ts';

describe('JSONL line serialization', () => {
  const root = tempDir();
  let system: string[];
  let audit: string[];
  const huge = 'x'.repeat(5 * 1024 * 1024);
  const when = Date.UTC(2026, 10, 25, 7, 1, 2, 123);

  before(async () => {
    const logging = createSessionLogging({ dir: root, env: {} });
    const log = logging.open('ser', { level: 'full', metadata: { command: 'bash' } });
    log.emit('output', 'plain', { stream: 'stdout' }, { timestamp: when });
    log.emit('output', 'üñíçødé ☃ 😀 "quoted" \\ \n\t\u0001');
    log.emit('output', new Uint8Array([0xff, 0xfe, 0x00, 0x41]));
    log.emit('output', new TextEncoder().encode('valid utf8 ☃'));
    log.emit('output', huge);
    log.emit('input', 'ls -la\n', { n: 1, ok: true, list: ['a', 'b'] });
    log.emit('agent.custom', { nested: { a: 1 } }, {}, { tier: 'signals', category: 'audit' });
    await logging.shutdown();
    system = rawLines(join(root, 'ser', 'system.jsonl'));
    audit = rawLines(join(root, 'ser', 'audit.jsonl'));
  });

  it('writes keys in the order ts, seq, session_id, event, category, tier, severity, body, attrs', () => {
    for (const line of [...system, ...audit]) {
      const keys = Object.keys(JSON.parse(line));
      const expected = ['ts', 'seq', 'session_id', 'event', 'category', 'tier', 'severity', 'body', ...(keys.includes('body_encoding') ? ['body_encoding'] : []), 'attrs', ...(keys.includes('chain') ? ['chain'] : [])];
      assert.deepEqual(keys, expected, line.slice(0, 200));
    }
  });

  it('writes ts as ISO 8601 UTC with nanoseconds', () => {
    const first = JSON.parse(system[1]!);
    assert.equal(first.ts, '2026-11-25T07:01:02.123000000Z');
    for (const line of [...system, ...audit]) assert.match(JSON.parse(line).ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    assert.equal(formatTimestamp([1700000000, 5]), '2023-11-14T22:13:20.000000005Z');
    assert.equal(formatTimestamp([1700000000, 999999999]), '2023-11-14T22:13:20.999999999Z');
    // Any second and nanosecond, seconds changing or not from one call to the next (the date part is cached).
    fc.assert(fc.property(fc.integer({ min: 0, max: 4102444800 }), fc.integer({ min: 0, max: 999999999 }), (seconds, nanos) => {
      assert.equal(formatTimestamp([seconds, nanos]), new Date(seconds * 1000).toISOString().slice(0, 20) + String(nanos).padStart(9, '0') + 'Z');
    }));
  });

  it('keeps unicode and control characters intact', () => {
    assert.equal(JSON.parse(system[2]!).body, 'üñíçødé ☃ 😀 "quoted" \\ \n\t\u0001');
    assert.equal(JSON.parse(system[4]!).body, 'valid utf8 ☃');
  });

  it('writes bytes that are not UTF-8 as base64 with body_encoding', () => {
    const line = JSON.parse(system[3]!);
    assert.equal(line.body_encoding, 'base64');
    assert.deepEqual([...Buffer.from(line.body, 'base64')], [0xff, 0xfe, 0x00, 0x41]);
  });

  it('writes a 5 MiB body whole on one line', () => {
    assert.equal(JSON.parse(system[5]!).body.length, huge.length);
  });

  it('keeps attribute types and drops internal attributes from attrs', () => {
    const input = JSON.parse(audit[0]!);
    assert.deepEqual(input.attrs, { n: 1, ok: true, list: ['a', 'b'] });
    assert.equal(input.session_id, 'ser');
    assert.equal(input.category, 'audit');
    assert.equal(input.tier, 'full');
    const custom = JSON.parse(audit[1]!);
    assert.deepEqual([custom.event, custom.tier, custom.category, custom.body], ['agent.custom', 'signals', 'audit', { nested: { a: 1 } }]);
  });

  it('chains audit lines: sha256 over the previous chain and the line without its chain', () => {
    let previous = '';
    for (const line of audit) {
      const split = splitChainedLine(line)!;
      assert.equal(split.chain, nextChain(previous, split.hashed));
      previous = split.chain;
    }
    assert.equal(JSON.parse(readFileSync(join(root, 'ser', 'metadata.json'), 'utf8')).chain_head, previous);
    assert.ok(system.every((line) => !('chain' in JSON.parse(line))));
  });
});

describe('eventPart', () => {
  it('gives each combination of event, category, tier and severity its own part, however they interleave', () => {
    const events = ['output', 'input', 'we"ird\\event', 'é'];
    const values = { category: ['system', 'audit'], tier: ['spawns', 'full'], severity: ['INFO', 'WARN', '9'] };
    for (let round = 0; round < 2; round++) { // the second round is served from the cache
      for (const event of events) for (const category of values.category) for (const tier of values.tier) for (const severity of values.severity) {
        const part = eventPart(event, category, tier, severity);
        assert.deepEqual(JSON.parse(`{"event":${part}"x":0}`), { event, category, tier, severity, x: 0 });
      }
    }
  });
});
