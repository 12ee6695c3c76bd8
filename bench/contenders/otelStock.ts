import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SeverityNumber } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { type LogRecordExporter, LoggerProvider, type ReadableLogRecord, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { formatTimestamp } from '../../format/formatTimestamp.ts';
import { closeLine, fieldsPart, openLine } from '../sameLine.ts';
import { type Attrs, type Contender, sessionId } from '../workload.ts';

const ATTR_SESSION = 'session.id';
const ATTR_CATEGORY = 'session.category';
const ATTR_TIER = 'session.tier';
const HIGH_WATER = 64 * 1024;

class SyncFile {
  private readonly fd: number;
  private pending = '';
  constructor(path: string) {
    this.fd = openSync(path, 'a', 0o600);
  }
  write(line: string): void {
    this.pending += line;
    if (this.pending.length >= HIGH_WATER) this.flush();
  }
  flush(): void {
    if (this.pending.length > 0) writeSync(this.fd, this.pending);
    this.pending = '';
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

interface SessionFiles {
  id: string;
  seq: number;
  chain: { head: string };
  system: SyncFile;
  audit: SyncFile;
  /** The line's fixed fields by event name, built once (rebuilt if category, tier or severity differ). */
  fields: Map<string, { category: string; tier: string; severity: string; part: string }>;
}

const quotedKeys = new Map<string, string>();

/** JSON of an attribute key, built once per key. */
function quoteKey(key: string): string {
  let json = quotedKeys.get(key);
  if (json === undefined) {
    json = JSON.stringify(key);
    quotedKeys.set(key, json);
  }
  return json;
}

/**
 * The smallest exporter that writes the same line: numbers the records of each session
 * (seq), takes session id, category and tier from the attributes, the caller's attributes
 * as attrs, and appends to a 64 KiB buffer per file written with writeSync: synchronous
 * (export() is done when it returns), and no worse buffered than raw.
 */
class SameLineFileExporter implements LogRecordExporter {
  private readonly dir: string;
  private readonly sessions = new Map<string, SessionFiles>();

  constructor(dir: string) {
    this.dir = dir;
  }

  private filesOf(id: string): SessionFiles {
    let files = this.sessions.get(id);
    if (files === undefined) {
      const sessionDir = join(this.dir, id);
      mkdirSync(sessionDir, { recursive: true });
      files = { id, seq: 0, chain: { head: '' }, system: new SyncFile(join(sessionDir, 'system.jsonl')), audit: new SyncFile(join(sessionDir, 'audit.jsonl')), fields: new Map() };
      this.sessions.set(id, files);
    }
    return files;
  }

  private fieldsOf(files: SessionFiles, event: string, category: string, tier: string, severity: string): string {
    const cached = files.fields.get(event);
    if (cached !== undefined && cached.category === category && cached.tier === tier && cached.severity === severity) return cached.part;
    const part = fieldsPart(files.id, event, category, tier, severity);
    files.fields.set(event, { category, tier, severity, part });
    return part;
  }

  export(records: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    for (const record of records) {
      const attributes = record.attributes;
      const id = attributes[ATTR_SESSION] as string;
      const category = attributes[ATTR_CATEGORY] as string;
      const files = this.filesOf(id);
      let attrs = '{';
      const keys = Object.keys(attributes);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        if (key === ATTR_SESSION || key === ATTR_CATEGORY || key === ATTR_TIER) continue;
        const value = attributes[key];
        attrs += (attrs.length > 1 ? ',' : '') + quoteKey(key) + ':' + (typeof value === 'number' ? String(value) : JSON.stringify(value));
      }
      const fields = this.fieldsOf(files, record.eventName ?? '', category, attributes[ATTR_TIER] as string, record.severityText ?? 'INFO');
      const open = openLine(formatTimestamp(record.hrTime), ++files.seq, fields, JSON.stringify(record.body), attrs + '}');
      if (category === 'audit') files.audit.write(closeLine(open, files.chain));
      else files.system.write(closeLine(open, undefined));
    }
    done({ code: ExportResultCode.SUCCESS });
  }

  async forceFlush(): Promise<void> {
    for (const files of this.sessions.values()) {
      files.system.flush();
      files.audit.flush();
    }
  }

  async shutdown(): Promise<void> {
    for (const files of this.sessions.values()) {
      files.system.close();
      files.audit.close();
    }
    this.sessions.clear();
  }
}

/** The stock OTel SDK: LoggerProvider + SimpleLogRecordProcessor + the minimal synchronous exporter above. */
export function create(dir: string, sessions: number): Contender {
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: new SameLineFileExporter(dir) })] });
  const logger = provider.getLogger('bench');
  const ids = Array.from({ length: sessions }, (_, i) => sessionId(i));
  return {
    emit(session: number, audit: boolean, body: string, attrs: Attrs) {
      logger.emit({
        eventName: audit ? 'input' : 'output', severityNumber: SeverityNumber.INFO, severityText: 'INFO', body,
        attributes: { [ATTR_SESSION]: ids[session]!, [ATTR_CATEGORY]: audit ? 'audit' : 'system', [ATTR_TIER]: 'full', ...attrs },
      });
    },
    async finish() {
      await provider.forceFlush();
      await provider.shutdown();
    },
  };
}
