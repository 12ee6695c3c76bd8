/**
 * Every LogsQL query in docs/victorialogs.md, run against a real VictoriaLogs that got its
 * records from the library through the real Collector, and compared with the session files.
 * A query added to the page without an expectation here fails the test.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createSessionLogging } from '../../src/index.ts';
import { type RunningCollector, collectorBinary, startCollector } from '../support/otelcol.ts';
import { type Line, sessionLines, tempDir } from '../support/sessionFiles.ts';
import { waitForDelivery } from '../support/storeChecks.ts';
import { type Row, type RunningVictoriaLogs, startVictoriaLogs, victoriaLogsBinary } from '../support/victoriaLogs.ts';

const DOC = fileURLToPath(new URL('../../docs/victorialogs.md', import.meta.url));

/** The page's questions: `### heading` -> the ```logsql block under it. */
function documentedQueries(): Map<string, string> {
  const text = readFileSync(DOC, 'utf8');
  const queries = new Map<string, string>();
  for (const m of text.matchAll(/^### (.+)\n[\s\S]*?```logsql\n([\s\S]*?)```/gm)) queries.set(m[1]!.trim(), m[2]!.trim());
  return queries;
}

const SESSIONS = ['s-1', 's-2', 's-3'];

describe('docs/victorialogs.md: every query, against the real store', function () {
  this.timeout(120_000);
  let store: RunningVictoriaLogs;
  let collector: RunningCollector;
  let lines: Map<string, Line[]>;
  before(async function () {
    this.timeout(900_000);
    collectorBinary();
    victoriaLogsBinary();
    store = await startVictoriaLogs(tempDir('osl-vl-'));
    collector = await startCollector({ LOGS_BACKEND_ENDPOINT: store.otlpEndpoint, OTELCOL_STORAGE_DIR: tempDir('osl-otelcol-'), SESSION_EXPORT_DIR: tempDir('osl-export-'), OTELCOL_BATCH_TIMEOUT: '200ms' });
    const root = tempDir();
    const logging = createSessionLogging({ dir: root, env: {}, otlp: { enabled: true, endpoint: collector.endpoint }, forwarding: { scheduledDelayMillis: 50 } });
    // s-1: a shell session at full, commands and output, a level change by the API, an error.
    const s1 = logging.open('s-1', { level: 'full', metadata: { command: 'bash' } });
    s1.emit('process.started', 'bash started (pid 4242)', { pid: 4242 });
    for (const command of ['ls -la', 'make test', 'git status']) {
      s1.emit('input', `${command}\n`, { client: 'api' });
      s1.emit('command.started', command, { client: 'api' });
      s1.emit('output', `output of ${command}\n`, { stream: 'stdout' });
    }
    s1.emit('error', 'make: *** [test] Error 2', { code: 'exit_2' });
    s1.setLevel('prompts', { by: 'api' });
    s1.emit('output', 'not recorded at prompts\n', { stream: 'stdout' });
    s1.emit('command.started', 'exit', { client: 'api' });
    await s1.close();
    // s-2: errors and a warning at signals; s-3: lifecycle only, raised to signals by the API.
    const s2 = logging.open('s-2', { level: 'signals' });
    s2.emit('error', 'disk full', { code: 'ENOSPC' });
    s2.emit('warning', 'retrying');
    s2.emit('error', 'disk still full', { code: 'ENOSPC' });
    await s2.close();
    const s3 = logging.open('s-3', { level: 'spawns' });
    s3.setLevel('signals', { by: 'cli' });
    await s3.close();
    await logging.shutdown();
    lines = new Map(SESSIONS.map((id) => [id, sessionLines(root, id)]));
    await waitForDelivery(store, root, SESSIONS);
  });
  after(async () => {
    await collector?.stop();
    await store?.stop();
  });

  /** What each documented question must return, from the session files. */
  const expectations: Record<string, (rows: Row[]) => void> = {
    "One session's transcript, in seq order": (rows) => {
      assert.deepEqual(rows, lines.get('s-1')!.map((l) => ({ 'session.log.seq': String(l.seq), 'session.log.category': l.category, 'event.name': l.event, _msg: l.body })));
    },
    'The audit trail of one session (what users did)': (rows) => {
      const audit = lines.get('s-1')!.filter((l) => l.category === 'audit');
      assert.ok(audit.length >= 7);
      assert.deepEqual(rows, audit.map((l) => ({ 'session.log.seq': String(l.seq), 'event.name': l.event, _msg: l.body })));
    },
    'Level changes, in every session': (rows) => {
      const changes = SESSIONS.flatMap((id) => lines.get(id)!.filter((l) => l.event === 'log_level.changed')).sort((a, b) => a.ts.localeCompare(b.ts));
      assert.equal(changes.length, 2);
      assert.deepEqual(rows.map(({ _time, ...rest }) => rest), changes.map((l) => ({ 'session.id': l.session_id, from: l.attrs.from, to: l.attrs.to, by: l.attrs.by })));
    },
    'Errors across sessions': (rows) => {
      assert.deepEqual(rows, [{ 'session.id': 's-2', errors: '2' }, { 'session.id': 's-1', errors: '1' }]);
    },
    'Is anything missing or repeated?': (rows) => {
      const n = String(lines.get('s-1')!.length);
      assert.deepEqual(rows, [{ records: n, distinct: n, last_seq: n }]);
    },
  };

  it('documents exactly the questions tested here', () => {
    assert.deepEqual([...documentedQueries().keys()].sort(), Object.keys(expectations).sort());
  });

  for (const [question, expect] of Object.entries(expectations)) {
    it(`answers "${question}" as the session files do`, async () => {
      const query = documentedQueries().get(question);
      assert.ok(query, `docs/victorialogs.md has no query under "### ${question}"`);
      expect(await store.query(query));
    });
  }
});
