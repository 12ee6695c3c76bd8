import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sessionLines } from './support/sessionFiles.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));

/** The ```ts blocks of the README, in order. */
function readmeSnippets(): string[] {
  const text = readFileSync(join(repo, 'README.md'), 'utf8');
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

describe('README', () => {
  it('starts with the two commands: run the main job, run the tests', () => {
    const lines = readFileSync(join(repo, 'README.md'), 'utf8').split('\n');
    const block = lines.slice(lines.indexOf('```sh') + 1, lines.indexOf('```sh') + 3).join('\n');
    assert.match(block, /^npm ci && npm start\b/m);
    assert.match(block, /^npm test\b/m);
  });

  for (const [index, title] of [[0, 'the facade'], [1, 'the plugin path']] as const) {
    it(`runs the snippet for ${title} as written`, () => {
      const snippet = readmeSnippets()[index]!;
      const dir = '/tmp/session-logs';
      rmSync(dir, { recursive: true, force: true });
      // Inside the repository, so 'otel-session-logs' resolves to this package by its exports.
      const file = join(repo, `.readme-snippet-${index}.ts`);
      writeFileSync(file, snippet);
      try {
        execFileSync(process.execPath, [file], { cwd: repo, stdio: 'pipe', env: { ...process.env, CCMUX_SESSION_LOG: '' } });
      } finally {
        rmSync(file, { force: true });
      }
      const lines = sessionLines(dir, 's-1');
      assert.ok(lines.length >= 1, 'the snippet wrote session s-1');
      if (index === 0) assert.deepEqual(lines.map((l) => l.event), ['session.created', 'command.started', 'log_level.changed', 'output', 'session.terminated']);
      // The plugin path records the level change too: SessionLevelProcessor.setLevel writes log_level.changed.
      else assert.deepEqual(lines.map((l) => l.event), ['process.exited', 'log_level.changed']);
      rmSync(dir, { recursive: true, force: true });
    });
  }
});
