/**
 * Summarises a V8 CPU profile (`node --cpu-prof`): self time per function (name, file:line), the
 * top entries first, and the share of the profile each takes. Garbage collection, idle time and the
 * program itself are listed as V8 names them (`(garbage collector)`, `(idle)`, `(program)`).
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof … bench/cases/pass-path.ts --params='{"only":"library"}'
 *   node --conditions=rx-reconcile-source --no-warnings --loader ts-node/esm \
 *     bench/lib/profile-summary.ts /tmp/prof/<file>.cpuprofile [top=25] [filter-substring]
 *
 * With a filter, only samples whose stack holds a frame whose function name or URL contains it are
 * counted (e.g. `drain` or `queue.ts`), to read one phase of a run.
 */
import { readFileSync } from 'node:fs';

interface Node {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly Node[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const [file, topArg, filter] = process.argv.slice(2);
if (file === undefined) {
  console.error('usage: profile-summary.ts <file.cpuprofile> [top] [filter]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map<number, Node>();
const parent = new Map<number, number>();
for (const node of profile.nodes) {
  byId.set(node.id, node);
  for (const child of node.children ?? []) parent.set(child, node.id);
}
const label = (n: Node): string => {
  const url = n.callFrame.url.replace(/^file:\/\//, '').replace(/^.*?\/(src|operators|bench|node_modules)\//, '$1/');
  return `${n.callFrame.functionName || '(anonymous)'}${url ? ` ${url}:${n.callFrame.lineNumber + 1}` : ''}`;
};
const matches = (id: number): boolean => {
  if (filter === undefined) return true;
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const n = byId.get(at);
    if (n && (n.callFrame.functionName.includes(filter) || n.callFrame.url.includes(filter))) return true;
  }
  return false;
};
const self = new Map<string, number>();
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]!;
  const dt = profile.timeDeltas[i] ?? 0;
  const node = byId.get(id);
  if (node === undefined || !matches(id)) continue;
  const name = label(node);
  self.set(name, (self.get(name) ?? 0) + dt);
  total += dt;
}
const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
console.log(`total ${(total / 1000).toFixed(1)} ms${filter ? ` (stacks through "${filter}")` : ''}`);
for (const [name, us] of rows) console.log(`${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(1).padStart(8)} ms  ${name}`);
