// Summarizes a V8 .cpuprofile (BENCH_PROFILE=dir npm run bench): self time by function and by
// package, so "where does a request's JavaScript go" has a number next to each answer.
import { readFileSync } from 'node:fs';

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number };
const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node bench/profile-summary.ts <file.cpuprofile> [top]\n');
  process.exit(2);
}
const top = Number(process.argv[3] ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[] };
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const hits = new Map<number, number>();
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
const total = profile.samples.length;
const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
for (const [id, count] of hits) {
  const frame = byId.get(id)?.callFrame;
  if (!frame) continue;
  const where = frame.url.replace(/^file:\/\/.*?\/(node_modules\/)?/, '');
  const pkg = frame.url.includes('node_modules/')
    ? (/node_modules\/((@[^/]+\/)?[^/]+)/.exec(frame.url)?.[1] ?? 'node_modules')
    : frame.url.startsWith('node:') || frame.url === ''
      ? `(${frame.functionName || 'node/native'})`
      : 'edify';
  const name = `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + count);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + count);
}
const print = (title: string, map: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`);
  for (const [name, count] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((100 * count) / total).toFixed(1).padStart(5)}%  ${name}\n`);
  }
};
print('self time by package', byPackage);
print('self time by function', byFunction);
