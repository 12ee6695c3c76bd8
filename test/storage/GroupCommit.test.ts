import assert from 'node:assert/strict';
import { GroupCommit, type SyncTarget } from '../../storage/GroupCommit.ts';

/** A stream whose fdatasync the test finishes; counts its syncs and how many run at once. */
class HeldTarget implements SyncTarget {
  static running = 0;
  static maxRunning = 0;
  readonly name: string;
  syncs = 0;
  private held: Array<() => void> = [];
  private started: Array<() => void> = [];
  constructor(name: string) {
    this.name = name;
  }
  syncWave(done: () => void): void {
    this.syncs++;
    HeldTarget.running++;
    HeldTarget.maxRunning = Math.max(HeldTarget.maxRunning, HeldTarget.running);
    this.held.push(() => {
      HeldTarget.running--;
      done();
    });
    for (const resolve of this.started.splice(0)) resolve();
  }
  /** Resolves once a sync of this target is under way. */
  syncing(): Promise<void> {
    if (this.held.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.started.push(resolve));
  }
  finish(): void {
    this.held.shift()!();
  }
}

describe('GroupCommit', () => {
  beforeEach(() => {
    HeldTarget.running = HeldTarget.maxRunning = 0;
  });

  it('syncs each dirty file once per wave, however often it was marked', async () => {
    const commit = new GroupCommit(4);
    const a = new HeldTarget('a');
    const b = new HeldTarget('b');
    for (let i = 0; i < 5; i++) commit.mark(a);
    commit.mark(b);
    await Promise.all([a.syncing(), b.syncing()]);
    a.finish();
    b.finish();
    assert.deepEqual([a.syncs, b.syncs, commit.waves, commit.syncs], [1, 1, 1, 2]);
  });

  it('puts a file marked during a wave into the next wave, after the first ends', async () => {
    const commit = new GroupCommit(4);
    const a = new HeldTarget('a');
    commit.mark(a);
    await a.syncing();
    commit.mark(a); // written while its fdatasync runs: that fdatasync may not cover it
    commit.mark(a);
    assert.equal(a.syncs, 1, 'no second sync while the first runs');
    a.finish();
    await a.syncing();
    assert.equal(a.syncs, 2);
    assert.equal(commit.waves, 2);
    a.finish();
  });

  it('runs at most `concurrency` syncs at once', async () => {
    const commit = new GroupCommit(2);
    const targets = ['a', 'b', 'c', 'd', 'e'].map((name) => new HeldTarget(name));
    for (const target of targets) commit.mark(target);
    await Promise.all([targets[0]!.syncing(), targets[1]!.syncing()]);
    assert.equal(HeldTarget.running, 2);
    for (const target of targets) {
      await target.syncing();
      target.finish();
    }
    assert.equal(HeldTarget.maxRunning, 2);
    assert.deepEqual(targets.map((t) => t.syncs), [1, 1, 1, 1, 1]);
    assert.equal(commit.waves, 1);
  });
});
