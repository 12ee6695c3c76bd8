import { close, mkdirSync, openSync, write } from 'node:fs';
import { join } from 'node:path';
import { closeLine, fieldsPart, openLine, timestampNow } from '../sameLine.ts';
import { type Attrs, type Contender, sessionId } from '../workload.ts';

const HIGH_WATER = 64 * 1024;

/** A plain buffered asynchronous writer: lines gather in a string, one fs.write at a time. */
class BufferedFile {
  private readonly fd: number;
  private pending = '';
  private writing = false;
  private ended: (() => void) | undefined;
  private failed: Error | undefined;

  constructor(path: string) {
    this.fd = openSync(path, 'a', 0o600);
  }

  write(line: string): void {
    this.pending += line;
    if (!this.writing && this.pending.length >= HIGH_WATER) this.kick();
  }

  private kick(): void {
    const data = this.pending;
    this.pending = '';
    this.writing = true;
    write(this.fd, data, (error) => {
      this.writing = false;
      if (error) this.failed = error;
      if (this.pending.length >= HIGH_WATER || (this.ended && this.pending.length > 0)) this.kick();
      else if (this.ended) close(this.fd, () => this.ended!());
    });
  }

  end(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ended = () => (this.failed ? reject(this.failed) : resolve());
      if (this.writing) return;
      if (this.pending.length > 0) this.kick();
      else close(this.fd, () => this.ended!());
    });
  }
}

/** The floor: the same line by concatenation (JSON.stringify for body and attrs), one buffered async writer per file. */
export function create(dir: string, sessions: number): Contender {
  const files = Array.from({ length: sessions }, (_, i) => {
    const sessionDir = join(dir, sessionId(i));
    mkdirSync(sessionDir, { recursive: true });
    return {
      seq: 0,
      chain: { head: '' },
      system: new BufferedFile(join(sessionDir, 'system.jsonl')),
      audit: new BufferedFile(join(sessionDir, 'audit.jsonl')),
      systemFields: fieldsPart(sessionId(i), 'output', 'system', 'full', 'INFO'),
      auditFields: fieldsPart(sessionId(i), 'input', 'audit', 'full', 'INFO'),
    };
  });
  return {
    emit(session: number, audit: boolean, body: string, attrs: Attrs) {
      const f = files[session]!;
      const open = openLine(timestampNow(), ++f.seq, audit ? f.auditFields : f.systemFields, JSON.stringify(body), JSON.stringify(attrs));
      if (audit) f.audit.write(closeLine(open, f.chain));
      else f.system.write(closeLine(open, undefined));
    },
    async finish() {
      await Promise.all(files.flatMap((f) => [f.system.end(), f.audit.end()]));
    },
  };
}
