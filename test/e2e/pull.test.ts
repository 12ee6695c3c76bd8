/**
 * The pull path of otel-collector.yaml (OTELCOL_LOGS_RECEIVER=file_log/sessions) against the
 * real Collector, on JSONL written here by hand in the documented line format (docs/layout.md),
 * not by the library: the Collector config is checked against the contract, not against
 * whatever the writer happens to produce (pullLibrary.test.ts does that, into VictoriaLogs).
 *
 * Everything the Collector's file exporter writes is counted: every line arrives exactly once,
 * in its session's file, with session.id, its `ts` to the nanosecond, and the same attribute
 * names the push path uses; across rotations, a rotation while the Collector is down, and
 * restarts (read offsets are kept in file_storage).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type ExportedRecord, readExported, waitForExported } from '../support/collectorOutput.ts';
import { type RunningCollector, collectorBinary, startCollector } from '../support/otelcol.ts';
import { tempDir } from '../support/sessionFiles.ts';

/** 2026-11-25T07:01:02.123456789Z in nanoseconds since the epoch. */
const BASE_NS = BigInt(Date.parse('2026-11-25T07:01:02Z')) * 1_000_000n + 123_456_789n;

/** ISO 8601 UTC with exactly nine fractional digits, as the library writes `ts`. */
function isoNanos(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString(); // ...T07:01:02.123Z
  return `${iso.slice(0, 19)}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}

interface Written {
  session: string;
  seq: number;
  ns: bigint;
  event: string;
  category: 'audit' | 'system';
  tier: string;
  severity: 'INFO' | 'WARN' | 'ERROR';
  body: string;
  attrs: Record<string, unknown>;
  chain?: string;
  traceId?: string;
  spanId?: string;
}

const SEVERITY_NUMBER = { INFO: 9, WARN: 13, ERROR: 17 } as const;

/** Writes our JSONL lines, keys in the documented order, audit lines hash-chained. */
class SessionWriter {
  readonly written: Written[] = [];
  private seq = 0;
  private chain = '0'.repeat(64);
  private readonly dir: string;
  readonly session: string;
  constructor(root: string, session: string) {
    this.session = session;
    this.dir = join(root, session);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    for (const stream of ['system', 'audit']) writeFileSync(join(this.dir, `${stream}.jsonl`), '', { mode: 0o600 });
  }

  /** Appends `count` records; every 4th is an audit `input`, the rest system events. */
  write(count: number): void {
    const lines = { system: '', audit: '' };
    for (let n = 0; n < count; n++) {
      const seq = ++this.seq;
      // Nanosecond steps that give every kind of fraction: ...123456789, ...000000001, ...100000000.
      const ns = seq === 1 ? BASE_NS : seq === 2 ? BASE_NS - 123_456_788n : seq === 3 ? BASE_NS - 23_456_789n : BASE_NS + BigInt(seq) * 1_000_003n;
      const audit = seq % 4 === 0;
      const severity = audit ? 'INFO' : seq % 10 === 7 ? 'ERROR' : seq % 10 === 3 ? 'WARN' : 'INFO';
      const record: Written = {
        session: this.session, seq, ns,
        event: audit ? 'input' : severity === 'ERROR' ? 'error' : severity === 'WARN' ? 'warning' : 'output',
        category: audit ? 'audit' : 'system',
        tier: audit ? 'full' : severity === 'INFO' ? 'full' : 'signals',
        severity,
        // Quotes, a backslash, a newline and non-ASCII text survive as the body.
        body: `${this.session} #${seq} "quoted" \\ tab\there\nnext line ünïcødé`,
        // A caller attribute named like a line key must not replace that key.
        attrs: { stream: audit ? 'stdin' : 'stdout', n: seq, 'x.dotted': 'yes', ...(seq % 50 === 1 ? { event: 'caller-value' } : {}) },
      };
      if (seq % 100 === 5) {
        record.traceId = createHash('md5').update(`${this.session}/${seq}`).digest('hex');
        record.spanId = record.traceId.slice(0, 16);
      }
      let line = `{"ts":${JSON.stringify(isoNanos(ns))},"seq":${seq},"session_id":${JSON.stringify(this.session)},"event":${JSON.stringify(record.event)},"category":"${record.category}","tier":"${record.tier}","severity":"${severity}","body":${JSON.stringify(record.body)},"attrs":${JSON.stringify(record.attrs)}`;
      if (record.traceId) line += `,"trace_id":"${record.traceId}","span_id":"${record.spanId}"`;
      if (audit) {
        this.chain = createHash('sha256').update(this.chain).update(line + '}').digest('hex');
        record.chain = this.chain;
        line += `,"chain":"${this.chain}"`;
      }
      lines[record.category] += line + '}\n';
      this.written.push(record);
    }
    for (const stream of ['system', 'audit'] as const) if (lines[stream]) appendFileSync(join(this.dir, `${stream}.jsonl`), lines[stream]);
  }

  /**
   * Rotates system.jsonl the way the library does: the active file is renamed to the next
   * numbered segment and a new active file starts; a moment later the segment is compressed
   * (into a temp file renamed to .gz) and the plain copy removed.
   */
  async rotateSystem(segment: number): Promise<void> {
    const plain = join(this.dir, `system.${String(segment).padStart(6, '0')}.jsonl`);
    renameSync(join(this.dir, 'system.jsonl'), plain);
    writeFileSync(join(this.dir, 'system.jsonl'), '', { mode: 0o600 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    writeFileSync(`${plain}.gz.tmp`, gzipSync(readFileSync(plain)), { mode: 0o600 });
    renameSync(`${plain}.gz.tmp`, `${plain}.gz`);
    unlinkSync(plain);
  }
}

/** Environment for the pull pipeline: our log root in, the file exporter out to `exportDir`, state in its own directory. */
function pullEnv(root: string, exportDir: string): Record<string, string> {
  return {
    OTELCOL_LOGS_RECEIVER: 'file_log/sessions',
    SESSION_LOGS_DIR: root,
    SESSION_EXPORT_DIR: exportDir,
    OTELCOL_STORAGE_DIR: tempDir('osl-otelcol-'),
    // The backend has nowhere to go here (its queue holds the records); a closed port on
    // loopback, never another host.
    LOGS_BACKEND_ENDPOINT: 'http://127.0.0.1:9',
    OTELCOL_BATCH_TIMEOUT: '100ms',
  };
}

/** Sessions written only to know the Collector has caught up; not counted. */
const SENTINEL = 'sentinel-';

const keyOf = (session: unknown, seq: unknown): string => `${session}/${seq}`;

/** Every exported record by session/seq; fails on a record that arrived twice. */
function byKey(exported: ExportedRecord[]): Map<string, ExportedRecord> {
  const map = new Map<string, ExportedRecord>();
  for (const record of exported) {
    const key = keyOf(record.resource['session.id'], record.attributes['session.log.seq']);
    assert.ok(!map.has(key), `${key} arrived twice`);
    map.set(key, record);
  }
  return map;
}

describe('the real Collector tails our JSONL files (otel-collector.yaml, pull)', function () {
  this.timeout(60_000);
  let collector: RunningCollector | undefined;
  before(function () {
    this.timeout(900_000); // the first build of the Collector takes minutes
    collectorBinary(); // fails (never skips) when the Collector cannot be had
  });
  afterEach(async () => {
    await collector?.kill('SIGKILL');
    collector = undefined;
  });

  /** Stops the Collector (SIGTERM flushes its batches and files) and reads what it wrote, sentinels left out. */
  async function stopAndRead(exportDir: string): Promise<ExportedRecord[]> {
    await collector!.stop();
    const code = collector!.process.exitCode;
    collector = undefined;
    assert.equal(code, 0, 'the Collector shut down cleanly');
    return readExported(exportDir).filter((r) => !String(r.resource['session.id']).startsWith(SENTINEL));
  }

  /**
   * Waits until the Collector has read what it is going to read. Two sentinel sessions, the
   * second written once the first arrived: the first was read by some poll P (matched at its
   * start), the second by a later one, which starts only after P handed on everything it
   * read; the file exporter writes as it receives. So once the second has arrived, so has
   * every line read up to P, the lines a restart would wrongly read again included.
   */
  async function settled(root: string, exportDir: string): Promise<void> {
    for (let i = 0; i < 2; i++) {
      const sentinel = new SessionWriter(root, `${SENTINEL}${++sentinels}`);
      sentinel.write(1);
      await waitForExported(exportDir, (records) => records.some((r) => r.resource['session.id'] === sentinel.session));
    }
  }
  let sentinels = 0;

  it('1,000 records over 3 sessions, written before and while it runs and across a rotation, arrive exactly once with session.id and ts', async () => {
    const root = tempDir();
    const exportDir = tempDir();
    const sessions = ['s-1', 'build.42', 'agent_7'].map((id) => new SessionWriter(root, id));
    for (const s of sessions) s.write(200); // there before the Collector starts (start_at: beginning)
    collector = await startCollector(pullEnv(root, exportDir));
    await waitForExported(exportDir, (records) => records.length >= 600);
    for (const s of sessions) s.write(100); // tailed while it runs
    await waitForExported(exportDir, (records) => records.length >= 900);
    // A rotation with lines the Collector has not read yet: written, renamed away and
    // compressed within one poll interval (200 ms).
    sessions[0]!.write(50);
    await sessions[0]!.rotateSystem(1);
    sessions[0]!.write(50); // into the new active file
    const written = sessions.flatMap((s) => s.written);
    assert.equal(written.length, 1000);
    await waitForExported(exportDir, (records) => records.length >= written.length);
    await settled(root, exportDir);
    const exported = await stopAndRead(exportDir);

    assert.equal(exported.length, written.length, `exactly ${written.length} records, got ${exported.length}`);
    const got = byKey(exported);
    for (const w of written) {
      const r = got.get(keyOf(w.session, w.seq));
      assert.ok(r, `${w.session} seq ${w.seq} missing`);
      const where = `${w.session} seq ${w.seq}`;
      assert.equal(r.file, `${w.session}.jsonl`, `${where}: in its session's file`);
      assert.equal(r.resource['session.id'], w.session, `${where}: session.id on the resource`);
      assert.equal(r.resource['service.name'], 'otel-session-logs', `${where}: service.name`);
      assert.equal(r.timeUnixNano, w.ns.toString(), `${where}: timestamp from ts, to the nanosecond`);
      assert.equal(r.body, w.body, `${where}: body`);
      assert.equal(r.severityText, w.severity, `${where}: severity text`);
      assert.equal(r.severityNumber, SEVERITY_NUMBER[w.severity], `${where}: severity number`);
      assert.equal(r.attributes['event.name'], w.event, `${where}: event.name, as on the push path`);
      assert.equal(r.attributes['session.log.category'], w.category, `${where}: category`);
      assert.equal(r.attributes['session.log.tier'], w.tier, `${where}: tier`);
      assert.equal(r.attributes['session.log.chain'], w.chain, `${where}: the audit chain (audit lines only)`);
      // The caller's attributes, one level up, as the push path sends them.
      for (const [k, v] of Object.entries(w.attrs)) assert.equal(r.attributes[k], v, `${where}: attribute ${k}`);
      assert.equal(r.traceId, w.traceId, `${where}: trace id`);
      assert.equal(r.spanId, w.spanId, `${where}: span id`);
      // Moved, not copied: no raw line keys left over.
      for (const k of ['ts', 'seq', 'session_id', 'category', 'tier', 'severity', 'body', 'attrs', 'chain', 'trace_id', 'span_id']) {
        assert.ok(!(k in r.attributes), `${where}: leftover attribute ${k}`);
      }
    }
    // The rotation happened as planned: one compressed segment, a new active file.
    assert.deepEqual(readdirSync(join(root, 's-1')).sort(), ['audit.jsonl', 'system.000001.jsonl.gz', 'system.jsonl']);
  });

  it('more sessions than the file exporter keeps open (100): reopened session files are appended to, not emptied', async () => {
    const root = tempDir();
    const exportDir = tempDir();
    const sessions = Array.from({ length: 130 }, (_, i) => new SessionWriter(root, `many-${i}`));
    for (const s of sessions) s.write(3);
    collector = await startCollector(pullEnv(root, exportDir));
    await waitForExported(exportDir, (records) => records.length >= 390);
    // Every session again: 130 files through an LRU of 100 open files, so most are reopened.
    for (const s of sessions) s.write(3);
    await waitForExported(exportDir, (records) => records.length >= 780);
    await settled(root, exportDir);
    const exported = await stopAndRead(exportDir);
    assert.equal(exported.length, 780, `exactly 780 records, got ${exported.length}`);
    const got = byKey(exported);
    for (const s of sessions) {
      for (const w of s.written) assert.ok(got.has(keyOf(w.session, w.seq)), `${w.session} seq ${w.seq} missing`);
    }
    assert.equal(readdirSync(exportDir).filter((name) => !name.startsWith(SENTINEL)).length, 130, 'one file per session');
  });

  /** Every record written, once each, and nothing else. */
  function assertExactlyOnce(exported: ExportedRecord[], writers: SessionWriter[]): void {
    const written = writers.flatMap((w) => w.written);
    const got = byKey(exported);
    for (const w of written) assert.ok(got.has(keyOf(w.session, w.seq)), `${w.session} seq ${w.seq} missing`);
    assert.equal(exported.length, written.length, `exactly ${written.length} records, got ${exported.length}`);
  }

  it('lines written and rotated away (compressed) while the Collector is down (SIGKILL) are read from the segment when it is back, once', async () => {
    const root = tempDir();
    const exportDir = tempDir();
    const env = pullEnv(root, exportDir);
    const session = new SessionWriter(root, 'down-1');
    session.write(200);
    collector = await startCollector(env);
    await waitForExported(exportDir, (records) => records.length >= 200);
    await settled(root, exportDir);
    await collector.kill('SIGKILL');
    session.write(100); // never read before the rotation...
    await session.rotateSystem(1); // ...renamed away and compressed
    session.write(100); // into the new active file (and audit.jsonl, read on from its offset)
    collector = await startCollector(env);
    await waitForExported(exportDir, (records) => records.filter((r) => r.resource['session.id'] === 'down-1').length >= 400);
    await settled(root, exportDir);
    assertExactlyOnce(await stopAndRead(exportDir), [session]);
  });

  it('a restart sends nothing again: ended sessions and their compressed segments stay sent', async () => {
    const root = tempDir();
    const exportDir = tempDir();
    const env = pullEnv(root, exportDir);
    const sessions = ['ended-1', 'ended-2', 'ended-3'].map((id) => new SessionWriter(root, id));
    for (const s of sessions) {
      s.write(100);
      await s.rotateSystem(1);
      s.write(100);
    }
    collector = await startCollector(env);
    await waitForExported(exportDir, (records) => records.length >= 600);
    await settled(root, exportDir);
    assertExactlyOnce(await stopAndRead(exportDir), sessions);
    collector = await startCollector(env); // same storage: the read offsets survive
    await settled(root, exportDir);
    assertExactlyOnce(await stopAndRead(exportDir), sessions);
  });
});
