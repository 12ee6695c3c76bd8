import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { isValidSessionId } from '../format/sessionId.ts';
import { sessionState } from '../format/sessionState.ts';
import { type SessionMetadata, parseMetadata } from '../format/sessionMetadata.ts';

export interface PruneOptions {
  dir: string;
  retentionDays: number;
  now?: Date;
  /** List what would go, remove nothing. */
  dryRun?: boolean;
  /** Sessions this process is writing (asked just before each removal): left to their own writer. */
  isOpenHere?: (sessionId: string) => boolean;
}

export interface PruneReport {
  removedSessions: Array<{ id: string; ended_at: string | null; state: string }>;
  removedSegments: Array<{ id: string; file: string; first_seq: number; last_seq: number }>;
  errors: Array<{ id: string; message: string }>;
}

const DAY = 24 * 60 * 60 * 1000;

async function writeMetadataAtomically(path: string, meta: SessionMetadata): Promise<void> {
  const tmp = `${path}.prune.tmp`;
  const handle = await fsp.open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(JSON.stringify(meta, null, 2) + '\n');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(tmp, path);
}

async function unlinkIfPresent(path: string): Promise<void> {
  await fsp.unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

/**
 * Retention: remove sessions that ended (or were abandoned by a writer that died) more than
 * `retentionDays` ago, and, in the sessions kept that no process is writing, rotated
 * segments older than that, recording each removal in metadata.json (reason "retention").
 * Live sessions are never removed. One bad directory becomes an error entry, never a throw.
 */
export async function pruneSessions(options: PruneOptions): Promise<PruneReport> {
  const { dir, retentionDays, now = new Date(), dryRun = false, isOpenHere = () => false } = options;
  if (!(typeof retentionDays === 'number' && retentionDays >= 0)) throw new RangeError(`pruneSessions: retentionDays ${retentionDays} is not allowed; allowed: a number >= 0`);
  const cutoff = now.getTime() - retentionDays * DAY;
  const report: PruneReport = { removedSessions: [], removedSegments: [], errors: [] };
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return report;
    throw error;
  }
  for (const id of names.sort()) {
    if (!isValidSessionId(id) || isOpenHere(id)) continue;
    const sessionDir = join(dir, id);
    try {
      if (!(await fsp.lstat(sessionDir)).isDirectory()) continue;
      const metaPath = join(sessionDir, 'metadata.json');
      const meta = parseMetadata(await fsp.readFile(metaPath, 'utf8'), metaPath);
      const state = sessionState(meta);
      if (state === 'live') continue;
      // An abandoned session has no ended_at: its last write is when it ended.
      const endedAt = meta.ended_at ? Date.parse(meta.ended_at) : (await fsp.stat(metaPath)).mtimeMs;
      if (endedAt < cutoff) {
        if (isOpenHere(id)) continue; // reopened while we looked
        if (!dryRun) await fsp.rm(sessionDir, { recursive: true, force: true });
        report.removedSessions.push({ id, ended_at: meta.ended_at, state });
        continue;
      }
      const old: SessionMetadata['segments'] = [];
      for (const segment of meta.segments) {
        const stat = await fsp.stat(join(sessionDir, segment.file)).catch(() => undefined);
        if (stat && stat.mtimeMs < cutoff) old.push(segment);
      }
      for (const segment of old) report.removedSegments.push({ id, file: segment.file, first_seq: segment.first_seq, last_seq: segment.last_seq });
      if (dryRun) continue;
      if (old.length > 0) {
        // Recorded first, removed second: a crash in between leaves a file too many, never an unexplained gap.
        meta.segments = meta.segments.filter((segment) => !old.includes(segment));
        const at = now.toISOString();
        for (const segment of old) meta.removed.push({ file: segment.file, stream: segment.stream, first_seq: segment.first_seq, last_seq: segment.last_seq, lines: segment.lines, reason: 'retention', at });
        await writeMetadataAtomically(metaPath, meta);
      }
      // Also finishes a removal that an earlier run recorded but did not complete.
      for (const removed of meta.removed) await unlinkIfPresent(join(sessionDir, removed.file));
    } catch (error) {
      report.errors.push({ id, message: (error as Error).message });
    }
  }
  return report;
}
