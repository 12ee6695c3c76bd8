import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import type { Compression } from '../src/config/defaults.ts';
import type { FileSystem } from './FileSystem.ts';

export const COMPRESSED_SUFFIX: Readonly<Record<Compression, string>> = { gzip: '.gz', zstd: '.zst', none: '' };

function compressor(compression: Exclude<Compression, 'none'>): NodeJS.ReadWriteStream {
  return compression === 'gzip' ? zlib.createGzip() : zlib.createZstdCompress();
}

/**
 * Compress a rotated segment off the hot path: stream into `<target>.tmp`, fsync, rename to
 * `<target>`, then remove the plain file. A crash leaves either the plain segment or the
 * complete compressed one (plus a stray .tmp that reopening removes). Returns bytes on disk.
 */
export async function compressSegment(fs: FileSystem, plainPath: string, compression: Exclude<Compression, 'none'>): Promise<{ path: string; bytes: number }> {
  const target = plainPath + COMPRESSED_SUFFIX[compression];
  const tmp = target + '.tmp';
  await pipeline(fs.createReadStream(plainPath), compressor(compression), fs.createWriteStream(tmp, { mode: 0o600 }));
  const handle = await fs.promises.open(tmp, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(tmp, target);
  await fs.promises.unlink(plainPath);
  const { size } = await fs.promises.stat(target);
  return { path: target, bytes: size };
}

/** Read a whole segment, plain or compressed, as text (used on reopen and by the reader). */
export function readSegmentSync(fs: FileSystem, path: string): string {
  const data = fs.readFileSync(path);
  if (path.endsWith('.gz')) return zlib.gunzipSync(data).toString('utf8');
  if (path.endsWith('.zst')) return zlib.zstdDecompressSync(data).toString('utf8');
  return data.toString('utf8');
}
