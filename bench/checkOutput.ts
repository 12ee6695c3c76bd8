import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { nextChain, splitChainedLine } from '../format/auditChain.ts';
import { bodyOf } from './workload.ts';

/**
 * Reads back what a contender wrote and checks it line by line, parsed: per session, seqs
 * 1..expected each exactly once across both files; every workload record there once, in
 * emit order, with its body, attributes and file (audit or system); keys in the line's
 * order; the audit chain intact. Counting lines or substrings is not enough: a duplicated
 * line and a lost one cancel out.
 */
export interface CheckOptions {
  /** Session ids to check (each a directory under the root). */
  sessions: string[];
  /** Workload records each session should hold. */
  records(session: number): number;
  /** Lines around the workload (session.created, session.terminated), seqs included. */
  extraLines: number;
  /** Is workload record `n` of session `session` an audit record (input)? */
  isAudit(n: number, session: number): boolean;
}

export interface CheckResult {
  /** Workload records found, each once. */
  records: number;
  /** Seqs expected and not found. */
  lost: number;
  /** Lines whose seq was already seen. */
  duplicated: number;
  /** Average bytes of a workload line (newline included). */
  bytes_per_line: number;
  /** The first few problems, described; empty when everything holds. */
  problems: string[];
}

const SYSTEM_KEYS = 'ts,seq,session_id,event,category,tier,severity,body,attrs';
const AUDIT_KEYS = SYSTEM_KEYS + ',chain';
const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;
const MAX_PROBLEMS = 10;

/** Lines of a session's files, per stream, rotated segments first (by name) and the active file last. */
function streamLines(dir: string): Array<{ file: string; stream: 'audit' | 'system'; lines: string[] }> {
  const files = readdirSync(dir).filter((name) => /^(audit|system)(\.\d+)?\.jsonl(\.gz)?$/.test(name));
  const order = (name: string) => (/^\w+\.jsonl$/.test(name) ? '~' : name); // the active file after its segments
  files.sort((a, b) => (order(a) < order(b) ? -1 : 1));
  return files.map((file) => {
    const raw = readFileSync(join(dir, file));
    const text = (file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return { file, stream: file.startsWith('audit') ? 'audit' : 'system', lines };
  });
}

export function checkOutput(root: string, options: CheckOptions): CheckResult {
  const result: CheckResult = { records: 0, lost: 0, duplicated: 0, bytes_per_line: 0, problems: [] };
  const problem = (text: string) => {
    if (result.problems.length < MAX_PROBLEMS) result.problems.push(text);
    else if (result.problems.length === MAX_PROBLEMS) result.problems.push('(more problems left out)');
  };
  let workloadBytes = 0;
  options.sessions.forEach((id, session) => {
    const expectedRecords = options.records(session);
    const expected = expectedRecords + options.extraLines;
    const seen = new Uint8Array(expected + 1);
    const nAt = new Float64Array(expected + 1).fill(-1);
    let found = 0;
    let files: ReturnType<typeof streamLines>;
    try {
      files = streamLines(join(root, id));
    } catch (error) {
      problem(`${id}: cannot read its directory (${(error as Error).message})`);
      result.lost += expected;
      return;
    }
    for (const { file, stream, lines } of files) {
      let chain = '';
      for (let i = 0; i < lines.length; i++) {
        const at = `${id}/${file}:${i + 1}`;
        const text = lines[i]!;
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(text) as Record<string, unknown>;
        } catch {
          problem(`${at}: not JSON: ${text.slice(0, 80)}`);
          continue;
        }
        const keys = Object.keys(line).join(',');
        if (keys !== (stream === 'audit' ? AUDIT_KEYS : SYSTEM_KEYS)) problem(`${at}: keys ${keys}, expected ${stream === 'audit' ? AUDIT_KEYS : SYSTEM_KEYS}`);
        if (typeof line.ts !== 'string' || !TS.test(line.ts)) problem(`${at}: ts ${JSON.stringify(line.ts)} is not ISO 8601 with nanoseconds`);
        if (line.session_id !== id) problem(`${at}: session_id ${JSON.stringify(line.session_id)}`);
        if (line.category !== stream) problem(`${at}: category ${JSON.stringify(line.category)} in the ${stream} file`);
        if (stream === 'audit') {
          const split = splitChainedLine(text);
          chain = split === undefined ? '' : nextChain(chain, split.hashed);
          if (split === undefined || split.chain !== chain) problem(`${at}: audit chain broken`);
        }
        const seq = line.seq;
        if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
          problem(`${at}: seq ${JSON.stringify(seq)}`);
          continue;
        }
        if (seq > expected) {
          problem(`${at}: seq ${seq} beyond the ${expected} expected`);
          result.duplicated++;
          continue;
        }
        if (seen[seq] === 1) {
          problem(`${at}: seq ${seq} again`);
          result.duplicated++;
          continue;
        }
        seen[seq] = 1;
        found++;
        if (line.event !== 'input' && line.event !== 'output') continue;
        const attrs = line.attrs as Record<string, unknown> | null;
        const n = attrs?.n;
        if (typeof n !== 'number') {
          problem(`${at}: attrs ${JSON.stringify(attrs)} without n`);
          continue;
        }
        const audit = options.isAudit(n, session);
        if ((line.event === 'input') !== audit || line.tier !== 'full' || line.severity !== 'INFO') problem(`${at}: record ${n} is ${line.event}/${line.tier}/${line.severity}, expected ${audit ? 'input' : 'output'}/full/INFO`);
        if (line.body !== bodyOf(n)) problem(`${at}: body of record ${n} differs`);
        if (Object.keys(attrs!).join(',') !== 'stream,pid,n' || attrs!.stream !== (audit ? 'stdin' : 'stdout')) problem(`${at}: attrs ${JSON.stringify(attrs)}`);
        nAt[seq] = n;
        result.records++;
        workloadBytes += Buffer.byteLength(text) + 1;
      }
    }
    result.lost += expected - found;
    let workload = 0;
    let lastN = -1;
    for (let seq = 1; seq <= expected; seq++) {
      if (seen[seq] === 0) {
        problem(`${id}: seq ${seq} missing`);
        continue;
      }
      const n = nAt[seq]!;
      if (n === -1) continue;
      workload++;
      if (n <= lastN) problem(`${id}: record ${n} has seq ${seq}, after record ${lastN}: seq is not in emit order`);
      lastN = n;
    }
    if (workload !== expectedRecords) problem(`${id}: ${workload} workload records, expected ${expectedRecords}`);
  });
  result.bytes_per_line = result.records === 0 ? 0 : workloadBytes / result.records;
  return result;
}
