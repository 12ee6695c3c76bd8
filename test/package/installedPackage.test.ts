import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../support/sessionFiles.ts';
import { oldestClaimedNode } from './oldestNode.ts';

/**
 * The package as a user gets it: `npm pack`, installed from the tarball into a new project
 * outside the repository, then run on the pinned Node and on the oldest Node that
 * `engines` claims. Inside the repository the tests run the .ts sources, so only this
 * sees what the tarball holds and how node_modules treats it.
 */
const repo = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
}

/** The project a user would make: our tarball, the OTel API, TypeScript for a typed consumer. */
function consumerProject(tarball: string): string {
  const project = tempDir('osl-consumer-');
  // Mirrors our own overrides: npm on an older Node would otherwise keep a second copy of the
  // OTel 3.x SDK packages for the OTLP exporter, which pins one exactly.
  const overrides = Object.fromEntries(Object.keys(pkg.overrides).map((name) => [name, pkg.dependencies[name]]));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module', overrides }, null, 2));
  npm(['install', '--no-audit', '--no-fund', '--prefer-offline', tarball,
    `@opentelemetry/api@${pkg.peerDependencies['@opentelemetry/api']}`,
    `typescript@${pkg.devDependencies.typescript}`, `@types/node@${pkg.devDependencies['@types/node']}`], project);
  return project;
}

