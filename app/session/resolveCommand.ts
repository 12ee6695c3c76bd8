import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

async function executableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Why `command` cannot be started from `cwd` with `path` (the session's PATH), or undefined when
 * it can: checked before anything is written, so a refused create leaves nothing on disk.
 * A name without a slash is looked up in PATH, as the spawn itself will.
 */
export async function commandProblem(command: string, path: string | undefined, cwd: string): Promise<string | undefined> {
  if (command.includes('/')) {
    const file = isAbsolute(command) ? command : resolve(cwd, command);
    return (await executableFile(file)) ? undefined : `command ${JSON.stringify(command)} is not an executable file`;
  }
  for (const dir of (path ?? '').split(delimiter)) {
    if (await executableFile(join(dir === '' ? cwd : dir, command))) return undefined;
  }
  return `command ${JSON.stringify(command)} was not found (searched the session's PATH)`;
}

/** Why `cwd` cannot be a session's working directory, or undefined. */
export async function cwdProblem(cwd: string): Promise<string | undefined> {
  try {
    return (await stat(cwd)).isDirectory() ? undefined : `cwd ${JSON.stringify(cwd)} is not a directory`;
  } catch {
    return `cwd ${JSON.stringify(cwd)} does not exist`;
  }
}
