import { constants } from 'node:fs';
import { join } from 'node:path';
import { METADATA_FILE, STREAMS, activeFileName, parseSegmentFileName } from '../format/fileNames.ts';
import { type SessionMetadata, parseMetadata } from '../format/sessionMetadata.ts';
import type { FileSystem } from './FileSystem.ts';
import { StorageError } from './StorageError.ts';

/**
 * The log root: created 0700 if missing; if group- or world-writable it is made 0700 when
 * it is ours (and the fix reported), refused otherwise (a shared directory such as /tmp
 * lets others plant links and files in it).
 */
export function ensureLogRoot(fs: FileSystem, root: string, report: (message: string) => void): void {
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  const stat = fs.statSync(root);
  if (!stat.isDirectory()) throw new StorageError('ESESSIONNOTDIR', `log directory ${root} is not a directory; allowed: a directory (created 0700 when missing)`);
  const mode = stat.mode & 0o7777;
  if ((mode & 0o022) === 0) return;
  const shown = `0${(mode & 0o777).toString(8)}`;
  const ours = typeof process.getuid !== 'function' || stat.uid === process.getuid();
  if (!ours || (mode & 0o1000) !== 0) {
    throw new StorageError('ELOGDIRUNSAFE', `log directory ${root} is writable by others (mode ${shown}${ours ? ', sticky' : `, owned by uid ${stat.uid}`}): refused, others could plant files and links in it; allowed: a directory of its own, e.g. ${join(root, 'session-logs')}`);
  }
  fs.chmodSync(root, 0o700);
  report(`log directory ${root} was writable by others (mode ${shown}); fixed: now 0700`);
}

/** A session's directory, never through a link: created 0700 when missing. True when it was created now (it is empty). */
export function ensureSessionDir(fs: FileSystem, dir: string, sessionId: string): boolean {
  let stat;
  try {
    stat = fs.lstatSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    fs.mkdirSync(dir, { mode: 0o700 });
    return true;
  }
  if (stat.isSymbolicLink()) throw new StorageError('ESESSIONLINK', `session ${sessionId}: its directory ${dir} is a symbolic link; refusing to write through it; allowed: a real directory (remove the link)`);
  if (!stat.isDirectory()) throw new StorageError('ESESSIONNOTDIR', `session ${sessionId}: ${dir} exists and is not a directory; allowed: a directory, or nothing at that path`);
  for (const name of [METADATA_FILE, ...STREAMS.map(activeFileName)]) {
    const file = fs.lstatSync(join(dir, name), { throwIfNoEntry: false });
    if (file?.isSymbolicLink()) throw new StorageError('ESESSIONLINK', `session ${sessionId}: ${join(dir, name)} is a symbolic link; refusing to write through it; allowed: a session directory with no links in it`);
  }
  return false;
}

export type MetadataRead =
  | { kind: 'missing' }
  | { kind: 'found'; meta: SessionMetadata; legacy: boolean }
  | { kind: 'corrupt'; error: Error };

/** metadata.json, read without following a link. `legacy`: written before seq reservations. */
export function readMetadataSync(fs: FileSystem, dir: string): MetadataRead {
  const path = join(dir, METADATA_FILE);
  let fd: number;
  try {
    fd = fs.openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw error;
  }
  let text: string;
  try {
    text = fs.readFileSync(fd, 'utf8') as string;
  } finally {
    fs.closeSync(fd);
  }
  try {
    return { kind: 'found', meta: parseMetadata(text, path), legacy: !text.includes('"seq_reserved"') };
  } catch (error) {
    return { kind: 'corrupt', error: error as Error };
  }
}

/** Does the directory hold any record file (active or segment)? */
export function holdsRecords(fs: FileSystem, dir: string): boolean {
  return fs.readdirSync(dir).some((name) => parseSegmentFileName(name) !== undefined || STREAMS.some((stream) => name === activeFileName(stream)));
}
