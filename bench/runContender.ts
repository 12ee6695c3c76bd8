// One contender in its own process: flat out into <dir>/flat, then paced into <dir>/paced.
// Prints one JSON line: {ms, rss_mib, loop_p99_ms}.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runPaced, runWorkload, type Contender } from './workload.ts';

const [name, dir, records, sessions] = process.argv.slice(2);
const module = (await import(`./contenders/${name}.ts`)) as { create(dir: string, sessions: number): Contender };
const options = { records: Number(records), sessions: Number(sessions) };
mkdirSync(join(dir!, 'flat'), { recursive: true });
mkdirSync(join(dir!, 'paced'), { recursive: true });
const flat = await runWorkload(module.create(join(dir!, 'flat'), options.sessions), options);
const loop = await runPaced(module.create(join(dir!, 'paced'), options.sessions), options);
process.stdout.write(JSON.stringify({ ms: flat.ms, rss_mib: process.resourceUsage().maxRSS / 1024, loop_p99_ms: loop }) + '\n');
