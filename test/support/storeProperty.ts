// The model-based property of the store (issue 11): random sequences of emits, flushes,
// level changes, faults, crashes and completions of the file system's asynchronous calls in
// any order, checked against a model of the seqs handed out and acknowledged. fast-check
// shrinks a failure to the shortest sequence that shows it. Run with a small budget by
// npm test and a large one by the reliability suite.
import assert from 'node:assert/strict';
import { existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { createSessionLogging, type SessionLogger, type SessionLogging, verifySession } from '../../src/index.ts';
import { ControlledFileSystem } from './ControlledFileSystem.ts';
import { readMetadata, sessionLines, tempDir } from './sessionFiles.ts';

const ID = 'prop';

interface Settings {
  maxFileSize: number;
  maxSessionSize: number;
  maxBufferedBytes: number;
  checkIntervalMs: number;
  durability: 'none' | 'audit' | 'all';
  /** 2: the two streams and a new segment contend for two descriptors, so files are closed and reopened (asynchronously) all along. */
  maxOpenFiles: number;
}

/** What the test knows: seqs whose flush() resolved (acknowledged), and the flushes still waiting. */
interface Model {
  acknowledged: Set<number>;
  flushedUpTo: number;
}

class Real {
  readonly root = tempDir('osl-prop-');
  readonly settings: Settings;
  cfs = new ControlledFileSystem();
  logging: SessionLogging;
  log: SessionLogger;
  counter = 0;

  constructor(settings: Settings) {
    this.settings = settings;
    this.logging = this.start();
    this.log = this.logging.open(ID, { level: 'full' });
  }

  start(): SessionLogging {
    return createSessionLogging({
      dir: this.root, env: {}, defaultLevel: 'full', compression: 'none', retention: false, fs: this.cfs.fs, onError: () => {},
      maxFileSize: this.settings.maxFileSize, maxSessionSize: this.settings.maxSessionSize, maxBufferedBytes: this.settings.maxBufferedBytes,
      checkIntervalMs: this.settings.checkIntervalMs, durability: this.settings.durability, maxOpenFiles: this.settings.maxOpenFiles,
    });
  }
}

type Command = fc.AsyncCommand<Model, Real>;

const turn = () => new Promise((resolve) => setImmediate(resolve));

class Emit implements Command {
  readonly count: number;
  readonly auditEvery: number;
  readonly bodyLength: number;
  constructor(count: number, auditEvery: number, bodyLength: number) {
    this.count = count;
    this.auditEvery = auditEvery;
    this.bodyLength = bodyLength;
  }
  check = () => true;
  async run(_model: Model, real: Real): Promise<void> {
    for (let i = 0; i < this.count; i++) {
      const n = ++real.counter;
      real.log.emit(n % this.auditEvery === 0 ? 'input' : 'output', `r${n} ${'b'.repeat((n * 7) % this.bodyLength)}`);
    }
  }
  toString = () => `emit(${this.count}, audit every ${this.auditEvery}, body ${this.bodyLength})`;
}

class Complete implements Command {
  readonly picks: number[];
  constructor(picks: number[]) {
    this.picks = picks;
  }
  check = () => true;
  async run(_model: Model, real: Real): Promise<void> {
    for (const pick of this.picks) {
      if (!real.cfs.completeOne(pick)) await turn();
    }
  }
  toString = () => `complete(${this.picks.join(',')})`;
}

class Turn implements Command {
  check = () => true;
  async run(): Promise<void> {
    await turn();
  }
  toString = () => 'turn';
}

class Flush implements Command {
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const from = model.flushedUpTo;
    const upTo = real.log.seq;
    model.flushedUpTo = Math.max(model.flushedUpTo, upTo);
    // Acknowledged when it resolves, whenever that is (a later completion or turn).
    real.log.flush().then(() => {
      for (let seq = from + 1; seq <= upTo; seq++) model.acknowledged.add(seq);
    }, () => {});
  }
  toString = () => 'flush';
}

class SetLevel implements Command {
  readonly level: 'full' | 'prompts';
  constructor(level: 'full' | 'prompts') {
    this.level = level;
  }
  check = () => true;
  async run(_model: Model, real: Real): Promise<void> {
    real.log.setLevel(this.level);
  }
  toString = () => `setLevel(${this.level})`;
}

class Fault implements Command {
  readonly code: string;
  readonly kinds: Array<'write' | 'sync' | 'metadata' | 'writeSync'>;
  constructor(code: string, kinds: Array<'write' | 'sync' | 'metadata' | 'writeSync'>) {
    this.code = code;
    this.kinds = kinds;
  }
  check = () => true;
  async run(_model: Model, real: Real): Promise<void> {
    real.cfs.fail(this.code, this.kinds);
  }
  toString = () => `fault(${this.code}: ${this.kinds.join('+')})`;
}

class Heal implements Command {
  check = () => true;
  async run(_model: Model, real: Real): Promise<void> {
    real.cfs.heal();
  }
  toString = () => 'heal';
}

