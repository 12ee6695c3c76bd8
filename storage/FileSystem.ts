import * as fs from 'node:fs';

/**
 * The file-system calls the exporters make, as one object, so tests can inject faults
 * (ENOSPC, EIO, EACCES) without touching the real disk. Production uses node:fs itself.
 */
export type FileSystem = Pick<
  typeof fs,
  | 'openSync' | 'closeSync' | 'close' | 'open' | 'write' | 'writeSync' | 'fdatasync' | 'fdatasyncSync'
  | 'fsyncSync' | 'ftruncate' | 'ftruncateSync' | 'renameSync' | 'rename' | 'mkdirSync' | 'lstatSync' | 'statSync'
  | 'readFileSync' | 'writeFileSync' | 'readdirSync' | 'unlinkSync' | 'unlink' | 'rmSync' | 'fstatSync' | 'stat'
  | 'readSync' | 'createReadStream' | 'createWriteStream' | 'promises' | 'existsSync' | 'chmodSync'
>;

export const nodeFileSystem: FileSystem = fs;
