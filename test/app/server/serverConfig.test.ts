import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readServerConfig, serverConfigFromTable } from '../../../app/server/serverConfig.ts';
import { cli } from '../../support/serveProcess.ts';
import { tempDir } from '../../support/sessionFiles.ts';

describe('[session_server] configuration: one schema, every bad value named', () => {
  it('reads every key into server options', () => {
    const dir = tempDir('osl-config-');
    const file = join(dir, 'server.toml');
    writeFileSync(file, `
[session_logging]
default_level = "prompts"

[session_server]
session_env = ["PATH", "HOME", "LC_*"]
session_env_deny = ["HOME"]
max_sessions = 10
terminate_grace_seconds = 2.5
allowed_hosts = ["sessions.example.com", "[fd00::1]"]
allowed_origins = ["https://dash.example.com"]
orphans = "kill"
redact_window = 1024
`);
    assert.deepEqual(readServerConfig(file), {
      sessionEnv: ['PATH', 'HOME', 'LC_*'], sessionEnvDeny: ['HOME'], maxSessions: 10, terminateGraceMs: 2500,
      allowedHosts: ['sessions.example.com', '[fd00::1]'], allowedOrigins: ['https://dash.example.com'], orphans: 'kill', redactWindow: 1024,
    });
    assert.deepEqual(readServerConfig(undefined), {});
    assert.deepEqual(serverConfigFromTable(undefined, 'f'), {});
    assert.deepEqual(serverConfigFromTable({ session_env: 'inherit' }, 'f'), { sessionEnv: 'inherit' });
  });

  it('refuses a bad value naming the file, the key, the value and what is allowed', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ session_env: 'clean' }, 's.toml: session_server.session_env = "clean" is not allowed; allowed: "inherit" (the server\'s environment minus secrets) or an array of variable names'],
      [{ session_env: ['PATH', 'A=B'] }, 'session_server.session_env = ["PATH","A=B"] is not allowed'],
      [{ max_sessions: 0 }, 'session_server.max_sessions = 0 is not allowed; allowed: an integer 1-65536'],
      [{ max_sessions: 2.5 }, 'session_server.max_sessions = 2.5 is not allowed'],
      [{ terminate_grace_seconds: -1 }, 'session_server.terminate_grace_seconds = -1 is not allowed; allowed: a number of seconds > 0 and <= 3600'],
      [{ allowed_hosts: ['evil/path'] }, 'session_server.allowed_hosts = ["evil/path"] is not allowed'],
      [{ allowed_origins: ['https://x.example/path'] }, 'session_server.allowed_origins = ["https://x.example/path"] is not allowed; allowed: an array of origins'],
      [{ orphans: 'ignore' }, 'session_server.orphans = "ignore" is not allowed; allowed: "report" or "kill"'],
      [{ redact_window: 10 }, 'session_server.redact_window = 10 is not allowed; allowed: an integer 64-1048576'],
      [{ max_session: 3 }, 's.toml: unknown key session_server.max_session; allowed: keys session_env, session_env_deny, max_sessions, terminate_grace_seconds, allowed_hosts, allowed_origins, orphans, redact_window'],
    ];
    for (const [table, message] of cases) {
      assert.throws(() => serverConfigFromTable(table, 's.toml'), (error: Error) => error.message.includes(message) || assert.fail(`${error.message}\n  expected: ${message}`));
    }
  });

  it('serve stops with exit 2 and the message on a bad [session_server] value', async () => {
    const dir = tempDir('osl-config-');
    const file = join(dir, 'bad.toml');
    writeFileSync(file, '[session_server]\nmax_sessions = "many"\n');
    const run = await cli(['serve', '--port', '0', '--dir', dir, '--config', file]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /bad\.toml: session_server\.max_sessions = "many" is not allowed; allowed: an integer 1-65536/);
  });
});
