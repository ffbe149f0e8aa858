/**
 * Benchmarks 16 and 17, on the ~1.3 KB resource of `lib/resource.ts`:
 *
 * - diff/equal (16): the library's equality (`statusEquals`, the deep equality its compare and
 *   status helpers use) against fast-deep-equal called directly: an equal deep clone, the same
 *   reference, a difference found early and one found late;
 * - status/write (17): building a 3-field status change with the library's `produceStatus`
 *   (immer, on a frozen base as handed out by the store) against a hand-written spread; and the
 *   number of writes a status change that changes nothing causes, through `store.updateStatus`
 *   and through a loop's `ctx.updateStatus` (goal: 0).
 *
 * Timings: median of 7 timed loops.
 */
import equal from 'fast-deep-equal';
import { median, nowNs, readParams, runCase, within } from '../lib/util.js';
import { makeMetadataInput, makeResource, makeSpec, makeStatus, type BenchStatus } from '../lib/resource.js';

const p = readParams({ iterations: 50_000, loops: 7, writes: 1000 });

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

let sink = 0;
type Loop = (fn: () => unknown, iterations: number) => number;
/**
 * A fresh copy of the timing loop for every measured operation: a single shared loop would see
 * many callbacks at one call site, go megamorphic and stop inlining, which distorts ns-scale
 * operations (the same-reference comparison) depending on the order of measurement.
 */
function freshLoop(): Loop {
  return new Function('fn', 'n', 'let c = 0; for (let i = 0; i < n; i++) if (fn()) c++; return c;') as Loop;
}
/** Times two operations in alternating loops (drift hits both alike); medians in ns/op. */
function timePair(a: () => unknown, b: () => unknown, iterations = p.iterations): [number, number] {
  const loopA = freshLoop();
  const loopB = freshLoop();
  const runsA: number[] = [];
  const runsB: number[] = [];
  for (let l = 0; l < p.loops; l++) {
    let t = nowNs();
    sink += loopA(a, iterations);
    runsA.push((nowNs() - t) / iterations);
    t = nowNs();
    sink += loopB(b, iterations);
    runsB.push((nowNs() - t) / iterations);
  }
  return [median(runsA), median(runsB)];
}

function time(fn: () => unknown, iterations = p.iterations): number {
  const loop = freshLoop();
  const runs: number[] = [];
  for (let l = 0; l < p.loops; l++) {
    const t = nowNs();
    sink += loop(fn, iterations);
    runs.push((nowNs() - t) / iterations);
  }
  return median(runs);
}

runCase(async () => {
  const lib = await import('rx-reconcile');
  // statusEquals and produceStatus are internal (the kernel's barrel), measured here all the same.
  const kernel = await import('../../src/index.js');
  const a = deepFreeze(makeResource(1));
  const clone = JSON.parse(JSON.stringify(a)) as typeof a;
  const early = JSON.parse(JSON.stringify(a)) as typeof a;
  early.status.conditions[1]!.status = 'False';
  const late = JSON.parse(JSON.stringify(a)) as typeof a;
  late.metadata['version'] = 'other';

  const [libEqualNs, fdeEqualNs] = timePair(() => kernel.statusEquals(a, clone), () => equal(a, clone));
  const [libSameRefNs, fdeSameRefNs] = timePair(() => kernel.statusEquals(a, a), () => equal(a, a), p.iterations * 20);
  const [libEarlyNs, fdeEarlyNs] = timePair(() => kernel.statusEquals(a, early), () => equal(a, early));
  const [libLateNs, fdeLateNs] = timePair(() => kernel.statusEquals(a, late), () => equal(a, late));
  const d = { fdeEqualNs, libEqualNs, fdeSameRefNs, libSameRefNs, fdeEarlyNs, libEarlyNs, fdeLateNs, libLateNs };

  // Status patch: 3 writes on a frozen status.
  const base = a.status;
  const spread = (s: BenchStatus): BenchStatus => ({
    ...s,
    readyReplicas: 2,
    phase: 'Degraded',
    conditions: [{ ...s.conditions[0]!, status: 'False' }, ...s.conditions.slice(1)],
  });
  const viaLibrary = (s: BenchStatus): BenchStatus =>
    kernel.produceStatus(s, (draft) => {
      draft.readyReplicas = 2;
      draft.phase = 'Degraded';
      draft.conditions[0]!.status = 'False';
    });
  const unchanged = (s: BenchStatus): BenchStatus =>
    kernel.produceStatus(s, (draft) => {
      draft.readyReplicas = 3;
      draft.phase = 'Running';
    });
  const patchIterations = Math.max(5_000, p.iterations / 5);
  const [libPatchNs, spreadPatchNs] = timePair(() => viaLibrary(base), () => spread(base), patchIterations);
  const s = {
    spreadPatchNs,
    libPatchNs,
    libUnchangedNs: time(() => unchanged(base), patchIterations),
    libUnchangedSameRef: unchanged(base) === base,
  };

  // Writes caused by status updates that change nothing.
  const store = lib.createMemoryStore();
  const kind = 'Service';
  const created: Awaited<ReturnType<typeof store.create<ReturnType<typeof makeSpec>, BenchStatus>>>[] = [];
  for (let i = 0; i < 100; i++) {
    created.push(await store.create<ReturnType<typeof makeSpec>, BenchStatus>(kind, { metadata: makeMetadataInput(i), spec: makeSpec(i), status: makeStatus(1) }));
  }
  let modified = 0;
  const watch = store.watch(kind).subscribe((event) => {
    if (!event.initial) modified++;
  });
  for (let w = 0; w < p.writes; w++) {
    const r = created[w % created.length]!;
    await store.updateStatus({ ...r, status: JSON.parse(JSON.stringify(r.status)) as BenchStatus });
  }
  const storeWrites = modified;
  const versionsKept = (await Promise.all(created.map((r) => store.get(kind, `${r.metadata.namespace}/${r.metadata.name}`)))).every(
    (r, i) => r?.metadata.version === created[i]!.metadata.version,
  );

  // Through a loop: every pass calls ctx.updateStatus with values already stored.
  modified = 0;
  const loop = lib.defineLoop<ReturnType<typeof makeSpec>, BenchStatus>({
    name: 'bench-status',
    store,
    kind,
    workers: 4,
    async reconcile(_request, ctx) {
      const r = await ctx.get();
      if (r) {
        await ctx.updateStatus(r, (draft) => {
          draft.phase = 'Running';
          draft.readyReplicas = 3;
        });
      }
      return undefined;
    },
  });
  // The first passes may write the library's own status bookkeeping once per resource (and the
  // write triggers one more pass): count from the converged state on.
  await within(loop.whenIdle(), 10_000);
  const firstPassWrites = modified;
  modified = 0;
  for (let round = 0; round < 5; round++) {
    for (const r of created) loop.trigger(`${r.metadata.namespace}/${r.metadata.name}`);
    await within(loop.whenIdle(), 10_000);
  }
  const loopWrites = modified;
  await loop.stop();
  watch.unsubscribe();
  return {
    metrics: { ...d, ...s, storeWrites, loopWrites, firstPassWrites, versionsKept, sink },
    violations: { overlaps: 0, stale: 0, overLimit: 0, coalescing: 0, other: 0 },
  };
});
