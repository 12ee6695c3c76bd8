import { constants } from 'node:fs';
import type { FileSystem } from './FileSystem.ts';

const DIRECTORY = constants.O_RDONLY | constants.O_DIRECTORY;

/**
 * fsync a directory: a rename, creation or removal in it is durable only then (until it is,
 * a power cut can undo it, whatever was fsynced of the file itself).
 */
export async function syncDirectory(fs: FileSystem, dir: string): Promise<void> {
  const handle = await fs.promises.open(dir, DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The same, synchronously (backpressure, exit). */
export function syncDirectorySync(fs: FileSystem, dir: string): void {
  const fd = fs.openSync(dir, DIRECTORY);
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
