import { join } from 'node:path';
import type { Compression } from '../src/config/defaults.ts';
import { readSegmentSync } from './compressSegment.ts';
import type { FileSystem } from './FileSystem.ts';
import { type RecoveredFile, lastRecordOf, recoverActiveFile, seqsAfter } from './recoverActiveFile.ts';
import type { SessionMetadata, StoredSegment } from '../format/sessionMetadata.ts';
import type { Stream } from '../format/fileNames.ts';

export const SEGMENT_PATTERN = /^(system|audit)\.(\d{6})\.jsonl(\.gz|\.zst)?$/;

export interface RecoveredState {
  segments: StoredSegment[];
  active: Record<Stream, RecoveredFile>;
  nextSegment: Record<Stream, number>;
  lastSeq: number;
  chainHead: string;
  /** Plain segments whose compression had not finished. */
  toCompress: string[];
  /**
   * Seq ranges below the last seq on disk that neither stream holds: records that were
   * buffered in one stream when the process died while the other stream had written on.
   */
  tailGaps: Array<[number, number]>;
}

/** Gaps in (after, upTo] that neither list of seqs covers, as ranges. */
function gapsBetween(after: number, upTo: number, present: Set<number>): Array<[number, number]> {
  const gaps: Array<[number, number]> = [];
  for (let seq = after + 1; seq <= upTo; seq++) {
    if (present.has(seq)) continue;
    const last = gaps.at(-1);
    if (last && last[1] === seq - 1) last[1] = seq;
    else gaps.push([seq, seq]);
  }
  return gaps;
}

function compressionOf(suffix: string | undefined): StoredSegment['compression'] {
  return suffix === '.gz' ? 'gzip' : suffix === '.zst' ? 'zstd' : 'none';
}

/** Describe a segment that metadata.json does not list (the process died right after rotating). */
function describeSegment(fs: FileSystem, dir: string, file: string, stream: Stream, number: number, suffix: string | undefined): StoredSegment {
  const path = join(dir, file);
  const text = readSegmentSync(fs, path);
  const lines = text.split('\n').filter((line) => line !== '');
  const first = lines.length > 0 ? (JSON.parse(lines[0]!) as { seq: number }).seq : 0;
  return {
    file, stream, number, first_seq: first, last_seq: lastRecordOf(text).seq, lines: lines.length,
    bytes: Buffer.byteLength(text), compression: compressionOf(suffix), stored_bytes: fs.statSync(path).size,
  };
}

/**
 * Bring a session directory back to a consistent state before writing resumes: remove
 * unfinished temp files, finish interrupted compressions, list segments metadata.json
 * missed, cut torn last lines, and find the last seq and audit chain head.
 */
export function recoverSessionState(fs: FileSystem, dir: string, meta: SessionMetadata | undefined, compression: Compression): RecoveredState {
  const names = fs.readdirSync(dir);
  const present = new Set(names);
  for (const name of names) if (name.endsWith('.tmp')) fs.unlinkSync(join(dir, name));
  const known = new Map((meta?.segments ?? []).map((segment) => [segment.number + segment.stream, segment]));
  const segments: StoredSegment[] = [];
  const toCompress: string[] = [];
  const nextSegment: Record<Stream, number> = { system: 1, audit: 1 };
  for (const name of names.sort()) {
    const match = SEGMENT_PATTERN.exec(name);
    if (!match) continue;
    const stream = match[1] as Stream;
    const number = Number(match[2]);
    const suffix = match[3];
    if (!suffix && (present.has(name + '.gz') || present.has(name + '.zst'))) {
      fs.unlinkSync(join(dir, name)); // compression finished; only the unlink was lost
      continue;
    }
    nextSegment[stream] = Math.max(nextSegment[stream], number + 1);
    const listed = known.get(number + stream);
    const segment = listed && listed.file === name ? listed : listed ? { ...listed, file: name, compression: compressionOf(suffix), stored_bytes: fs.statSync(join(dir, name)).size } : describeSegment(fs, dir, name, stream, number, suffix);
    segments.push(segment);
    if (!suffix && compression !== 'none') toCompress.push(join(dir, name));
  }
  segments.sort((a, b) => a.first_seq - b.first_seq);
  const active = { system: recoverActiveFile(fs, join(dir, 'system.jsonl')), audit: recoverActiveFile(fs, join(dir, 'audit.jsonl')) };
  let lastSeq = Math.max(active.system.lastSeq, active.audit.lastSeq, ...segments.map((segment) => segment.last_seq));
  let chainHead = active.audit.lastChain;
  if (active.audit.lines === 0) {
    const lastAudit = segments.filter((segment) => segment.stream === 'audit').at(-1);
    if (lastAudit) chainHead = lastRecordOf(readSegmentSync(fs, join(dir, lastAudit.file))).chain;
    else chainHead = meta?.chain_head ?? '';
  }
  lastSeq = Math.max(lastSeq, 0);
  // Each stream's last seq on disk; above the lower of the two, every seq must be in one of them.
  const lastOf = (stream: Stream) => active[stream].lines > 0 ? active[stream].lastSeq : Math.max(0, ...segments.filter((s) => s.stream === stream).map((s) => s.last_seq));
  const floor = Math.min(lastOf('system'), lastOf('audit'));
  const onDisk = new Set<number>();
  for (const stream of ['system', 'audit'] as const) {
    for (const seq of seqsAfter(active[stream].text, floor)) onDisk.add(seq);
    // The stream may have rotated since `floor`: its newest segment holds the rest.
    const newest = segments.filter((s) => s.stream === stream).at(-1);
    if (newest && newest.last_seq > floor && (active[stream].lines === 0 || active[stream].firstSeq > floor + 1)) {
      for (const seq of seqsAfter(readSegmentSync(fs, join(dir, newest.file)), floor)) onDisk.add(seq);
    }
  }
  const tailGaps = active.system.lines > 0 || active.audit.lines > 0 ? gapsBetween(floor, lastSeq, onDisk) : [];
  active.system.text = '';
  active.audit.text = '';
  return { segments, active, nextSegment, lastSeq, chainHead, toCompress, tailGaps };
}
