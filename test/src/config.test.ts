import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnvDirectives } from '../../src/config/envDirectives.ts';
import { parseSize } from '../../src/config/parseSize.ts';
import { resolveSettings } from '../../src/config/resolveSettings.ts';
import { createSessionLogging } from '../../src/index.ts';
import { tempDir } from '../support/sessionFiles.ts';

const dir = tempDir();
function tomlFile(body: string): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.toml`);
  writeFileSync(path, body);
  return path;
}

describe('configuration', () => {
  it('reads every key of [session_logging] with sizes like "10MB"', () => {
    const { config } = resolveSettings({
      env: {},
      configFile: tomlFile(`[session_logging]
enabled = true
dir = "${dir}/logs"
default_level = "prompts"
max_file_size = "256KB"
max_session_size = "1GB"
retention_days = 3
compression = "zstd"
cleanup_on_end = true
separate_audit_trail = false
redact = ["token=\\\\w+"]
durability = "all"
[session_logging.otlp]
enabled = true
endpoint = "http://127.0.0.1:4318/v1/logs"
headers = { authorization = "Bearer x" }
service_name = "svc"
`),
    });
    assert.deepEqual(config, {
      enabled: true, dir: `${dir}/logs`, defaultLevel: 'prompts', maxFileSize: 256 * 1024, maxSessionSize: 1024 ** 3,
      retentionDays: 3, compression: 'zstd', cleanupOnEnd: true, separateAuditTrail: false, redact: ['token=\\w+'], durability: 'all',
      otlp: { enabled: true, endpoint: 'http://127.0.0.1:4318/v1/logs', headers: { authorization: 'Bearer x' }, serviceName: 'svc' },
    });
  });

  it('parses sizes in binary units and refuses anything else', () => {
    assert.equal(parseSize('10MB'), 10 * 1024 * 1024);
    assert.equal(parseSize('1.5KB'), 1536);
    assert.equal(parseSize(4096), 4096);
    for (const bad of ['10XB', '-1MB', '0', 'MB', '', 1.5, -3]) assert.equal(parseSize(bad), undefined, String(bad));
  });

  describe('a bad value names the key, the value and what is allowed', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['unknown level', 'default_level = "loud"', /session_logging\.default_level = "loud" is not allowed; allowed: spawns, signals, prompts, full/],
      ['bad size', 'max_file_size = "10 parsecs"', /session_logging\.max_file_size = "10 parsecs" is not a size; allowed: .*"10MB"/],
      ['unknown key', 'max_files = 3', /unknown key session_logging\.max_files; allowed: keys enabled, dir/],
      ['unknown table', '[other]\nx = 1', /unknown key other; allowed: the tables \[session_logging\] and \[session_server\]/],
      ['bad compression', 'compression = "lz4"', /session_logging\.compression = "lz4" is not allowed; allowed: gzip, zstd, none/],
      ['bad durability', 'durability = "some"', /session_logging\.durability = "some" is not allowed; allowed: none, audit, all/],
      ['wrong type', 'retention_days = "seven"', /session_logging\.retention_days = "seven" is not allowed; allowed: a number of days/],
      ['negative retention', 'retention_days = -1', /session_logging\.retention_days = -1 is not allowed/],
      ['bad regex', 'redact = ["("]', /session_logging\.redact\[0\] = "\(" is not a valid regular expression/],
      ['bad otlp endpoint', '[session_logging.otlp]\nendpoint = "loki:3100"', /session_logging\.otlp\.endpoint = "loki:3100" is not allowed; allowed: an http/],
      ['cap below file size', 'max_file_size = "10MB"\nmax_session_size = "1MB"', /max_session_size \(1048576 bytes\) is smaller than max_file_size/],
    ];
    for (const [name, body, message] of cases) {
      it(name, () => {
        const table = body.startsWith('[') ? body : `[session_logging]\n${body}`;
        assert.throws(() => resolveSettings({ env: {}, configFile: tomlFile(table) }), message);
      });
    }
    it('not TOML at all', () => {
      assert.throws(() => resolveSettings({ env: {}, configFile: tomlFile('[session_logging\nx') }), /not valid TOML/);
    });
    it('a missing file', () => {
      assert.throws(() => resolveSettings({ env: {}, configFile: join(dir, 'nope.toml') }), /cannot read configuration file .*nope\.toml: ENOENT/);
    });
    it('an unknown option in code', () => {
      assert.throws(() => resolveSettings({ env: {}, ...({ levle: 'full' } as object) }), /unknown option levle/);
    });
  });

  describe('CCMUX_SESSION_LOG', () => {
    it('accepts a level or directives', () => {
      assert.deepEqual(parseEnvDirectives('full'), { defaultLevel: 'full', sessions: new Map() });
      const parsed = parseEnvDirectives('signals, abc123=full,s.2=spawns');
      assert.equal(parsed.defaultLevel, 'signals');
      assert.deepEqual([...parsed.sessions], [['abc123', 'full'], ['s.2', 'spawns']]);
    });
    const bad: Array<[string, RegExp]> = [
      ['loud', /unknown level "loud"/],
      ['signals,abc=loud', /unknown level "loud" for session abc/],
      ['signals,full', /more than one default level/],
      ['../x=full', /invalid session id "\.\.\/x"/],
      ['signals,,a=full', /empty directive/],
      ['a=full,a=spawns', /session a is given twice/],
    ];
    for (const [value, message] of bad) {
      it(`rejects ${JSON.stringify(value)}`, () => assert.throws(() => parseEnvDirectives(value), message));
    }
  });

  it('resolves a level: argument > env directive for the id > env default > file > built-in', () => {
    const file = tomlFile('[session_logging]\ndefault_level = "prompts"');
    const builtIn = resolveSettings({ env: {} });
    assert.equal(builtIn.levelFor('a'), 'signals');
    const fromFile = resolveSettings({ env: {}, configFile: file });
    assert.equal(fromFile.levelFor('a'), 'prompts');
    const withEnv = resolveSettings({ env: { CCMUX_SESSION_LOG: 'spawns,b=full' }, configFile: file });
    assert.equal(withEnv.levelFor('a'), 'spawns');
    assert.equal(withEnv.levelFor('b'), 'full');
    assert.equal(withEnv.levelFor('b', 'signals'), 'signals');
  });

  it('takes the directory from SESSION_LOGS_DIR unless given in code', () => {
    assert.equal(resolveSettings({ env: { SESSION_LOGS_DIR: '/tmp/x1' } }).config.dir, '/tmp/x1');
    assert.equal(resolveSettings({ env: { SESSION_LOGS_DIR: '/tmp/x1' }, dir: '/tmp/x2' }).config.dir, '/tmp/x2');
  });

  it('refuses bad session ids when opening', () => {
    const logging = createSessionLogging({ dir: join(dir, 'ids'), env: {} });
    for (const id of ['../x', 'a/b', '..', '.', 'a\0b', 'x'.repeat(129), '', '-lead']) {
      assert.throws(() => logging.open(id), /invalid session id/, JSON.stringify(id));
    }
    assert.doesNotThrow(() => logging.open('x'.repeat(128)));
    return logging.shutdown();
  });
});
