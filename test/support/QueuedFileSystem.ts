import * as fs from 'node:fs';
import type { FileSystem } from '../../storage/FileSystem.ts';

/** A call as the test sees it: `write`, `fdatasync`, `promises.rename`, `handle.sync`, `writeSync`, ... */
export interface CallInfo {
  readonly op: string;
  /** The path it names, or the path its descriptor or file handle was opened with. */
  readonly path: string | undefined;
}

/** An asynchronous call held until the test completes or fails it. */
export interface HeldCall extends CallInfo {
  readonly id: number;
  readonly args: readonly unknown[];
  /**
   * Perform the real call now and hand its result to the caller; resolves once the caller's
   * callback has run (promise calls: once the caller's promise is settled). `bytes` makes a
   * `write` short: only that many bytes are written and reported.
   */
  complete(options?: { bytes?: number }): Promise<void>;
  /**
   * Fail it with errno `code` without performing it. `written` (for `write`): write that many
   * bytes first, as a disk that fills up mid-write leaves part of a line behind.
   */
  fail(code: string, options?: { written?: number }): Promise<void>;
}

const CALLBACK_OPS = ['open', 'close', 'write', 'read', 'fstat', 'fdatasync', 'fsync', 'ftruncate', 'lstat', 'rename', 'unlink'] as const;
const SYNC_OPS = [
  'openSync', 'closeSync', 'writeSync', 'readSync', 'readFileSync', 'fstatSync', 'fdatasyncSync', 'fsyncSync', 'ftruncateSync',
  'renameSync', 'linkSync', 'unlinkSync', 'mkdirSync', 'lstatSync', 'statSync', 'chmodSync', 'readdirSync',
] as const;

type AnyFn = (...args: unknown[]) => unknown;