/** kill -9: nothing pending happens; a new process reopens the session. */
class Crash implements Command {
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    real.cfs.die();
    // The dead process's lock names a pid that is gone; here the pid is ours, so remove it as the takeover would.
    const lock = join(real.root, ID, '.lock');
    if (existsSync(lock)) unlinkSync(lock);
    real.cfs = new ControlledFileSystem();
    real.logging = real.start();
    real.log = real.logging.open(ID, { level: 'full' });
    model.flushedUpTo = real.log.seq - 1; // seqs before the reopen were flushed or not; the new ones start here
  }
  toString = () => 'crash';
}

const commands = [
  fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 400 })).map(([n, every, length]) => new Emit(n, every, length)),
  fc.array(fc.nat({ max: 50 }), { minLength: 1, maxLength: 20 }).map((picks) => new Complete(picks)),
  fc.constant(new Turn()),
  fc.constant(new Flush()),
  fc.constantFrom('full' as const, 'prompts' as const).map((level) => new SetLevel(level)),
  fc.tuple(fc.constantFrom('ENOSPC', 'EIO'), fc.subarray(['write', 'sync', 'metadata', 'writeSync'] as const, { minLength: 1 })).map(([code, kinds]) => new Fault(code, [...kinds])),
  fc.constant(new Heal()),
  fc.constant(new Crash()),
];

const settings = fc.record({
  maxFileSize: fc.integer({ min: 1024, max: 16 * 1024 }),
  maxSessionSize: fc.oneof(fc.constant(1 << 30), fc.integer({ min: 16 * 1024, max: 64 * 1024 })),
  maxBufferedBytes: fc.integer({ min: 1024, max: 64 * 1024 }),
  checkIntervalMs: fc.constantFrom(0, 1_000_000),
  durability: fc.constantFrom('none' as const, 'audit' as const, 'all' as const),
  maxOpenFiles: fc.constantFrom(2, 256),
});

/** Heal, then let every call complete (in a random order) until shutdown() resolves. */
async function finish(real: Real, seed: number): Promise<void> {
  real.cfs.heal();
  let done = false;
  const shutdown = real.logging.shutdown().then(() => (done = true));
  let random = seed;
  for (let step = 0; !done; step++) {
    if (step > 200_000) throw new Error(`shutdown did not finish: ${real.cfs.pending.map((c) => c.name).join(' ')}`);
    random = (random * 1103515245 + 12345) % 2147483648;
    if (!real.cfs.completeOne(random)) await turn();
  }
  await shutdown;
}

async function checkFiles(real: Real, model: Model): Promise<void> {
  const lines = sessionLines(real.root, ID); // throws on a line that does not parse
  const present = new Set<number>();
  for (const line of lines) {
    assert.ok(!present.has(line.seq), `seq ${line.seq} is written twice`);
    present.add(line.seq);
  }
  const meta = readMetadata(real.root, ID);
  const inRange = (ranges: Array<{ first_seq: number; last_seq: number }>, seq: number) => ranges.some((r) => seq >= r.first_seq && seq <= r.last_seq);
  for (let seq = 1; seq <= meta.last_seq; seq++) {
    if (present.has(seq)) continue;
    assert.ok(inRange(meta.drops, seq) || inRange(meta.crash_losses, seq) || inRange(meta.removed, seq), `seq ${seq} is missing and not recorded (last_seq ${meta.last_seq})`);
  }
  // An acknowledged record survives any crash: it is on disk, or was dropped (a fault, recorded) or removed by the cap before.
  for (const seq of model.acknowledged) {
    assert.ok(present.has(seq) || inRange(meta.drops, seq) || inRange(meta.removed, seq), `seq ${seq} was acknowledged by flush() and is not on disk${inRange(meta.crash_losses, seq) ? ' (recorded as a crash loss)' : ''}`);
  }
  assert.deepEqual(await verifySession(real.root, ID), []);
}

/**
 * Run the property `budget.runs` times with up to `budget.commands` commands each
 * (PROPERTY_SEED replays a seed). Returns how many records the runs wrote.
 */
export async function checkStoreProperty(budget: { runs: number; commands: number }): Promise<number> {
  const exercised = new Map<string, number>();
  let records = 0;
  await fc.assert(
    fc.asyncProperty(settings, fc.commands(commands, { maxCommands: budget.commands, size: 'max' }), fc.nat(), async (chosen, cmds, seed) => {
      const real = new Real(chosen);
      const model: Model = { acknowledged: new Set(), flushedUpTo: 0 };
      await fc.asyncModelRun(() => ({ model, real }), cmds);
      await finish(real, seed);
      for (const [name, count] of real.cfs.completed) exercised.set(name, (exercised.get(name) ?? 0) + count);
      records += real.counter;
      try {
        await checkFiles(real, model);
      } catch (error) {
        (error as Error).message += ` (files in ${real.root}; KEEP_TEST_DIRS=1 keeps them)`;
        throw error;
      }
    }),
    { numRuns: budget.runs, seed: process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : undefined },
  );
  // The runs went through the paths that matter: data writes, fsyncs, file checks, rotations, metadata writes, reopens.
  for (const name of ['write', 'fdatasync', 'lstat', 'rename', 'handle.sync', 'open']) assert.ok((exercised.get(name) ?? 0) > 0, `no run completed a ${name}: ${JSON.stringify([...exercised])}`);
  assert.ok(records > budget.runs * 10, `${records} records in ${budget.runs} runs`);
  if (process.env.PROPERTY_STATS) console.log(records, JSON.stringify([...exercised]));
  return records;
}
