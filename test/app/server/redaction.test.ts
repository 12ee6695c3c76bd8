import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMetadata, sessionLines } from '../../support/sessionFiles.ts';
import { NODE, type TestServer, startServer, waitForSession } from './serverHelpers.ts';

const SECRET = 'password=hunter5';
const redacted = (text: string) => text.replace(/password=\S+/g, '[REDACTED]');

/** Every byte the server wrote for a session, as text: no secret may be anywhere in it. */
function everything(t: TestServer, id: string): string {
  const dir = join(t.dir, id);
  return readdirSync(dir).map((name) => readFileSync(join(dir, name), 'utf8')).join('\n');
}

describe('session server: redaction across chunk boundaries, in input, output and the command line', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({}, { redact: ['password=\\S+'] });
  });
  after(async () => {
    await t.server.close();
  });

  it('never records a secret that input splits between two requests, at any split point', async () => {
    assert.equal((await t.call('POST', '/sessions', { id: 'typed', command: 'cat', log_level: 'full' })).status, 201);
    const inputs: string[] = [];
    for (let cut = 1; cut < SECRET.length; cut++) {
      inputs.push(`${cut}:${SECRET.slice(0, cut)}`, `${SECRET.slice(cut)}\n`);
    }
    let echoed = 0;
    for (const data of inputs) {
      assert.equal((await t.call('POST', '/sessions/typed/input', { data })).status, 202);
      echoed += Buffer.byteLength(data);
    }
    await waitForSession(t, 'typed', (s) => s.output_bytes.stdout === echoed);
    assert.equal((await t.call('DELETE', '/sessions/typed')).status, 200);
    assert.doesNotMatch(everything(t, 'typed'), /hunter|password=/);
    const lines = sessionLines(t.dir, 'typed');
    const joined = (event: string) => lines.filter((l) => l.event === event).map((l) => l.body).join('');
    assert.equal(joined('input'), redacted(inputs.join('')));
    assert.equal(joined('output'), redacted(inputs.join('')));
    assert.equal(lines.filter((l) => l.event === 'input').length, inputs.length, 'one input record per request');
  });

  it('never records a secret that the process writes in two pipe reads, at any split point', async () => {
    // Writes the next piece each time it reads a line, so every piece is its own pipe read.
    const pieces: string[] = [];
    for (let cut = 1; cut < SECRET.length; cut++) pieces.push(`<${cut} ${SECRET.slice(0, cut)}`, `${SECRET.slice(cut)} >\n`);
    // The pieces travel base64-encoded, so the command line itself holds no part of the secret.
    const encoded = Buffer.from(JSON.stringify(pieces)).toString('base64');
    const script = `const pieces = JSON.parse(Buffer.from('${encoded}', 'base64').toString()); let i = 0; process.stdin.on('data', () => { process.stdout.write(pieces[i++]); if (i === pieces.length) process.exit(0); });`;
    assert.equal((await t.call('POST', '/sessions', { id: 'printed', command: NODE, args: ['-e', script], log_level: 'full' })).status, 201);
    let written = 0;
    for (const piece of pieces) {
      assert.equal((await t.call('POST', '/sessions/printed/input', { data: 'go\n' })).status, 202);
      written += Buffer.byteLength(piece);
      await waitForSession(t, 'printed', (s) => s.output_bytes.stdout === written || s.status === 'exited');
    }
    await waitForSession(t, 'printed', (s) => s.status === 'exited');
    assert.doesNotMatch(everything(t, 'printed'), /hunter|password=/);
    const outputs = sessionLines(t.dir, 'printed').filter((l) => l.event === 'output');
    assert.equal(outputs.map((l) => l.body).join(''), redacted(pieces.join('')));
    assert.ok(outputs.length >= SECRET.length - 1, `the pieces arrived in separate reads (${outputs.length} records)`);
  });

  it('redacts the command line in session.created, process.started, metadata.json and the API', async () => {
    const created = await t.call('POST', '/sessions', { id: 'argv', command: 'sh', args: ['-c', 'exit 0', 'sh', `--${SECRET}`], log_level: 'full' });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.args, ['-c', 'exit 0', 'sh', '--[REDACTED]']);
    await waitForSession(t, 'argv', (s) => s.status === 'exited');
    assert.deepEqual((await t.call('GET', '/sessions/argv')).body.args, ['-c', 'exit 0', 'sh', '--[REDACTED]']);
    assert.doesNotMatch(everything(t, 'argv'), /hunter|password=/);
    assert.equal(readMetadata(t.dir, 'argv').attributes.args, JSON.stringify(['-c', 'exit 0', 'sh', '--[REDACTED]']));
    const lines = sessionLines(t.dir, 'argv');
    for (const event of ['session.created', 'process.started']) {
      assert.equal(lines.find((l) => l.event === event)!.attrs.args, JSON.stringify(['-c', 'exit 0', 'sh', '--[REDACTED]']), event);
    }
  });
});
