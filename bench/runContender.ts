// One contender in its own process. Prints one JSON line.
//   node bench/runContender.ts <name> <dir> <records> <sessions>           flat out: {ms, cpu_ms, rss_mib}
//   node bench/runContender.ts <name> <dir> <records> <sessions> --paced  100,000 records/s for 2 s: {loop_p99_ms, rss_mib}
// Profile one: node --cpu-prof bench/runContender.ts ours /tmp/prof 1000000 16
import { mkdirSync } from 'node:fs';
import { CONTENDERS } from './contenders/index.ts';
import { peakRssMiB } from './peakRss.ts';
import { runPaced, runWorkload } from './workload.ts';

const [name, dir, records, sessions, mode] = process.argv.slice(2);
const load = CONTENDERS[name!];
if (load === undefined || !dir || !(Number(records) > 0) || !(Number(sessions) > 0)) {
  console.error(`usage: runContender.ts <${Object.keys(CONTENDERS).join('|')}> <dir> <records> <sessions> [--paced]`);
  process.exit(2);
}
const { create } = await load();
mkdirSync(dir, { recursive: true });
const options = { records: Number(records), sessions: Number(sessions) };
const contender = create(dir, options.sessions);
if (mode === '--paced') {
  const loop = await runPaced(contender, options);
  process.stdout.write(JSON.stringify({ loop_p99_ms: loop, rss_mib: peakRssMiB() }) + '\n');
} else {
  const { ms, cpu_ms } = await runWorkload(contender, options);
  process.stdout.write(JSON.stringify({ ms, cpu_ms, rss_mib: peakRssMiB() }) + '\n');
}