/** Run `file` (a script for `node`, or an executable) with `node`'s directory first on PATH, as `npx` would. */
function run(node: string, file: string, args: string[], cwd: string): Run {
  const script = /\.(c|m)?(j|t)s$/.test(file);
  const result = spawnSync(script ? node : file, script ? [file, ...args] : args, {
    cwd, encoding: 'utf8', timeout: 60_000, env: { ...process.env, PATH: `${dirname(node)}:${process.env.PATH}`, CCMUX_SESSION_LOG: '' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function ok(result: Run, what: string): string {
  assert.equal(result.code, 0, `${what} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result.stdout;
}

/** Logs one session with rotation and zstd (Node >= 22.15), then reads and verifies it. */
const APP_BODY = `
const dir = process.argv[2];
const logging = createSessionLogging({ dir, env: {}, defaultLevel: 'full', maxFileSize: '4KB', compression: 'zstd' });
const log = logging.open('app-1', { metadata: { command: 'demo' } });
for (let i = 0; i < 200; i++) log.emit(i % 5 === 0 ? 'input' : 'output', 'line ' + i + ' ' + 'x'.repeat(40));
await log.close();
await logging.shutdown();
const seqs = [];
for await (const { record } of readSession(dir, 'app-1')) seqs.push(record.seq);
console.log(JSON.stringify({ seqs: seqs.length, last: seqs.at(-1), problems: await verifySession(dir, 'app-1') }));
`;
/** A processor of the app's own: records go through the OTel SDK, which the library loads only then. */
const SDK_APP_BODY = `
const dir = process.argv[2];
const seen = [];
const processor = { onEmit(record) { seen.push([record.eventName, record.resource.attributes['service.name']]); }, forceFlush: async () => {}, shutdown: async () => {} };
const logging = createSessionLogging({ dir, env: {}, defaultLevel: 'full', processors: [processor] });
const log = logging.open('app-2');
log.emit('output', 'through the SDK');
log.setLevel('spawns');
await logging.shutdown();
console.log(JSON.stringify(seen.filter(([event]) => event !== 'session.created')));
`;
const SDK_ESM_APP = `import { createSessionLogging } from 'otel-session-logs';\n${SDK_APP_BODY}`;
const SDK_CJS_APP = `const { createSessionLogging } = require('otel-session-logs');\n(async () => {${SDK_APP_BODY}})();`;
const ESM_APP = `import { createSessionLogging, readSession, verifySession } from 'otel-session-logs';\n${APP_BODY}`;
const CJS_APP = `const { createSessionLogging, readSession, verifySession } = require('otel-session-logs');\n(async () => {${APP_BODY}})();`;

/** Prints the packages that importing `entry` loaded (module.registerHooks sees ESM and CJS alike). */
const PROBE = `
const { registerHooks } = require('node:module');
const packages = new Set();
registerHooks({ resolve(specifier, context, next) {
  const result = next(specifier, context);
  const match = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(result.url);
  if (match) packages.add(match[1]);
  return result;
} });
require(process.argv[2]);
console.log(JSON.stringify([...packages].sort()));
`;

const STRICT_TSCONFIG = {
  compilerOptions: { strict: true, exactOptionalPropertyTypes: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2023', noEmit: true, types: ['node'] },
  include: ['typed.ts', 'typed.cts'],
};
const TYPED_CONSUMER = `
import { createSessionLogging, readSession, type Level, type SessionRecord } from 'otel-session-logs';
import { SessionFileProcessor, SessionLevelProcessor } from 'otel-session-logs/processors';
import { SessionJsonlExporter } from 'otel-session-logs/exporters';
import { SessionServer } from 'otel-session-logs/server';
import { LoggerProvider } from '@opentelemetry/sdk-logs';

const level: Level = 'prompts';
const logging = createSessionLogging({ dir: '/tmp/typed', defaultLevel: 'signals' });
const log = logging.open('s-1', { level, metadata: { command: 'bash' } });
log.emit('command.started', 'ls -la', { cwd: '/tmp' });
log.emit('deploy.finished', 'ok', {}, { tier: 'signals', category: 'audit' });
const levels = new SessionLevelProcessor({ processors: [new SessionFileProcessor({ dir: '/tmp/typed' })], levelFor: () => 'full' });
const provider = new LoggerProvider({ processors: [levels] });
const exporter: SessionJsonlExporter | undefined = undefined;
const first: SessionRecord | undefined = undefined;
export async function main(): Promise<string | undefined> {
  const server = await SessionServer.start({ logging, port: 0 });
  await server.close();
  for await (const item of readSession('/tmp/typed', 's-1', { stream: 'audit' })) return item.record.event;
  return [provider, exporter, first].length ? undefined : '';
}
`;

describe('the packed tarball, installed in a fresh project outside the repository', function () {
  this.timeout(600_000);
  let tarball: string;
  let entries: string[];
  let project: string;
  const runtimes: Array<{ name: string; node: string }> = [{ name: `pinned Node ${process.versions.node}`, node: process.execPath }];

  before(() => {
    const out = tempDir('osl-pack-');
    const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', out], repo))[0];
    tarball = join(out, packed.filename);
    entries = packed.files.map((file: { path: string }) => file.path);
    project = consumerProject(tarball);
    const oldest = oldestClaimedNode(pkg.engines.node);
    runtimes.push({ name: `Node ${oldest.version}, the oldest engines claims`, node: oldest.node });
  });

  it('holds only what users need: the build, the sources its maps point to, the bin, README and LICENSE', () => {
    const top = [...new Set(entries.map((path) => path.split('/')[0]!))].sort();
    assert.deepEqual(top, ['LICENSE', 'README.md', 'app', 'bin', 'dist', 'exporters', 'format', 'package.json', 'processors', 'reader', 'src', 'storage']);
    assert.deepEqual(entries.filter((path) => /(^|\/)test\/|\.test\.|^bench\/|^\.ci\//.test(path)), []);
    assert.deepEqual(entries.filter((path) => !path.startsWith('dist/') && path.includes('/') && !path.endsWith('.ts') && path !== 'bin/session-logs.js'), [], 'outside dist/ only sources and the bin');
    assert.match(readFileSync(join(project, 'node_modules/otel-session-logs/LICENSE'), 'utf8'), /Apache License\s+Version 2\.0, January 2004/);
    // Every export and the bin resolve to files in the tarball.
    const targets = [...Object.values(pkg.exports as Record<string, { types: string; default: string }>).flatMap((entry) => [entry.types, entry.default]), ...Object.values(pkg.bin as Record<string, string>)];
    for (const target of targets) assert.ok(entries.includes(target.replace(/^\.\//, '')), `${target} is in the tarball`);
  });

  for (const index of [0, 1]) {
    describe(`on ${index === 0 ? 'the pinned Node' : 'the oldest Node engines claims'}`, () => {
      const runtime = () => runtimes[index]!;

      it('an ESM app logs a session (rotated, zstd) and reads it back', () => {
        writeFileSync(join(project, 'esm-app.mjs'), ESM_APP);
        const dir = tempDir('osl-esm-');
        const result = JSON.parse(ok(run(runtime().node, 'esm-app.mjs', [dir], project), `${runtime().name}: esm-app.mjs`));
        assert.deepEqual(result, { seqs: 202, last: 202, problems: [] });
      });

      it('a require() app logs a session and reads it back', () => {
        writeFileSync(join(project, 'cjs-app.cjs'), CJS_APP);
        const dir = tempDir('osl-cjs-');
        const run1 = run(runtime().node, 'cjs-app.cjs', [dir], project);
        assert.deepEqual(JSON.parse(ok(run1, `${runtime().name}: cjs-app.cjs`)), { seqs: 202, last: 202, problems: [] });
        assert.doesNotMatch(run1.stderr, /Warning/, 'no experimental warning for require() of the package');
      });

      it('an app with a processor of its own gets SDK records: the SDK is loaded when needed, ESM and require()', () => {
        for (const [file, text] of [['sdk-app.mjs', SDK_ESM_APP], ['sdk-app.cjs', SDK_CJS_APP]] as const) {
          writeFileSync(join(project, file), text);
          const result = run(runtime().node, file, [tempDir('osl-sdk-')], project);
          assert.deepEqual(JSON.parse(ok(result, `${runtime().name}: ${file}`)), [['output', 'otel-session-logs'], ['log_level.changed', 'otel-session-logs'], ['session.terminated', 'otel-session-logs']], file);
          assert.doesNotMatch(result.stderr, /Warning/, `${file}: no warning for loading the SDK on first use`);
        }
      });

      it('the library entry loads only @opentelemetry/api, neither fastify nor commander; ./server does load fastify', () => {
        writeFileSync(join(project, 'probe.cjs'), PROBE);
        const library = JSON.parse(ok(run(runtime().node, 'probe.cjs', ['otel-session-logs'], project), 'probe of .')) as string[];
        // The SDK is loaded when a pipeline needs it (the SDK apps above), not by the entry.
        assert.deepEqual(library, ['@opentelemetry/api', 'otel-session-logs'], 'what the entry loads');
        assert.deepEqual(library.filter((name) => name === 'fastify' || name === 'commander'), []);
        for (const entry of ['otel-session-logs/processors', 'otel-session-logs/exporters']) {
          const loaded = JSON.parse(ok(run(runtime().node, 'probe.cjs', [entry], project), `probe of ${entry}`)) as string[];
          assert.deepEqual(loaded.filter((name) => name === 'fastify' || name === 'commander'), [], entry);
        }
        const server = JSON.parse(ok(run(runtime().node, 'probe.cjs', ['otel-session-logs/server'], project), 'probe of ./server')) as string[];
        assert.ok(server.includes('fastify'), 'the server entry loads fastify');
      });

      it('the installed session-logs bin runs: --help, show', () => {
        const bin = join(project, 'node_modules/.bin/session-logs');
        const help = ok(run(runtime().node, bin, ['--help'], project), 'session-logs --help');
        assert.match(help, /^Usage: session-logs \[options\] \[command\]/);
        writeFileSync(join(project, 'esm-app.mjs'), ESM_APP);
        const dir = tempDir('osl-bin-');
        ok(run(runtime().node, 'esm-app.mjs', [dir], project), 'esm-app.mjs');
        const shown = ok(run(runtime().node, bin, ['show', 'app-1', '--event', 'input', '--dir', dir], project), 'session-logs show');
        assert.equal(shown.trim().split('\n').length, 40);
        assert.match(shown, /^\s+2 \d\d:\d\d:\d\d\.\d{3} audit\s+input\s+"line 0 x+"/);
        const verified = ok(run(runtime().node, bin, ['verify', '--dir', dir], project), 'session-logs verify');
        assert.equal(verified.trim(), '1 session(s) checked, 0 problem(s)');
      });
    });
  }

  it('the installed demo writes to a new temp directory, not into node_modules, and ends with commands that run', () => {
    const bin = join(project, 'node_modules/.bin/session-logs');
    const demo = ok(run(process.execPath, bin, ['demo'], project), 'session-logs demo');
    const dir = /logs in (\S+)\n/.exec(demo)?.[1] ?? '';
    assert.ok(dir.startsWith(join(tmpdir(), 'session-logs-demo-')), `the demo wrote to ${dir}`);
    assert.equal(existsSync(join(project, 'node_modules/otel-session-logs/demo-logs')), false);
    const commands = demo.slice(demo.indexOf('Look at what it wrote:\n')).split('\n').slice(1).map((line) => line.trim()).filter(Boolean);
    assert.equal(commands.length, 5);
    for (const command of commands) {
      assert.match(command, /^npx session-logs /);
      ok(run(process.execPath, bin, command.replace(/^npx session-logs /, '').split(' '), project), command);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('a strict TypeScript consumer (strict, exactOptionalPropertyTypes, nodenext) type-checks with 0 errors, ESM and CommonJS', () => {
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(STRICT_TSCONFIG));
    writeFileSync(join(project, 'typed.ts'), TYPED_CONSUMER);
    writeFileSync(join(project, 'typed.cts'), TYPED_CONSUMER);
    const tsc = run(process.execPath, join(project, 'node_modules/typescript/lib/tsc.js'), ['-p', project], project);
    assert.equal(tsc.code, 0, `tsc found errors:\n${tsc.stdout}${tsc.stderr}`);
  });
});
