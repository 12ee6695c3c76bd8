import * as fs from 'node:fs';
import type { FileSystem } from '../../storage/FileSystem.ts';

/** One asynchronous call the store made, waiting for the test to let it happen. */
export interface PendingCall {
  readonly name: string;
  /** Perform the real operation now and call back (or settle the promise). */
  complete(): void;
  /** The process died: the operation never happens and nobody is called back. */
  abandon(): void;
}

/**
 * node:fs whose asynchronous calls do nothing until the test completes them, in the order
 * it chooses; the real operation happens at completion, as a thread of the libuv pool would
 * do it then. Synchronous calls happen at once. A property test can so try any order of
 * writes, fsyncs, renames and metadata writes against flushSync, faults and crashes.
 * Faults: while `fail(code, kinds)` is in force, calls of those kinds fail with `code`
 * (kinds: write, sync, metadata (every promise call), writeSync).
 */
export class ControlledFileSystem {
  readonly pending: PendingCall[] = [];
  readonly fs: FileSystem;
  private fault: { code: string; kinds: Set<string> } | undefined;
  /** Completed calls, by name (to see what a run exercised). */
  readonly completed = new Map<string, number>();
  private dead = false;

  constructor() {
    const failing = (kind: string) => (this.fault?.kinds.has(kind) ? Object.assign(new Error(`${this.fault.code}: injected fault`), { code: this.fault.code }) : undefined);
    const later = <T>(name: string, kind: string, run: () => T, done: (error: NodeJS.ErrnoException | null, value?: T) => void): void => {
      if (this.dead) return;
      const call: PendingCall = {
        name,
        complete: () => {
          this.pending.splice(this.pending.indexOf(call), 1);
          this.completed.set(name, (this.completed.get(name) ?? 0) + 1);
          const error = failing(kind);
          if (error) return done(error);
          let value: T;
          try {
            value = run();
          } catch (failure) {
            return done(failure as NodeJS.ErrnoException);
          }
          done(null, value);
        },
        abandon: () => {
          this.pending.splice(this.pending.indexOf(call), 1);
        },
      };
      this.pending.push(call);
    };
    const promise = <T>(name: string, run: () => T): Promise<T> => new Promise((resolve, reject) => later(name, 'metadata', run, (error, value) => (error ? reject(error) : resolve(value as T))));
    const handle = (fd: number) => ({
      fd,
      writeFile: (data: string | Uint8Array) => promise('handle.writeFile', () => {
        fs.writeFileSync(fd, data);
      }),
      sync: () => promise('handle.sync', () => fs.fsyncSync(fd)),
      close: () => promise('handle.close', () => fs.closeSync(fd)),
    });
    const promises = {
      readdir: (path: fs.PathLike) => promise('readdir', () => fs.readdirSync(path)),
      unlink: (path: fs.PathLike) => promise('unlink', () => fs.unlinkSync(path)),
      readFile: (path: fs.PathLike, options?: unknown) => promise('readFile', () => fs.readFileSync(path, options as BufferEncoding)),
      stat: (path: fs.PathLike) => promise('stat', () => fs.statSync(path)),
      lstat: (path: fs.PathLike) => promise('lstat', () => fs.lstatSync(path)),
      rename: (from: fs.PathLike, to: fs.PathLike) => promise('rename', () => fs.renameSync(from, to)),
      rm: (path: fs.PathLike, options?: fs.RmOptions) => promise('rm', () => fs.rmSync(path, options)),
      open: (path: fs.PathLike, flags: string | number = "r", mode?: number) => promise('open', () => handle(fs.openSync(path, flags, mode))),
    };
    const syncFault = <A extends unknown[], R>(fn: (...args: A) => R) => (...args: A): R => {
      const error = failing('writeSync');
      if (error) throw error;
      return fn(...args);
    };
    // A killed process does nothing more: every synchronous call of its leftovers fails.
    const alive = <F extends (...args: never[]) => unknown>(fn: F): F => ((...args: Parameters<F>) => {
      if (this.dead) throw Object.assign(new Error('EDEAD: the process was killed'), { code: 'EDEAD' });
      return fn(...args);
    }) as F;
    const syncCalls = Object.fromEntries(Object.entries(fs).filter(([name, value]) => name.endsWith('Sync') && typeof value === 'function').map(([name, value]) => [name, alive(value as (...args: never[]) => unknown)]));
    this.fs = {
      ...fs,
      ...syncCalls,
      promises: promises as unknown as typeof fs.promises,
      writeSync: alive(syncFault(fs.writeSync as (...args: unknown[]) => number)) as typeof fs.writeSync,
      fdatasyncSync: alive(syncFault(fs.fdatasyncSync)),
      write: ((fd: number, buffer: Buffer, offset: number, length: number, position: number, done: (error: NodeJS.ErrnoException | null, written?: number) => void) => {
        later('write', 'write', () => fs.writeSync(fd, buffer, offset, length, position), done);
      }) as unknown as typeof fs.write,
      fdatasync: ((fd: number, done: (error: NodeJS.ErrnoException | null) => void) => later('fdatasync', 'sync', () => fs.fdatasyncSync(fd), done)) as typeof fs.fdatasync,
      fsync: ((fd: number, done: (error: NodeJS.ErrnoException | null) => void) => later('fsync', 'sync', () => fs.fsyncSync(fd), done)) as typeof fs.fsync,
      lstat: ((path: fs.PathLike, done: (error: NodeJS.ErrnoException | null, stat?: fs.Stats) => void) => later('lstat', 'stat', () => fs.lstatSync(path), done)) as typeof fs.lstat,
      rename: ((from: fs.PathLike, to: fs.PathLike, done: (error: NodeJS.ErrnoException | null) => void) => later('rename', 'rename', () => fs.renameSync(from, to), done)) as typeof fs.rename,
      unlink: ((path: fs.PathLike, done: (error: NodeJS.ErrnoException | null) => void) => later('unlink', 'unlink', () => fs.unlinkSync(path), done)) as typeof fs.unlink,
      open: ((path: fs.PathLike, flags: number, done: (error: NodeJS.ErrnoException | null, fd?: number) => void) => later('open', 'open', () => fs.openSync(path, flags), done)) as unknown as typeof fs.open,
      fstat: ((fd: number, done: (error: NodeJS.ErrnoException | null, stat?: fs.Stats) => void) => later('fstat', 'stat', () => fs.fstatSync(fd), done)) as typeof fs.fstat,
      read: ((fd: number, buffer: Buffer, offset: number, length: number, position: number, done: (error: NodeJS.ErrnoException | null, bytes?: number) => void) => later('read', 'read', () => fs.readSync(fd, buffer, offset, length, position), done)) as unknown as typeof fs.read,
      ftruncate: ((fd: number, size: number, done: (error: NodeJS.ErrnoException | null) => void) => later('ftruncate', 'write', () => fs.ftruncateSync(fd, size), done)) as typeof fs.ftruncate,
      close: ((fd: number, done: (error: NodeJS.ErrnoException | null) => void) => later('close', 'close', () => fs.closeSync(fd), done)) as typeof fs.close,
    };
  }

  fail(code: string, kinds: Array<'write' | 'sync' | 'metadata' | 'writeSync'>): void {
    this.fault = { code, kinds: new Set(kinds) };
  }

  heal(): void {
    this.fault = undefined;
  }

  /** Complete the pending call at `index` (modulo the queue length); false when none waits. */
  completeOne(index: number): boolean {
    if (this.pending.length === 0) return false;
    this.pending[index % this.pending.length]!.complete();
    return true;
  }

  /** The process is killed: nothing pending ever happens, and nothing more is accepted. */
  die(): void {
    this.dead = true;
    for (const call of [...this.pending]) call.abandon();
  }
}
