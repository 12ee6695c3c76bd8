import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { createSessionLogging, type SessionLogging } from '../../src/index.ts';
import { tempDir } from '../support/sessionFiles.ts';

/** A processor that does nothing: attaching it makes the facade go through the OTel SDK. */
const noop: LogRecordProcessor = { onEmit() {}, forceFlush: async () => {}, shutdown: async () => {} };

function workload(logging: SessionLogging): Promise<void> {
  const log = logging.open('same', { level: 'full', metadata: { command: 'bash', n: 1 } });
  const many: Record<string, unknown> = {};
  for (let i = 0; i < 140; i++) many[`k${i}`] = i; // past the 128 attributes a record keeps
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  log.emit('output', 'plain text', { stream: 'stdout' }, { timestamp: Date.UTC(2026, 10, 25, 7, 1, 2, 123) });
  log.emit('output', new Uint8Array([0xff, 0xfe, 0x00, 0x41]));
  log.emit('output', new TextEncoder().encode('valid utf8 ☃'));
  log.emit('input', 'ls -la\n', { n: 1, ok: true, list: ['a', 'b'], nested: { x: [1, { y: null }] }, bytes: new Uint8Array([1, 2]) });
  log.emit('command.started', 'ls -la', { skipped: undefined, '': 'empty key', date: new Date(0) as never, fn: (() => 1) as never, big: 10n as never, circular: circular as never });
  log.emit('error', { code: 'E', detail: [1, 2, 3] }, { 'session.id': 'spoofed', 'session.log.seq': 99, 'session.log.tier': 'full', 'event.name': 'x' });
  log.emit('agent.custom', 'custom', many as never, { tier: 'signals', category: 'audit' });
  log.emit('tool.called', null, { nan: Number.NaN, inf: Number.POSITIVE_INFINITY, neg: -0 });
  // Attributes of a class with toJSON: the SDK copies own keys; one JSON.stringify would call toJSON.
  class Tagged { tag = 'kept'; toJSON() { return { replaced: true }; } }
  log.emit('tool.called', 'class', new Tagged() as never);
  log.setLevel('prompts', { by: 'test' });
  log.emit('output', 'filtered out at prompts');
  log.emit('prompt.detected', '$ ');
  log.setLevel('full');
  for (let i = 0; i < 300; i++) log.emit(i % 3 === 0 ? 'input' : 'output', `line ${i} ${'x'.repeat(i)}`);
  return logging.shutdown();
}

function recordFiles(dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).filter((name) => name.includes('.jsonl')).sort().map((name) => [name, readFileSync(join(dir, name))]));
}

describe('the direct route (files only, no SDK record)', () => {
  it('writes the same bytes as the OTel SDK path for the same records', async () => {
    const time = new Date(Date.UTC(2026, 10, 25, 7, 0, 0));
    const options = { env: {}, compression: 'none' as const, maxFileSize: '16KB', retention: false, clock: () => time };
    const directRoot = tempDir();
    const direct = createSessionLogging({ ...options, dir: directRoot });
    assert.equal(direct.direct, true, 'files only: the direct route');
    await workload(direct);
    const sdkRoot = tempDir();
    const viaSdk = createSessionLogging({ ...options, dir: sdkRoot, processors: [noop] });
    assert.equal(viaSdk.direct, false, 'a processor attached: the SDK route');
    await workload(viaSdk);
    const a = recordFiles(join(directRoot, 'same'));
    const b = recordFiles(join(sdkRoot, 'same'));
    assert.deepEqual([...a.keys()], [...b.keys()]);
    assert.ok(a.size >= 3, `rotated into segments: ${[...a.keys()].join(' ')}`);
    for (const [name, bytes] of a) assert.ok(bytes.equals(b.get(name)!), `${name} differs:\n${bytes.toString().split('\n').find((line, i) => line !== b.get(name)!.toString().split('\n')[i])}`);
    // The attribute rules of the SDK held on both routes: 128 of the caller's kept, invalid ones left out.
    const custom = readFileSync(join(directRoot, 'same', 'audit.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line)).find((line) => line.event === 'agent.custom');
    const all = [...a.values()].map((bytes) => bytes.toString()).join('');
    const customLine = custom ?? all.split('\n').filter(Boolean).map((line) => JSON.parse(line)).find((line) => line.event === 'agent.custom');
    assert.equal(Object.keys(customLine.attrs).length, 128);
    const command = all.split('\n').filter(Boolean).map((line) => JSON.parse(line)).find((line) => line.event === 'command.started');
    assert.deepEqual(Object.keys(command.attrs), []);
    const error = all.split('\n').filter(Boolean).map((line) => JSON.parse(line)).find((line) => line.event === 'error');
    assert.equal(error.session_id, 'same', 'a caller cannot set the line\'s own fields through attributes');
  });
});

describe('emit never throws for what a record holds', () => {
  it('writes a body that is not JSON (a cycle, a bigint) on both routes, and a throwing processor does not reach the caller', async () => {
    const thrower: LogRecordProcessor = { onEmit() { throw new Error('boom'); }, forceFlush: async () => {}, shutdown: async () => {} };
    for (const processors of [[], [thrower]]) {
      const root = tempDir();
      const logging = createSessionLogging({ dir: root, env: {}, retention: false, processors });
      const log = logging.open('odd', { level: 'full' });
      const cycle: Record<string, unknown> = { a: 1 };
      cycle.self = cycle;
      assert.equal(log.emit('output', cycle as never), true);
      assert.equal(log.emit('output', 12345678901234567890n as never), true);
      await logging.shutdown();
      const bodies = readFileSync(join(root, 'odd', 'system.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line).body);
      assert.deepEqual(bodies.slice(1, 3), ['[object Object]', '12345678901234567890']);
      assert.equal(logging.stats().levels.errors, processors.length === 0 ? 0 : 4, 'session.created, two outputs, session.terminated');
    }
  });
});
