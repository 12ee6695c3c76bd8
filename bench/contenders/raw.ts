import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Contender, WorkRecord } from '../workload.ts';

/** The floor: JSON.stringify + a 64 KiB buffer per file + fs.writeSync. */
export function create(dir: string, sessions: number): Contender {
  const fds = Array.from({ length: sessions }, (_, i) => openSync(join(dir, `s${i}.jsonl`), 'a'));
  const buffers = Array.from({ length: sessions }, () => '');
  const seqs = new Array<number>(sessions).fill(0);
  const flush = (i: number) => {
    if (buffers[i]!.length > 0) writeSync(fds[i]!, buffers[i]!);
    buffers[i] = '';
  };
  return {
    emit(record: WorkRecord) {
      const i = record.session;
      buffers[i] += JSON.stringify({ ts: new Date().toISOString(), seq: ++seqs[i]!, session_id: `s${i}`, event: 'output', body: record.body, attrs: record.attrs }) + '\n';
      if (buffers[i]!.length >= 65536) flush(i);
    },
    finish() {
      for (let i = 0; i < sessions; i++) flush(i);
      for (const fd of fds) closeSync(fd);
      fds.length = 0;
    },
  };
}
