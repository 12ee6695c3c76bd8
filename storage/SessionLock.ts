import { constants } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { LOCK_FILE } from '../format/fileNames.ts';
import { type LockOwner, currentLockOwner, formatLockOwner, lockOwnerAlive, parseLockOwner } from '../format/lockFile.ts';
import type { FileSystem } from './FileSystem.ts';
import { StorageError } from './StorageError.ts';

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const READ = constants.O_RDONLY | constants.O_NOFOLLOW;

/**
 * One writer per session directory: a `.lock` file naming the owner (pid, host, process
 * start time). It is created complete in one step (written to a temp file, then hard-linked
 * to `.lock`, which fails if one exists), so no reader ever sees an empty lock. A lock whose
 * owner is dead (same host, pid gone or reused) is stale: one process claims it (see
 * takeOverStale) and removes it; then the create is tried again. Processes taking over the
 * same stale lock at once end with one owner.
 *
 * Why not proper-lockfile: it keeps a lock alive by touching it on a timer and calls a lock
 * stale after a quiet period, so a busy event loop can lose its lock; here a lock lives
 * exactly as long as its process.
 */
export class SessionLock {
  readonly path: string;
  private readonly fs: FileSystem;
  private readonly owner: LockOwner;
  private held = true;

  private constructor(fs: FileSystem, path: string, owner: LockOwner) {
    this.fs = fs;
    this.path = path;
    this.owner = owner;
  }

  /** Take the lock of `sessionDir` or throw ESESSIONLOCKED naming the process that has it. */
  static acquire(fs: FileSystem, sessionDir: string, sessionId: string): SessionLock {
    const path = join(sessionDir, LOCK_FILE);
    const owner = currentLockOwner();
    const content = formatLockOwner(owner);
    for (let attempt = 0; attempt < 5; attempt++) {
      if (tryCreate(fs, path, content)) return new SessionLock(fs, path, owner);
      const text = readLock(fs, path, sessionId);
      if (text === undefined) continue; // removed between our create and read
      const holder = parseLockOwner(text);
      if (holder && lockOwnerAlive(holder)) throw lockedError(sessionId, holder);
      takeOverStale(fs, path, text, sessionId);
    }
    throw new StorageError('ESESSIONLOCKED', `session ${sessionId}: could not take its lock (${path}): other processes keep taking it, or a takeover was interrupted (remove ${path}.takeover-* if no other process opens this session); allowed: one writer per session`);
  }

  /** Remove the lock if it still names this process. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    try {
      const holder = parseLockOwner(readLock(this.fs, this.path, '') ?? '');
      if (holder && holder.pid === this.owner.pid && holder.start === this.owner.start && holder.hostname === this.owner.hostname) this.fs.unlinkSync(this.path);
    } catch {
      // A lock we cannot read or remove is stale once we exit: the next writer takes it over.
    }
  }
}

function lockedError(sessionId: string, holder: LockOwner): StorageError {
  return new StorageError('ESESSIONLOCKED', `session ${sessionId} is open in process ${holder.pid} on ${holder.hostname} (since ${holder.at}); allowed: one writer per session: close it there, or use another session id`);
}

function tryCreate(fs: FileSystem, path: string, content: string): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, CREATE, 0o600);
  try {
    fs.writeSync(fd, content);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(tmp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  } finally {
    fs.unlinkSync(tmp);
  }
}

function readLock(fs: FileSystem, path: string, sessionId: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(path, READ);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new StorageError('ESESSIONLINK', `session ${sessionId}: ${path} is a symbolic link; refusing to follow it; allowed: a session directory with no links in it`);
    throw error;
  }
  try {
    return fs.readFileSync(fd, 'utf8') as string;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Remove the stale lock, unless it was replaced meanwhile. The lock is claimed by a second
 * name for it, made with link(): only one process gets that name, and it names whatever
 * `.lock` is at that instant, so a fresh lock that replaced the stale one is never moved or
 * removed (moving it aside, even to give it back, let a third process in meanwhile). Only
 * the claim's holder removes the stale lock. A crash between claim and removal leaves the
 * claim behind: that lock is then refused until the claim file is removed by hand.
 */
function takeOverStale(fs: FileSystem, path: string, staleText: string, sessionId: string): void {
  const claim = `${path}.takeover-${createHash('sha256').update(staleText).digest('hex').slice(0, 16)}`;
  try {
    fs.linkSync(path, claim);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EEXIST') return; // removed, or being removed, by another process: try again
    throw error;
  }
  try {
    if (readLock(fs, claim, sessionId) === staleText) fs.unlinkSync(path);
  } finally {
    fs.unlinkSync(claim);
  }
}
