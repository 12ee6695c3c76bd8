import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { otelCore, otelResources, otelSdkLogs, re2js } from '../../src/lazyModules.ts';
import { tempDir } from '../support/sessionFiles.ts';

const INDEX = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

/** The packages a child process loads (module hooks see every import and require) while it runs `body` with the facade. */
function packagesLoaded(body: string): string[] {
  const hook = `import { registerHooks } from 'node:module';
registerHooks({ load(url, context, next) { const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(url); if (m) process.stderr.write('PACKAGE ' + m[1] + '\\n'); return next(url, context); } });`;
  const script = `import { createSessionLogging } from ${JSON.stringify(INDEX)};
const dir = ${JSON.stringify(tempDir())};
${body}`;
  const run = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(hook)}`, '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return [...new Set(run.stderr.split('\n').filter((l) => l.startsWith('PACKAGE ')).map((l) => l.slice(8)))].sort();
}

describe('lazy modules', () => {
  it('writing files only loads @opentelemetry/api and nothing else of the SDK, nor re2js', () => {
    const loaded = packagesLoaded(`const logging = createSessionLogging({ dir, env: {} });
const log = logging.open('s1');
log.emit('output', 'hello', { n: 1, nested: { a: [1] } }, { timestamp: new Date() });
log.setLevel('spawns');
await logging.shutdown();`);
    assert.deepEqual(loaded, ['@opentelemetry/api']);
  });

  it('a pipeline with a processor of the caller loads the SDK (the check above can see it)', () => {
    const loaded = packagesLoaded(`const logging = createSessionLogging({ dir, env: {}, processors: [{ onEmit() {}, forceFlush: async () => {}, shutdown: async () => {} }] });
logging.open('s1').emit('output', 'hello');
await logging.shutdown();`);
    for (const name of ['@opentelemetry/sdk-logs', '@opentelemetry/resources', '@opentelemetry/core']) assert.ok(loaded.includes(name), `${name} in ${loaded.join(', ')}`);
  });

  it('a redaction pattern loads re2js when the configuration is read', () => {
    const loaded = packagesLoaded(`const logging = createSessionLogging({ dir, env: {}, redact: ['secret-[0-9]+'] });
logging.open('s1').emit('input', 'my secret-42');
await logging.shutdown();`);
    assert.ok(loaded.includes('re2js'), loaded.join(', '));
  });

  it('gives the very module an import of the package gives: one instance, no CommonJS twin', async () => {
    assert.equal(otelSdkLogs().LoggerProvider, (await import('@opentelemetry/sdk-logs')).LoggerProvider);
    assert.equal(otelResources().resourceFromAttributes, (await import('@opentelemetry/resources')).resourceFromAttributes);
    assert.equal(otelCore().ExportResultCode, (await import('@opentelemetry/core')).ExportResultCode);
    assert.equal(re2js().RE2JS, (await import('re2js')).RE2JS);
  });
});
