import * as fs from 'node:fs';
import type { FileSystem } from '../../storage/FileSystem.ts';

type Call = 'write' | 'writeSync' | 'open' | 'openSync' | 'fdatasync' | 'fdatasyncSync' | 'renameSync' | 'promises' | 'stream';

/**
 * node:fs with switchable faults: while `fail(code, calls)` is in force, those calls fail
 * with that errno code (callbacks get the error, sync calls throw). Only for fault injection.
 */
export class FaultyFileSystem {
  private code: string | undefined;
  private calls = new Set<Call>();
  failures = 0;
  readonly fs: FileSystem;
  /** Called with the path of every synchronous read (readFileSync, readSync), to prove what the event loop waits for. */
  onSyncRead: ((path: string) => void) | undefined;
  private readonly paths = new Map<number, string>();

  constructor() {
    const error = () => {
      this.failures++;
      return Object.assign(new Error(`${this.code}: injected fault`), { code: this.code });
    };
    const failing = (call: Call) => this.code !== undefined && this.calls.has(call);
    const promises = new Proxy(fs.promises, {
      get: (target, key: string) => {
        const value = (target as unknown as Record<string, unknown>)[key];
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => (failing('promises') ? Promise.reject(error()) : (value as (...a: unknown[]) => unknown).apply(target, args));
      },
    });
    this.fs = {
      ...fs,
      promises,
      write: ((...args: unknown[]) => {
        const callback = args.at(-1) as (e: Error | null, n?: number) => void;
        if (failing('write')) return process.nextTick(callback, error());
        return (fs.write as (...a: unknown[]) => void)(...args);
      }) as typeof fs.write,
      fdatasync: ((fd: number, callback: (e: Error | null) => void) => {
        if (failing('fdatasync')) return process.nextTick(callback, error());
        return fs.fdatasync(fd, callback);
      }) as typeof fs.fdatasync,
      writeSync: ((...args: unknown[]) => {
        if (failing('writeSync')) throw error();
        return (fs.writeSync as (...a: unknown[]) => number)(...args);
      }) as typeof fs.writeSync,
      fdatasyncSync: ((fd: number) => {
        if (failing('fdatasyncSync')) throw error();
        return fs.fdatasyncSync(fd);
      }) as typeof fs.fdatasyncSync,
      open: ((...args: unknown[]) => {
        const callback = args.at(-1) as (e: Error | null, fd?: number) => void;
        if (failing('open')) return process.nextTick(callback, error());
        return (fs.open as (...a: unknown[]) => void)(...args);
      }) as typeof fs.open,
      openSync: ((...args: unknown[]) => {
        if (failing('openSync')) throw error();
        const fd = (fs.openSync as (...a: unknown[]) => number)(...args);
        this.paths.set(fd, String(args[0]));
        return fd;
      }) as typeof fs.openSync,
      readSync: ((...args: unknown[]) => {
        this.onSyncRead?.(this.paths.get(args[0] as number) ?? `fd ${String(args[0])}`);
        return (fs.readSync as (...a: unknown[]) => number)(...args);
      }) as typeof fs.readSync,
      readFileSync: ((...args: unknown[]) => {
        this.onSyncRead?.(typeof args[0] === 'number' ? (this.paths.get(args[0]) ?? `fd ${args[0]}`) : String(args[0]));
        return (fs.readFileSync as (...a: unknown[]) => unknown)(...args);
      }) as typeof fs.readFileSync,
      createWriteStream: ((...args: unknown[]) => {
        if (!failing('stream')) return (fs.createWriteStream as (...a: unknown[]) => fs.WriteStream)(...args);
        // Opens the file (as a full disk would let it), then fails the first write.
        const stream = (fs.createWriteStream as (...a: unknown[]) => fs.WriteStream)(...args);
        const injected = error();
        stream._write = (_chunk, _encoding, callback) => callback(injected);
        // Chunks written while the file was still opening arrive together, through _writev.
        stream._writev = (_chunks, callback) => callback(injected);
        return stream;
      }) as typeof fs.createWriteStream,
      renameSync: ((from: fs.PathLike, to: fs.PathLike) => {
        if (failing('renameSync')) throw error();
        return fs.renameSync(from, to);
      }) as typeof fs.renameSync,
    };
  }

  fail(code: string, calls: Call[]): void {
    this.code = code;
    this.calls = new Set(calls);
  }

  heal(): void {
    this.code = undefined;
  }
}
