import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HELPER = new URL('./sessionFiles.ts', import.meta.url).href;

/** The test-process parents in the temp dir that belong to `pid`. */
function parentsOf(pid: number): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith(`osl-tests-${pid}-`));
}

describe('tempDir (test support)', () => {
  it('a killed test process leaves one directory, whatever it made; the next test process removes it', async () => {
    // A test process that makes 50 directories with files in them, then is killed before its exit hook runs.
    const child = spawn(process.execPath, ['--input-type=module', '-e', `
      import { writeFileSync } from 'node:fs';
      import { join } from 'node:path';
      const { tempDir } = await import(${JSON.stringify(HELPER)});
      for (let i = 0; i < 50; i++) writeFileSync(join(tempDir(), 'f'), 'x');
      process.stdout.write('made\\n');
      setInterval(() => {}, 1000);
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (data: Buffer) => data.toString().includes('made') && resolve());
      child.on('exit', (code) => reject(new Error(`the child exited (${code}) before making its directories`)));
    });
    const pid = child.pid!;
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const left = parentsOf(pid);
    assert.equal(left.length, 1, 'one parent directory left');
    assert.equal(readdirSync(join(tmpdir(), left[0]!)).length, 50, 'holding all it made');
    // The next test process's first tempDir() removes it.
    const next = spawnSync(process.execPath, ['--input-type=module', '-e', `const { tempDir } = await import(${JSON.stringify(HELPER)}); tempDir();`], { stdio: 'inherit' });
    assert.equal(next.status, 0);
    assert.equal(existsSync(join(tmpdir(), left[0]!)), false, 'removed by the next test process');
    assert.deepEqual(parentsOf(next.pid!), [], 'which removed its own at exit');
  });
});
