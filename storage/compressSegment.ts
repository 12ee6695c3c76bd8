import { constants } from 'node:fs';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { type Compression, compressedFileName } from '../format/fileNames.ts';
import type { FileSystem } from './FileSystem.ts';
import { syncDirectory } from './syncDirectory.ts';

// Numeric open flags (O_NOFOLLOW) are passed through to fs.open; @types/node types `flags` as string only.
const READ_NOFOLLOW = (constants.O_RDONLY | constants.O_NOFOLLOW) as unknown as string;
const WRITE_NOFOLLOW = (constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW) as unknown as string;

function compressor(compression: Exclude<Compression, 'none'>): NodeJS.ReadWriteStream {
  return compression === 'gzip' ? zlib.createGzip() : zlib.createZstdCompress();
}

/** Where the compressed copy of `plainPath` is written before its rename. */
export function compressionTempPath(plainPath: string, compression: Exclude<Compression, 'none'>): string {
  return compressedFileName(plainPath, compression) + '.tmp';
}

/** A compression failed and so did removing its temp file (`tmpLeft`): someone must remove it later. */
export class CompressionError extends Error {
  readonly code: string | undefined;
  readonly tmpLeft: string;

  constructor(cause: Error, tmpLeft: string) {
    super(cause.message, { cause });
    this.code = (cause as NodeJS.ErrnoException).code;
    this.tmpLeft = tmpLeft;
  }
}

/**
 * Compress a rotated segment off the hot path: stream into `<target>.tmp` (never through a
 * link), fsync, rename to `<target>`, fsync the directory, then remove the plain file. A
 * crash, or a power cut, leaves either the plain segment or the complete compressed one
 * (plus a stray .tmp that reopening removes); a failure (a full disk) removes the temp file
 * and leaves the plain segment (if the temp file cannot be removed either, the error is a
 * CompressionError naming it).
 */
export async function compressSegment(fs: FileSystem, plainPath: string, compression: Exclude<Compression, 'none'>): Promise<{ path: string; bytes: number }> {
  const target = compressedFileName(plainPath, compression);
  const tmp = compressionTempPath(plainPath, compression);
  try {
    await pipeline(
      fs.createReadStream(plainPath, { flags: READ_NOFOLLOW }),
      compressor(compression),
      fs.createWriteStream(tmp, { flags: WRITE_NOFOLLOW, mode: 0o600 }),
    );
    const handle = await fs.promises.open(tmp, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(tmp, target);
    // Before the plain file goes: a power cut must not keep its removal and lose the rename.
    await syncDirectory(fs, dirname(target));
  } catch (error) {
    const left = await fs.promises.unlink(tmp).then(() => false, (unlinkError: NodeJS.ErrnoException) => unlinkError.code !== 'ENOENT');
    throw left ? new CompressionError(error as Error, tmp) : error;
  }
  // From here the compressed file is the segment: a plain copy left behind is superseded
  // (readers skip it, reopening removes it), so a failure to remove it is not a failure.
  await fs.promises.unlink(plainPath).catch(() => {});
  const size = await fs.promises.stat(target).then((stat) => stat.size, () => 0);
  return { path: target, bytes: size };
}
