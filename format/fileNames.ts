/**
 * Names of the files in a session directory: the one place that builds and parses them.
 * The writer, its crash recovery and the reader all import these.
 */

export const STREAMS = ['system', 'audit'] as const;
/** system: what the machine did; audit: what a user did. Each is one active file plus numbered segments. */
export type Stream = (typeof STREAMS)[number];

export const COMPRESSIONS = ['gzip', 'zstd', 'none'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

const SUFFIX: Readonly<Record<Compression, string>> = { gzip: '.gz', zstd: '.zst', none: '' };

export const METADATA_FILE = 'metadata.json';
/** Held while a process writes the session (see storage/SessionLock.ts). */
export const LOCK_FILE = '.lock';

/** `system.jsonl`, `audit.jsonl`: the file being appended to. */
export function activeFileName(stream: Stream): string {
  return `${stream}.jsonl`;
}

/** `system.000042.jsonl` plus `.gz` / `.zst` when compressed. */
export function segmentFileName(stream: Stream, number: number, compression: Compression = 'none'): string {
  return `${stream}.${String(number).padStart(6, '0')}.jsonl${SUFFIX[compression]}`;
}

/** The compressed name of a plain segment file. */
export function compressedFileName(plainName: string, compression: Compression): string {
  return plainName + SUFFIX[compression];
}

const SEGMENT = /^(system|audit)\.(\d{6})\.jsonl(\.gz|\.zst)?$/;

export interface SegmentName {
  stream: Stream;
  number: number;
  compression: Compression;
}

/** Parse a segment file name; undefined for anything else (active files, metadata, temp files). */
export function parseSegmentFileName(name: string): SegmentName | undefined {
  const match = SEGMENT.exec(name);
  if (!match) return undefined;
  const suffix = match[3];
  return { stream: match[1] as Stream, number: Number(match[2]), compression: suffix === '.gz' ? 'gzip' : suffix === '.zst' ? 'zstd' : 'none' };
}

/** The names a segment may have on disk: its own, and the plain one a compression may have left behind. */
export function segmentFileNames(name: string): string[] {
  const plain = name.replace(/\.(gz|zst)$/, '');
  return plain === name ? [name] : [name, plain];
}

/** Compression of a file by its name (`.gz`, `.zst`, else none). */
export function compressionOfFile(name: string): Compression {
  return name.endsWith('.gz') ? 'gzip' : name.endsWith('.zst') ? 'zstd' : 'none';
}

/**
 * A plain segment whose compressed copy exists is superseded: compression writes the copy
 * completely (temp file, fsync, rename) before it removes the plain file, so between the
 * two steps, or after a crash there, the compressed copy is the one to read.
 */
export function isSupersededSegment(name: string, present: ReadonlySet<string>): boolean {
  return !name.endsWith('.gz') && !name.endsWith('.zst') && (present.has(name + '.gz') || present.has(name + '.zst'));
}

/** Temp files of atomic writes and compression; a crash may leave them behind. */
export function isTempFileName(name: string): boolean {
  return name.endsWith('.tmp');
}
