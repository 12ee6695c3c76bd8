import { join } from 'node:path';
import { METADATA_FILE, segmentFileNames } from '../format/fileNames.ts';
import { isValidSessionId } from '../format/sessionId.ts';
import { type SessionMetadata, parseMetadata, removedEntry } from '../format/sessionMetadata.ts';
import { sessionState } from '../format/sessionState.ts';
import { type FileSystem, nodeFileSystem } from './FileSystem.ts';
import { metadataText, writeFileAtomically } from './MetadataFile.ts';
import { SessionLock } from './SessionLock.ts';
import { StorageError } from './StorageError.ts';

export interface PruneOptions {
  dir: string;
  retentionDays: number;
  now?: Date | undefined;
  /** List what would go, remove nothing. */
  dryRun?: boolean | undefined;
  /** Sessions this process is writing (asked just before each removal): left to their own writer. */
  isOpenHere?: ((sessionId: string) => boolean) | undefined;
  fs?: FileSystem | undefined;
}

export interface PruneReport {
  removedSessions: Array<{ id: string; ended_at: string | null; state: string }>;
  removedSegments: Array<{ id: string; file: string; first_seq: number; last_seq: number }>;
  errors: Array<{ id: string; message: string }>;
}

const DAY = 24 * 60 * 60 * 1000;

/**
 * Retention: remove sessions that ended (or were abandoned by a writer that died) more than
 * `retentionDays` ago, and, in the sessions kept that no process is writing, rotated
 * segments older than that, recording each removal in metadata.json (reason "retention")
 * before deleting. A session is changed only under its lock, so a process opening it at the
 * same time waits its turn; live sessions are never touched. One bad directory becomes an
 * error entry, never a throw.
 */
export async function pruneSessions(options: PruneOptions): Promise<PruneReport> {
  const { dir, retentionDays, now = new Date(), dryRun = false, isOpenHere = () => false, fs = nodeFileSystem } = options;
  if (!(typeof retentionDays === 'number' && Number.isFinite(retentionDays) && retentionDays >= 0)) throw new RangeError(`pruneSessions: retentionDays = ${String(retentionDays)} is not allowed; allowed: a number of days >= 0`);
  const cutoff = now.getTime() - retentionDays * DAY;
  const report: PruneReport = { removedSessions: [], removedSegments: [], errors: [] };
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new RangeError(`pruneSessions: log directory ${dir} does not exist; allowed: an existing directory of session logs`);
    throw error;
  }
  for (const id of names.sort()) {
    if (!isValidSessionId(id) || isOpenHere(id)) continue;
    const sessionDir = join(dir, id);
    try {
      if (!(await fs.promises.lstat(sessionDir)).isDirectory()) continue;
      const metaPath = join(sessionDir, METADATA_FILE);
      const meta = parseMetadata(await fs.promises.readFile(metaPath, 'utf8'), metaPath);
      const state = sessionState(meta, sessionDir);
      if (state === 'live') continue;
      let lock: SessionLock;
      try {
        lock = SessionLock.acquire(fs, sessionDir, id);
      } catch (error) {
        if ((error as StorageError).code === 'ESESSIONLOCKED') continue; // opened meanwhile
        throw error;
      }
      try {
        await pruneOne(fs, id, sessionDir, meta, state, cutoff, now, dryRun, report);
      } finally {
        lock.release();
      }
    } catch (error) {
      report.errors.push({ id, message: (error as Error).message });
    }
  }
  return report;
}

async function pruneOne(fs: FileSystem, id: string, sessionDir: string, meta: SessionMetadata, state: string, cutoff: number, now: Date, dryRun: boolean, report: PruneReport): Promise<void> {
  const metaPath = join(sessionDir, METADATA_FILE);
  // An abandoned session has no ended_at: its last metadata write is when it ended.
  const endedAt = meta.ended_at ? Date.parse(meta.ended_at) : (await fs.promises.stat(metaPath)).mtimeMs;
  if (endedAt < cutoff) {
    if (!dryRun) await fs.promises.rm(sessionDir, { recursive: true, force: true });
    report.removedSessions.push({ id, ended_at: meta.ended_at, state });
    return;
  }
  const old: SessionMetadata['segments'] = [];
  for (const segment of meta.segments) {
    const stat = await fs.promises.stat(join(sessionDir, segment.file)).catch(() => undefined);
    if (stat && stat.mtimeMs < cutoff) old.push(segment);
  }
  for (const segment of old) report.removedSegments.push({ id, file: segment.file, first_seq: segment.first_seq, last_seq: segment.last_seq });
  if (dryRun) return;
  if (old.length > 0) {
    // Recorded first, removed second: a crash in between leaves a file too many, never an unexplained gap.
    meta.segments = meta.segments.filter((segment) => !old.includes(segment));
    const at = now.toISOString();
    for (const segment of old) meta.removed.push(removedEntry(segment, 'retention', at));
    await writeFileAtomically(fs, metaPath, metadataText(meta), '.prune.tmp');
  }
  // Also finishes a removal that an earlier run recorded but did not complete.
  for (const name of meta.removed.flatMap((removed) => segmentFileNames(removed.file))) {
    await fs.promises.unlink(join(sessionDir, name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}
