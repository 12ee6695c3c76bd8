import assert from 'node:assert/strict';
import { SessionEnvironment, envProblem } from '../../../app/session/sessionEnvironment.ts';

const SERVER_ENV = {
  PATH: '/usr/bin:/bin', HOME: '/home/me', LANG: 'C.UTF-8', LC_ALL: 'C', TERM: 'xterm',
  SESSION_LOGS_TOKEN: 'server-token-1234', OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer abc', OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'x=y',
  GITHUB_TOKEN: 'ghp_x', AWS_SECRET_ACCESS_KEY: 'k', DB_PASSWORD: 'p', my_api_key: 'k', STRIPE_SECRET: 's', GOOGLE_APPLICATION_CREDENTIALS: '/c.json',
  OTEL_SERVICE_NAME: 'svc', INTERNAL_URL: 'http://x', OPENAI_API_KEY: 'sk-x', SIGNING_KEY: 'k', GPG_PASSPHRASE: 'p',
  DATABASE_URL: 'postgres://app:hunter2@db.example/app', PUBLIC_URL: 'https://user@example.com/x',
};

describe('SessionEnvironment: what a session inherits from the server', () => {
  it('inherit: everything but secrets (the server token, OTLP headers, token/secret/password/key/credential names, URLs with a password)', () => {
    const env = new SessionEnvironment('inherit', [], SERVER_ENV);
    assert.deepEqual(env.names.sort(), ['HOME', 'INTERNAL_URL', 'LANG', 'LC_ALL', 'OTEL_SERVICE_NAME', 'PATH', 'PUBLIC_URL', 'TERM']);
  });

  it('inherit with a deny list removes more names (globs)', () => {
    const env = new SessionEnvironment('inherit', ['INTERNAL_*', 'OTEL_*', 'PUBLIC_*'], SERVER_ENV);
    assert.deepEqual(env.names.sort(), ['HOME', 'LANG', 'LC_ALL', 'PATH', 'TERM']);
  });

  it('an allow-list passes only the names it lists (globs), even one that looks secret, minus the deny list', () => {
    const env = new SessionEnvironment(['PATH', 'LC_*', 'DB_PASSWORD', 'HOME'], ['HOME'], SERVER_ENV);
    assert.deepEqual(env.names.sort(), ['DB_PASSWORD', 'LC_ALL', 'PATH']);
  });

  it('sets the request\'s variables on top', () => {
    const env = new SessionEnvironment(['PATH'], [], SERVER_ENV);
    assert.deepEqual(env.for({ MY_TOKEN: 'the client chose to pass it', PATH: '/opt/bin' }), { PATH: '/opt/bin', MY_TOKEN: 'the client chose to pass it' });
  });

  it('refuses env names a shell cannot name and values with NUL', () => {
    assert.equal(envProblem({ LANG: 'C', _X1: '' }), undefined);
    assert.match(envProblem({ 'A=B': 'x' })!, /env key "A=B" is not a variable name/);
    assert.match(envProblem({ '9X': 'x' })!, /not a variable name/);
    assert.match(envProblem({ A: 'x\0' })!, /NUL/);
  });
});
