import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nextChain, splitChainedLine } from '../../exporters/AuditChain.ts';
import { type SessionMetadata, parseMetadata } from '../../exporters/SessionMetadata.ts';
import { SEGMENT_PATTERN } from '../../exporters/recoverSessionState.ts';
import type { Stream } from '../../exporters/SegmentWriter.ts';
import { readLines } from './readLines.ts';
import { streamFiles } from './sessionFiles.ts';

export type ProblemKind =
  | 'gap' | 'duplicate' | 'out_of_order' | 'torn' | 'unparseable' | 'corrupt_segment'
  | 'broken_chain' | 'missing_segment' | 'unlisted_segment' | 'segment_mismatch' | 'metadata';

export interface Problem {
  session: string;
  kind: ProblemKind;
  file?: string;
  line?: number;
  seq?: number;
  message: string;
}

interface Range {
  first_seq: number;
  last_seq: number;
}

/** Seq ranges whose absence is explained: recorded drops, crash losses, removals by cap or retention. */
function explainedRanges(meta: SessionMetadata): Range[] {
  return [...meta.drops, ...meta.crash_losses, ...meta.removed];
}

/**
 * Check one session: every seq present once or explained by metadata.json, every line
 * parses, the audit chain holds, and metadata.json agrees with the files.
 */
export async function verifySession(root: string, sessionId: string): Promise<Problem[]> {
  const dir = join(root, sessionId);
  const problems: Problem[] = [];
  const report = (problem: Omit<Problem, 'session'>) => problems.push({ session: sessionId, ...problem });
  const metaPath = join(dir, 'metadata.json');
  let meta: SessionMetadata;
  try {
    meta = parseMetadata(readFileSync(metaPath, 'utf8'), metaPath);
  } catch (error) {
    report({ kind: 'metadata', file: 'metadata.json', message: (error as Error).message });
    return problems;
  }
  const listed = new Map(meta.segments.map((segment) => [segment.file, segment]));
  for (const segment of meta.segments) {
    if (!existsSync(join(dir, segment.file))) report({ kind: 'missing_segment', file: segment.file, seq: segment.first_seq, message: `listed in metadata.json (seq ${segment.first_seq}-${segment.last_seq}) but not on disk` });
  }
  const seqs: number[] = [];
  let maxSeq = 0;
  for (const stream of ['system', 'audit'] as Stream[]) {
    let previousSeq = 0;
    let chain = '';
    let firstAudit = true;
    const auditTrimmed = meta.removed.some((removed) => removed.stream === 'audit');
    for (const file of streamFiles(dir, stream)) {
      if (!file.active && SEGMENT_PATTERN.test(file.name) && !listed.has(file.name)) report({ kind: 'unlisted_segment', file: file.name, message: 'segment on disk that metadata.json does not list' });
      let lines = 0;
      let first = 0;
      let last = 0;
      try {
        for await (const { text, lineNumber, torn } of readLines(file.path)) {
          if (text === '') continue;
          if (torn) {
            report({ kind: 'torn', file: file.name, line: lineNumber, message: 'last line has no newline (a crash mid-write; reopening the session repairs it)' });
            continue;
          }
          let record: { seq?: unknown };
          try {
            record = JSON.parse(text) as { seq?: unknown };
          } catch (error) {
            report({ kind: 'unparseable', file: file.name, line: lineNumber, message: (error as Error).message });
            continue;
          }
          const seq = record.seq;
          if (typeof seq !== 'number') {
            report({ kind: 'unparseable', file: file.name, line: lineNumber, message: 'no numeric seq' });
            continue;
          }
          lines++;
          if (first === 0) first = seq;
          last = seq;
          if (seq === previousSeq) report({ kind: 'duplicate', file: file.name, line: lineNumber, seq, message: `seq ${seq} appears twice in ${stream}` });
          else if (seq < previousSeq) report({ kind: 'out_of_order', file: file.name, line: lineNumber, seq, message: `seq ${seq} after ${previousSeq}` });
          previousSeq = Math.max(previousSeq, seq);
          seqs.push(seq);
          if (seq > maxSeq) maxSeq = seq;
          if (stream === 'audit') {
            const split = splitChainedLine(text);
            if (!split) {
              report({ kind: 'broken_chain', file: file.name, line: lineNumber, seq, message: 'audit line without a chain value' });
              continue;
            }
            // After the cap or retention removed the oldest audit segments, the chain starts at the first line left.
            if (firstAudit && auditTrimmed) chain = split.chain;
            else if (split.chain !== nextChain(chain, split.hashed)) {
              report({ kind: 'broken_chain', file: file.name, line: lineNumber, seq, message: 'chain value does not follow from the line before: an audit line was edited, deleted or reordered' });
            }
            chain = split.chain;
            firstAudit = false;
          }
        }
      } catch (error) {
        report({ kind: 'corrupt_segment', file: file.name, message: (error as Error).message });
      }
      const segment = listed.get(file.name);
      if (segment && (segment.lines !== lines || segment.first_seq !== first || segment.last_seq !== last)) {
        report({ kind: 'segment_mismatch', file: file.name, message: `metadata.json says ${segment.lines} lines, seq ${segment.first_seq}-${segment.last_seq}; the file has ${lines} lines, seq ${first}-${last}` });
      }
    }
  }
  // Gaps: seqs between 1 and the highest one that neither file holds and metadata does not explain.
  const present = new Set(seqs);
  const explained = explainedRanges(meta);
  const upTo = Math.max(maxSeq, meta.ended_at ? meta.last_seq : 0);
  let gapStart = 0;
  for (let seq = 1; seq <= upTo + 1; seq++) {
    const missing = seq <= upTo && !present.has(seq) && !explained.some((range) => seq >= range.first_seq && seq <= range.last_seq);
    if (missing && gapStart === 0) gapStart = seq;
    if (!missing && gapStart !== 0) {
      report({ kind: 'gap', seq: gapStart, message: gapStart === seq - 1 ? `seq ${gapStart} is missing` : `seq ${gapStart}-${seq - 1} are missing` });
      gapStart = 0;
    }
  }
  if (meta.ended_at && meta.last_seq < maxSeq) report({ kind: 'metadata', file: 'metadata.json', seq: maxSeq, message: `last_seq ${meta.last_seq} is below the highest seq in the files (${maxSeq})` });
  return problems;
}
