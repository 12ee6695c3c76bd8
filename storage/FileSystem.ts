import * as fs from 'node:fs';

/**
 * The file-system calls the store makes, as one object, so tests can inject faults
 * (ENOSPC, EIO, EACCES) and watch what runs synchronously. Production uses node:fs itself.
 */
export type FileSystem = Pick<
  typeof fs,
  | 'openSync' | 'closeSync' | 'writeSync' | 'readSync' | 'readFileSync' | 'fstatSync' | 'fdatasyncSync' | 'fsyncSync'
  | 'ftruncateSync' | 'renameSync' | 'linkSync' | 'unlinkSync' | 'mkdirSync' | 'lstatSync' | 'statSync' | 'chmodSync'
  | 'readdirSync' | 'open' | 'close' | 'write' | 'read' | 'fstat' | 'fdatasync' | 'fsync' | 'ftruncate' | 'lstat'
  | 'rename' | 'unlink' | 'createReadStream' | 'createWriteStream' | 'promises'
>;

export const nodeFileSystem: FileSystem = fs;
