import * as fs from 'node:fs';
import type { FileSystem } from '../../storage/FileSystem.ts';

/** A call as the test sees it: `write`, `fdatasync`, `rename`, `promises.rename`, `handle.sync`, `writeSync`, ... */
export interface CallInfo {
  readonly name: string;
  /** The path it names, or the path its descriptor or file handle was opened with. */
  readonly path: string | undefined;
}

/** One asynchronous call the store made, waiting for the test to let it happen. */
export interface PendingCall extends CallInfo {
  /** The call's arguments, callback left out (`write`: fd, buffer, offset, length, position). */
  readonly args: readonly unknown[];
  /** Perform the real operation now and call back (or settle the promise). `bytes` makes a `write` short. */
  complete(options?: { bytes?: number }): void;
  /** Fail it with errno `code` without performing it; `written` (for `write`): write that many bytes first, as a disk that fills up mid-write. */
  fail(code: string, options?: { written?: number }): void;
  /** The process died: the operation never happens and nobody is called back. */
  abandon(): void;
}

type Kind = 'write' | 'sync' | 'metadata' | 'writeSync' | 'stat' | 'rename' | 'unlink' | 'open' | 'read' | 'close';
type Done<T> = (error: NodeJS.ErrnoException | null, value?: T) => void;

function errno(code: string, name: string, path: string | undefined): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected fault, ${name}${path ? ` '${path}'` : ''}`), { code, syscall: name });
}

function pathOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof URL) return value.pathname;
  if (Buffer.isBuffer(value)) return value.toString();
  return undefined;
}

/**
 * node:fs whose asynchronous calls do nothing until the test completes them, in the order
 * it chooses; the real operation happens at completion, as a thread of the libuv pool would
 * do it then. A property test can so try any order of writes, fsyncs, renames and metadata
 * writes against flushSync, faults and crashes; a unit test can hold one call (`hold` picks
 * which; the others complete on the next turn), wait for it (`next`), and complete, shorten
 * or fail it. Synchronous calls happen at once; every call is logged in `calls`.
 * Faults: while `fail(code, kinds)` is in force, calls of those kinds fail with `code`
 * (kinds: write, sync, metadata (every promise call), writeSync (writeSync, fdatasyncSync)).
 */
export class ControlledFileSystem {
  readonly pending: PendingCall[] = [];
  readonly fs: FileSystem;
  /** Every call made, in order of issue (held, let through and synchronous). */
  readonly calls: CallInfo[] = [];
  /** Completed calls, by name (to see what a run exercised). */
  readonly completed = new Map<string, number>();
  /** Which asynchronous calls wait for the test; the others complete on the next turn of the event loop. */
  hold: (call: CallInfo) => boolean = () => true;
  private fault: { code: string; kinds: Set<string> } | undefined;
  private dead = false;
  /** Descriptors this "process" holds, and their paths (closed by die(), as the kernel would). */
  private readonly paths = new Map<unknown, string>();
  private waiters: Array<{ match: (call: PendingCall) => boolean; resolve: (call: PendingCall) => void }> = [];

  constructor() {
    const failing = (kind: string, name: string, path: string | undefined) => (this.fault?.kinds.has(kind) ? errno(this.fault.code, name, path) : undefined);
    const later = <T>(name: string, kind: Kind, path: string | undefined, args: unknown[], run: (bytes?: number) => T, done: Done<T>): void => {
      if (this.dead) return;
      this.calls.push({ name, path });
      const settle = () => {
        this.pending.splice(this.pending.indexOf(call), 1);
        this.completed.set(name, (this.completed.get(name) ?? 0) + 1);
      };
      const call: PendingCall = {
        name, path, args,
        complete: (options) => {
          settle();
          const error = failing(kind, name, path);
          if (error) return done(error);
          let value: T;
          try {
            value = run(options?.bytes);
          } catch (failure) {
            return done(failure as NodeJS.ErrnoException);
          }
          done(null, value);
        },
        fail: (code, options) => {
          settle();
          if (name === 'write' && options?.written) {
            const [fd, buffer, offset, , position] = args as [number, Buffer, number, number, number];
            fs.writeSync(fd, buffer, offset, options.written, position);
          }
          done(errno(code, name, path));
        },
        abandon: () => {
          this.pending.splice(this.pending.indexOf(call), 1);
        },
      };
      this.pending.push(call);
      if (!this.hold(call)) {
        setImmediate(() => this.pending.includes(call) && call.complete());
        return;
      }
      const waiter = this.waiters.find((w) => w.match(call));
      if (waiter) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(call);
      }
    };
    const promise = <T>(name: string, path: string | undefined, run: () => T): Promise<T> => new Promise((resolve, reject) => later(name, 'metadata', path, [], run, (error, value) => (error ? reject(error) : resolve(value as T))));
    const handle = (fd: number, path: string | undefined) => ({
      fd,
      writeFile: (data: string | Uint8Array) => promise('handle.writeFile', path, () => {
        fs.writeFileSync(fd, data);
      }),
      sync: () => promise('handle.sync', path, () => fs.fsyncSync(fd)),
      close: () => promise('handle.close', path, () => {
        this.paths.delete(fd);
        fs.closeSync(fd);
      }),
    });
    const promises = {
      readdir: (path: fs.PathLike) => promise('promises.readdir', pathOf(path), () => fs.readdirSync(path)),
      unlink: (path: fs.PathLike) => promise('promises.unlink', pathOf(path), () => fs.unlinkSync(path)),
      readFile: (path: fs.PathLike, options?: unknown) => promise('promises.readFile', pathOf(path), () => fs.readFileSync(path, options as BufferEncoding)),
      stat: (path: fs.PathLike) => promise('promises.stat', pathOf(path), () => fs.statSync(path)),
      lstat: (path: fs.PathLike) => promise('promises.lstat', pathOf(path), () => fs.lstatSync(path)),
      rename: (from: fs.PathLike, to: fs.PathLike) => promise('promises.rename', pathOf(from), () => fs.renameSync(from, to)),
      rm: (path: fs.PathLike, options?: fs.RmOptions) => promise('promises.rm', pathOf(path), () => fs.rmSync(path, options)),
      open: (path: fs.PathLike, flags: string | number = 'r', mode?: number) => promise('promises.open', pathOf(path), () => {
        const fd = fs.openSync(path, flags, mode);
        this.paths.set(fd, pathOf(path) ?? '');
        return handle(fd, pathOf(path));
      }),
    };
    // A killed process does nothing more: every synchronous call of its leftovers fails.
    const sync = <F extends (...args: never[]) => unknown>(name: string, fn: F): F => ((...args: Parameters<F>) => {
      if (this.dead) throw Object.assign(new Error('EDEAD: the process was killed'), { code: 'EDEAD' });
      const path = typeof args[0] === 'number' ? this.paths.get(args[0]) : pathOf(args[0]);
      this.calls.push({ name, path });
      if (name === 'writeSync' || name === 'fdatasyncSync') {
        const error = failing('writeSync', name, path);
        if (error) throw error;
      }
      if (name === 'closeSync') this.paths.delete(args[0]);
      const result = fn(...args);
      if (name === 'openSync') this.paths.set(result, path ?? '');
      return result;
    }) as F;
    const syncCalls = Object.fromEntries(Object.entries(fs).filter(([name, value]) => name.endsWith('Sync') && typeof value === 'function').map(([name, value]) => [name, sync(name, value as (...args: never[]) => unknown)]));
    const fdPath = (fd: number) => this.paths.get(fd);
    this.fs = {
      ...fs,
      ...syncCalls,
      promises: promises as unknown as typeof fs.promises,
      write: ((fd: number, buffer: Buffer, offset: number, length: number, position: number, done: Done<number>) => {
        later('write', 'write', fdPath(fd), [fd, buffer, offset, length, position], (bytes) => fs.writeSync(fd, buffer, offset, Math.min(length, bytes ?? length), position), done);
      }) as unknown as typeof fs.write,
      fdatasync: ((fd: number, done: Done<void>) => later('fdatasync', 'sync', fdPath(fd), [fd], () => fs.fdatasyncSync(fd), done)) as typeof fs.fdatasync,
      fsync: ((fd: number, done: Done<void>) => later('fsync', 'sync', fdPath(fd), [fd], () => fs.fsyncSync(fd), done)) as typeof fs.fsync,
      lstat: ((path: fs.PathLike, done: Done<fs.Stats>) => later('lstat', 'stat', pathOf(path), [path], () => fs.lstatSync(path), done)) as typeof fs.lstat,
      rename: ((from: fs.PathLike, to: fs.PathLike, done: Done<void>) => later('rename', 'rename', pathOf(from), [from, to], () => fs.renameSync(from, to), done)) as typeof fs.rename,
      unlink: ((path: fs.PathLike, done: Done<void>) => later('unlink', 'unlink', pathOf(path), [path], () => fs.unlinkSync(path), done)) as typeof fs.unlink,
      open: ((path: fs.PathLike, flags: number, ...rest: [Done<number>] | [number, Done<number>]) => {
        const mode = rest.length === 2 ? rest[0] : undefined;
        return later('open', 'open', pathOf(path), [path, flags, mode], () => {
          const fd = fs.openSync(path, flags, mode);
          this.paths.set(fd, pathOf(path) ?? '');
          return fd;
        }, rest[rest.length - 1] as Done<number>);
      }) as unknown as typeof fs.open,
      fstat: ((fd: number, done: Done<fs.Stats>) => later('fstat', 'stat', fdPath(fd), [fd], () => fs.fstatSync(fd), done)) as typeof fs.fstat,
      read: ((fd: number, buffer: Buffer, offset: number, length: number, position: number, done: Done<number>) => later('read', 'read', fdPath(fd), [fd, buffer, offset, length, position], () => fs.readSync(fd, buffer, offset, length, position), done)) as unknown as typeof fs.read,
      ftruncate: ((fd: number, size: number, done: Done<void>) => later('ftruncate', 'write', fdPath(fd), [fd, size], () => fs.ftruncateSync(fd, size), done)) as typeof fs.ftruncate,
      close: ((fd: number, done: Done<void>) => later('close', 'close', fdPath(fd), [fd], () => {
        this.paths.delete(fd);
        fs.closeSync(fd);
      }, done)) as typeof fs.close,
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
    // The kernel closes a killed process's descriptors.
    for (const fd of this.paths.keys()) {
      try {
        fs.closeSync(fd as number);
      } catch {
        // Already closed.
      }
    }
    this.paths.clear();
  }

  /** The first pending call that matches (a name or a predicate), waiting for it to be issued; fails after `timeoutMs` naming what is pending. */
  next(match: string | ((call: PendingCall) => boolean) = () => true, timeoutMs = 5000): Promise<PendingCall> {
    const test = typeof match === 'string' ? (call: PendingCall) => call.name === match : match;
    const found = this.pending.find((call) => this.hold(call) && test(call));
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`no ${typeof match === 'string' ? match : 'matching'} call was issued; pending: ${this.describePending()}`));
      }, timeoutMs);
      timer.unref();
      const done = (call: PendingCall) => {
        clearTimeout(timer);
        resolve(call);
      };
      this.waiters.push({ match: test, resolve: done });
    });
  }

  /** Pending calls named `name` (and whose path ends with `pathEnd`, when given). */
  held(name: string, pathEnd?: string): PendingCall[] {
    return this.pending.filter((call) => call.name === name && (pathEnd === undefined || (call.path ?? '').endsWith(pathEnd)));
  }

  /** Stop holding: complete everything pending now, and every later call on the next turn. */
  async releaseAll(): Promise<void> {
    this.hold = () => false;
    while (this.pending.length > 0) this.pending[0]!.complete();
    await new Promise((resolve) => setImmediate(resolve));
  }

  describePending(): string {
    return this.pending.map((call) => `${call.name} ${call.path ?? ''}`.trim()).join(', ') || 'none';
  }
}
