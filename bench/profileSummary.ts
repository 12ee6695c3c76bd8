// Where the time goes in a profile of one contender run:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/runContender.ts ours /tmp/out 1000000 16
//   node bench/profileSummary.ts /tmp/prof/CPU.*.cpuprofile [top]
// Prints self time by area of the code and the top functions; native frames (string
// encoding, hashing, system calls) are charged to the nearest JavaScript caller's area.
import { readFileSync } from 'node:fs';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

/** Areas, first match wins: [name, test on "function url"]. */
const AREAS: Array<[string, RegExp]> = [
  ['garbage collection', /^\(garbage collector\)/],
  ['idle (waiting for I/O)', /^\(idle\)/],
  ['audit chain (sha256)', /node:internal\/crypto|\bauditChain\.[jt]s/],
  ['line format', /\bformat\/formatLine\.[jt]s|\bformat\/formatTimestamp\.[jt]s|\bbench\/sameLine\.[jt]s/],
  ['write path (buffers, chunks, files)', /\bstorage\/|utf8Write|byteLength|writeBuffer|writeString|node:buffer|node:internal\/buffer|node:fs|sonic-boom/],
  ['facade and level check', /(^| )src\/|(^| )processors\/|@opentelemetry\/api\/|hrTime|node:internal\/perf/],
  ['OTel SDK record', /@opentelemetry\/sdk-logs|@opentelemetry\/core|@opentelemetry\/resources/],
  ['pino', /node_modules\/pino\//],
  ['the workload itself (bodies, attributes)', /bench\/workload\.[jt]s|bench\/runContender\.[jt]s/],
  ['contender glue', /bench\/contenders\//],
  ['module loading and start-up', /node:internal\/modules|amaro|wasm|bootstrap|compile|node_modules\/(ajv|smol-toml|fastify|commander)/],
];

/** Frames that stand for the VM's own work, not a function. */
const PSEUDO = new Set(['(garbage collector)', '(idle)', '(program)', '(root)']);

function describe(node: ProfileNode): string {
  return `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^file:\/\/.*?\/(?=(src|storage|format|processors|bench|node_modules)\/)/, '')}`;
}

export function summarise(profile: Profile, top = 20): string[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, time] of self) {
    const node = byId.get(id)!;
    let name = describe(node);
    let owner = node;
    // A native frame (no url) is charged to its nearest JavaScript caller.
    if (!PSEUDO.has(node.callFrame.functionName)) {
      for (let up = parent.get(id); owner.callFrame.url === '' && up !== undefined; up = parent.get(up)) owner = byId.get(up)!;
    }
    if (owner !== node) name += ` <- ${describe(owner)}`;
    const area = AREAS.find(([, test]) => test.test(name))?.[0] ?? 'other';
    areas.set(area, (areas.get(area) ?? 0) + time);
    functions.set(name, (functions.get(name) ?? 0) + time);
  }
  const line = (time: number, what: string) => `${((100 * time) / total).toFixed(1).padStart(5)}%  ${(time / 1000).toFixed(0).padStart(6)} ms  ${what}`;
  return [
    `sampled: ${(total / 1000).toFixed(0)} ms`,
    ...[...areas].sort((a, b) => b[1] - a[1]).map(([area, time]) => line(time, area)),
    '',
    `top ${top} functions (self time):`,
    ...[...functions].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, time]) => line(time, name)),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [path, top] = process.argv.slice(2);
  if (!path) {
    console.error('usage: profileSummary.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  console.log(summarise(JSON.parse(readFileSync(path, 'utf8')) as Profile, Number(top ?? 20)).join('\n'));
}
