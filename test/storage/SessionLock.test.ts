import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { formatLockOwner, parseLockOwner } from '../../format/lockFile.ts';
import { type FileSystem, nodeFileSystem } from '../../storage/FileSystem.ts';
import { SessionLock } from '../../storage/SessionLock.ts';
import { tempDir } from '../support/sessionFiles.ts';

const racer = fileURLToPath(new URL('../fixtures/lockRacer.ts', import.meta.url));

/** The pid of a process that has exited (and is not reused right now). */
function deadPid(): number {
  for (;;) {
    const pid = spawnSync(process.execPath, ['-e', '']).pid!;
    try {
      process.kill(pid, 0);
    } catch {
      return pid;
    }
  }
}

/** A lock left behind by a process on this host that has died. */
function plantStaleLock(dir: string): number {
  const pid = deadPid();
  writeFileSync(join(dir, '.lock'), formatLockOwner({ pid, hostname: hostname(), start: '1', at: new Date(0).toISOString() }));
  return pid;
}

function lockOwner(dir: string): number | undefined {
  return parseLockOwner(readFileSync(join(dir, '.lock'), 'utf8'))?.pid;
}

/** A racer process and its lines of output, read one at a time. */
class Racer {
  readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: string[] = [];
  private waiting: Array<(line: string) => void> = [];
  constructor() {
    this.child = spawn(process.execPath, [racer], { stdio: 'pipe' });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const waiter = this.waiting.shift();
      if (waiter) waiter(line);
      else this.lines.push(line);
    });
  }
  line(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  send(command: string): void {
    this.child.stdin.write(command + '\n');
  }
  end(): Promise<unknown> {
    this.child.stdin.end();
    return new Promise((resolve) => this.child.once('exit', resolve));
  }
}

describe('SessionLock', () => {
  it('lets one holder in: a second acquire fails with ESESSIONLOCKED naming the holder; release lets the next in', () => {
    const dir = tempDir();
    const lock = SessionLock.acquire(nodeFileSystem, dir, 'one');
    assert.equal(lockOwner(dir), process.pid);
    assert.throws(() => SessionLock.acquire(nodeFileSystem, dir, 'one'), { code: 'ESESSIONLOCKED', message: new RegExp(`session one is open in process ${process.pid} on `) });
    lock.release();
    assert.ok(!existsSync(join(dir, '.lock')));
    SessionLock.acquire(nodeFileSystem, dir, 'one').release();
    assert.deepEqual(readdirSync(dir), [], 'no temp files left');
  });

  it('takes over a lock whose owner on this host has died', () => {
    const dir = tempDir();
    const dead = plantStaleLock(dir);
    const lock = SessionLock.acquire(nodeFileSystem, dir, 'stale');
    assert.notEqual(dead, process.pid);
    assert.equal(lockOwner(dir), process.pid);
    assert.deepEqual(readdirSync(dir), ['.lock'], 'the stale lock is gone, no temp files left');
    lock.release();
  });

  it('does not take over a lock held on another host (it cannot tell whether that owner lives)', () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.lock'), formatLockOwner({ pid: deadPid(), hostname: `not-${hostname()}`, start: null, at: '' }));
    assert.throws(() => SessionLock.acquire(nodeFileSystem, dir, 'remote'), { code: 'ESESSIONLOCKED' });
  });

  it('refuses a symbolic link planted as the lock, and leaves its target alone', () => {
    const dir = tempDir();
    const target = join(tempDir(), 'target');
    writeFileSync(target, 'precious\n');
    symlinkSync(target, join(dir, '.lock'));
    assert.throws(() => SessionLock.acquire(nodeFileSystem, dir, 'linked'), { code: 'ESESSIONLINK', message: /symbolic link/ });
    assert.equal(readFileSync(target, 'utf8'), 'precious\n');
  });

  it('release leaves a lock that another process holds now', () => {
    const dir = tempDir();
    const lock = SessionLock.acquire(nodeFileSystem, dir, 'moved');
    const other = formatLockOwner({ pid: process.pid + 1, hostname: hostname(), start: null, at: '' });
    writeFileSync(join(dir, '.lock'), other);
    lock.release();
    assert.equal(readFileSync(join(dir, '.lock'), 'utf8'), other);
  });

  it('never lets a third process in when a fresh lock replaced the stale one it was taking over', () => {
    // Process X reads the stale lock; before it acts, Y takes the stale lock over and holds a
    // fresh one; Z tries to take the lock before and after every file-system call X makes.
    const dir = tempDir();
    plantStaleLock(dir);
    const holders: string[] = [];
    let yHolds = false;
    const tryZ = () => {
      if (!yHolds) return;
      try {
        SessionLock.acquire(nodeFileSystem, dir, 'race');
        holders.push('z');
      } catch (error) {
        assert.equal((error as NodeJS.ErrnoException).code, 'ESESSIONLOCKED');
      }
    };
    const x = new Proxy(nodeFileSystem, {
      get: (real, key) => {
        const value = (real as unknown as Record<string | symbol, unknown>)[key];
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          tryZ();
          const result = (value as (...a: unknown[]) => unknown).apply(real, args);
          if (key === 'readFileSync' && !yHolds) {
            SessionLock.acquire(nodeFileSystem, dir, 'race'); // Y: the stale lock is gone, a fresh one names Y
            holders.push('y');
            yHolds = true;
          }
          tryZ();
          return result;
        };
      },
    }) as FileSystem;
    assert.throws(() => SessionLock.acquire(x, dir, 'race'), { code: 'ESESSIONLOCKED' });
    assert.deepEqual(holders, ['y'], 'one owner');
    assert.equal(lockOwner(dir), process.pid);
  });

  it('ends with exactly one owner when several processes take over one stale lock at once', async function () {
    this.timeout(30_000);
    const racers = Array.from({ length: 5 }, () => new Racer());
    try {
      await Promise.all(racers.map((r) => r.line()));
      const root = tempDir();
      for (let round = 0; round < 8; round++) {
        const dir = join(root, `round-${round}`);
        mkdirSync(dir);
        plantStaleLock(dir);
        for (const r of racers) r.send(`try ${dir}`);
        const results = await Promise.all(racers.map((r) => r.line()));
        const winners = racers.filter((_, i) => results[i] === `${dir} acquired`);
        assert.equal(winners.length, 1, `round ${round}: ${results.join('; ')}`);
        assert.deepEqual(results.filter((result) => result !== `${dir} acquired`).map((result) => result.slice(dir.length + 1)), Array(racers.length - 1).fill('ESESSIONLOCKED'));
        assert.equal(lockOwner(dir), winners[0]!.child.pid, 'the lock names the winner');
        assert.deepEqual(readdirSync(dir), ['.lock'], 'no temp files left');
        for (const r of racers) r.send('release');
        await Promise.all(racers.map((r) => r.line()));
        assert.ok(!existsSync(join(dir, '.lock')));
      }
    } finally {
      await Promise.all(racers.map((r) => r.end()));
    }
  });
});
