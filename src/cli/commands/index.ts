import type { Command } from 'commander';
import { register as registerServe } from './serve.ts';
import { register as registerSetLevel } from './setLevel.ts';
import { register as registerDemo } from './demo.ts';

/** Each command lives in its own file and registers itself here. */
export function registerCommands(program: Command): void {
  void program;
  registerServe(program);
  registerSetLevel(program);
  registerDemo(program);
}