function errno(code: string, op: string, path: string | undefined): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected fault, ${op}${path ? ` '${path}'` : ''}`), { code, syscall: op });
}

/**
 * node:fs for tests that decide the order of asynchronous completions. Every asynchronous
 * call the `hold` predicate selects (all of them by default: callback calls, `promises.*`
 * and the methods of the file handles they open) is queued, not performed; the test picks
 * calls from `pending` (or waits for one with `next`) and completes or fails each, in any
 * order, so a model-based test can drive every interleaving. Calls not held run at once.
 * Synchronous calls run at once, fail when `failSync` says so, and are logged with the
 * rest in `calls`. Streams (createReadStream/createWriteStream) are node:fs's own.
 */
export class QueuedFileSystem {
  readonly fs: FileSystem;
  /** Held calls, oldest first. */
  readonly pending: HeldCall[] = [];
  /** Every call made, in order of issue (held, passed through and synchronous). */
  readonly calls: CallInfo[] = [];
  /** Which asynchronous calls to hold. */
  hold: (call: CallInfo) => boolean = () => true;
  /** A synchronous call fails with the errno code this returns (undefined: it runs). */
  failSync: (call: CallInfo) => string | undefined = () => undefined;
  private nextId = 1;
  private readonly paths = new Map<unknown, string>();
  private waiters: Array<{ match: (call: HeldCall) => boolean; resolve: (call: HeldCall) => void }> = [];

  constructor() {
    const target: Record<string, unknown> = { ...fs };
    for (const op of CALLBACK_OPS) target[op] = (...args: unknown[]) => this.callbackCall(op, args);
    for (const op of SYNC_OPS) target[op] = (...args: unknown[]) => this.syncCall(op, args);
    target.promises = new Proxy(fs.promises, {
      get: (real, key) => {
        const value = (real as unknown as Record<string | symbol, unknown>)[key];
        if (typeof value !== 'function' || typeof key !== 'string') return value;
        return (...args: unknown[]) => this.promiseCall(`promises.${key}`, pathOf(args[0]), () => (value as AnyFn).apply(real, args));
      },
    });
    this.fs = target as unknown as FileSystem;
  }

  /** The first pending call that matches (an op name or a predicate), waiting for it to be issued; fails after `timeoutMs` naming what is pending. */
  next(match: string | ((call: HeldCall) => boolean) = () => true, timeoutMs = 5000): Promise<HeldCall> {
    const test = typeof match === 'string' ? (call: HeldCall) => call.op === match : match;
    const found = this.pending.find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`no ${typeof match === 'string' ? match : 'matching'} call was issued; pending: ${this.describePending()}`));
      }, timeoutMs);
      timer.unref();
      const done = (call: HeldCall) => {
        clearTimeout(timer);
        resolve(call);
      };
      this.waiters.push({ match: test, resolve: done });
    });
  }

  /** Pending calls whose op is `op` (and whose path ends with `pathEnd`, when given). */
  held(op: string, pathEnd?: string): HeldCall[] {
    return this.pending.filter((call) => call.op === op && (pathEnd === undefined || (call.path ?? '').endsWith(pathEnd)));
  }

  /** Stop holding and complete everything pending. */
  async releaseAll(): Promise<void> {
    this.hold = () => false;
    while (this.pending.length > 0) await this.pending[0]!.complete();
  }

  describePending(): string {
    return this.pending.map((call) => `${call.op} ${call.path ?? ''}`.trim()).join(', ') || 'none';
  }

  private track(result: unknown, path: string | undefined): unknown {
    if (path !== undefined && (typeof result === 'number' || (typeof result === 'object' && result !== null))) this.paths.set(result, path);
    return result;
  }

  private pathOfArgs(args: unknown[]): string | undefined {
    const first = args[0];
    return typeof first === 'number' ? this.paths.get(first) : pathOf(first);
  }

  private syncCall(op: (typeof SYNC_OPS)[number], args: unknown[]): unknown {
    const info = { op, path: this.pathOfArgs(args) };
    this.calls.push(info);
    const code = this.failSync(info);
    if (code !== undefined) throw errno(code, op, info.path);
    const result = (fs[op] as AnyFn)(...args);
    return op === 'openSync' ? this.track(result, info.path) : result;
  }

  private enqueue(op: string, path: string | undefined, args: unknown[], perform: (bytes: number | undefined) => Promise<void>, failWith: (error: NodeJS.ErrnoException, written: number) => Promise<void>): void {
    const info = { op, path };
    this.calls.push(info);
    if (!this.hold(info)) {
      void perform(undefined);
      return;
    }
    let settled = false;
    const once = () => {
      if (settled) throw new Error(`${op} ${path ?? ''}: completed twice`);
      settled = true;
      this.pending.splice(this.pending.indexOf(call), 1);
    };
    const call: HeldCall = {
      id: this.nextId++, op, path, args,
      complete: (options) => {
        once();
        return perform(options?.bytes);
      },
      fail: (code, options) => {
        once();
        return failWith(errno(code, op, path), options?.written ?? 0);
      },
    };
    this.pending.push(call);
    for (const waiter of this.waiters) {
      if (waiter.match(call)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(call);
        break;
      }
    }
  }

  private callbackCall(op: (typeof CALLBACK_OPS)[number], args: unknown[]): void {
    const callback = args.at(-1) as (error: NodeJS.ErrnoException | null, ...results: unknown[]) => void;
    const rest = args.slice(0, -1);
    const path = this.pathOfArgs(rest);
    const perform = (bytes: number | undefined) => new Promise<void>((resolve) => {
      const callArgs = [...rest];
      if (op === 'write' && bytes !== undefined) callArgs[3] = Math.min(bytes, callArgs[3] as number);
      (fs[op] as AnyFn)(...callArgs, (error: NodeJS.ErrnoException | null, ...results: unknown[]) => {
        if (op === 'open' && !error) this.track(results[0], path);
        try {
          callback(error, ...results);
        } finally {
          resolve();
        }
      });
    });
    const failWith = async (error: NodeJS.ErrnoException, written: number) => {
      if (op === 'write' && written > 0) {
        const [fd, buffer, offset, , position] = rest as [number, Buffer, number, number, number];
        fs.writeSync(fd, buffer, offset, written, position);
      }
      await new Promise<void>((resolve) => process.nextTick(() => {
        try {
          callback(error);
        } finally {
          resolve();
        }
      }));
    };
    this.enqueue(op, path, rest, perform, failWith);
  }

  private promiseCall(op: string, path: string | undefined, run: () => unknown): Promise<unknown> {
    return new Promise((resolveCaller, rejectCaller) => {
      const perform = async () => {
        try {
          const result = await run();
          resolveCaller(op === 'promises.open' ? this.handle(this.track(result, path) as fs.promises.FileHandle, path) : result);
        } catch (error) {
          rejectCaller(error);
        }
        await Promise.resolve();
      };
      const failWith = async (error: NodeJS.ErrnoException) => {
        rejectCaller(error);
        await Promise.resolve();
      };
      this.enqueue(op, path, [], perform, failWith);
    });
  }

  /** A file handle whose asynchronous methods are held like every other call. */
  private handle(real: fs.promises.FileHandle, path: string | undefined): fs.promises.FileHandle {
    return new Proxy(real, {
      get: (target, key) => {
        const value = (target as unknown as Record<string | symbol, unknown>)[key];
        if (typeof value !== 'function') return value;
        if (typeof key !== 'string') return (value as AnyFn).bind(target);
        return (...args: unknown[]) => this.promiseCall(`handle.${key}`, path, () => (value as AnyFn).apply(target, args));
      },
    });
  }
}

function pathOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof URL) return value.pathname;
  if (Buffer.isBuffer(value)) return value.toString();
  return undefined;
}
