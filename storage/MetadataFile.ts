import type { FileSystem } from './FileSystem.ts';
import type { SessionMetadata } from '../format/sessionMetadata.ts';

/** At most this many metadata.json writes hold a descriptor at once, across all sessions. */
const MAX_CONCURRENT_METADATA_WRITES = 8;
let metadataWritesUnderWay = 0;
const waitingForMetadataSlot: Array<() => void> = [];

async function withMetadataSlot<T>(work: () => Promise<T>): Promise<T> {
  if (metadataWritesUnderWay >= MAX_CONCURRENT_METADATA_WRITES) await new Promise<void>((resolve) => waitingForMetadataSlot.push(resolve));
  else metadataWritesUnderWay++;
  try {
    return await work();
  } finally {
    const next = waitingForMetadataSlot.shift();
    if (next) next(); // the slot passes on directly
    else metadataWritesUnderWay--;
  }
}

/**
 * metadata.json, replaced atomically (temp file, fsync, rename). Asynchronous writes are
 * coalesced: while one is under way, later requests become one more write of the newest state.
 */
export class MetadataFile {
  readonly path: string;
  private readonly fs: FileSystem;
  private writing = false;
  private dirty = false;
  private waiters: Array<() => void> = [];
  private readonly snapshot: () => SessionMetadata;
  private readonly onError: (error: Error) => void;

  constructor(path: string, fs: FileSystem, snapshot: () => SessionMetadata, onError: (error: Error) => void) {
    this.path = path;
    this.fs = fs;
    this.snapshot = snapshot;
    this.onError = onError;
  }

  writeSync(): void {
    // Its own temp name: an asynchronous write may be under way at the same time.
    const tmp = `${this.path}.sync.tmp`;
    const fd = this.fs.openSync(tmp, 'w', 0o600);
    try {
      this.fs.writeSync(fd, JSON.stringify(this.snapshot(), null, 2) + '\n');
      this.fs.fsyncSync(fd);
    } finally {
      this.fs.closeSync(fd);
    }
    this.fs.renameSync(tmp, this.path);
  }

  /** Write the current state soon, off the event loop. */
  schedule(): void {
    if (this.writing) {
      this.dirty = true;
      return;
    }
    this.writing = true;
    void this.writeLoop();
  }

  private async writeLoop(): Promise<void> {
    do {
      this.dirty = false;
      const tmp = `${this.path}.tmp`;
      try {
        await withMetadataSlot(async () => {
          const handle = await this.fs.promises.open(tmp, 'w', 0o600);
          try {
            await handle.writeFile(JSON.stringify(this.snapshot(), null, 2) + '\n');
            await handle.sync();
          } finally {
            await handle.close();
          }
          await this.fs.promises.rename(tmp, this.path);
        });
      } catch (error) {
        this.onError(error as Error);
      }
    } while (this.dirty);
    this.writing = false;
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Resolves when no write is pending. */
  flush(): Promise<void> {
    if (!this.writing) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
