import type { Command } from 'commander';
import { register as registerServe } from './serve.ts';
import { register as registerSetLevel } from './setLevel.ts';
import { register as registerDemo } from './demo.ts';
import { register as registerLs } from './ls.ts';
import { register as registerShow } from './show.ts';
import { register as registerTail } from './tail.ts';
import { register as registerVerify } from './verify.ts';
import { register as registerPrune } from './prune.ts';

/** Each command lives in its own file and registers itself here. */
export function registerCommands(program: Command): void {
  registerServe(program);
  registerSetLevel(program);
  registerDemo(program);
  registerLs(program);
  registerShow(program);
  registerTail(program);
  registerVerify(program);
  registerPrune(program);
}
