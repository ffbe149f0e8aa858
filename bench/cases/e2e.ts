/**
 * Benchmarks 12 and 18, over the library's memory store and `defineLoop`.
 *
 * - `store` (12): K resources of ~1.3 KB in the memory store, bytes per key against a
 *   `Map<key, JSON.parse(json)>` of the same objects built in the same process; the heap a relist
 *   holds at its peak (the `list()` result and a watch replay buffered by its subscriber) against the
 *   steady state; and the heap a converged loop over the store adds per key;
 * - `nochange` (18): K resources, a converged loop, then M spec writes whose new spec the world
 *   already has (desired = current: a label changes, the spec does not): each pass reads, diffs
 *   (fast-deep-equal on the spec against an equal copy) and converges. `rounds` times: the M writes
 *   alone, then the same writes with a fresh loop running (started, drained and warmed outside the
 *   measured window, stopped after it). Framework CPU per event = median over the rounds of (CPU with
 *   the loop − CPU alone) / M. The pass's own fast-deep-equal is also measured alone (M calls at the
 *   start of every round, median of the rounds), so the library's share can be told from the user
 *   code it runs. Both loop styles: `reconcile` (Halo) and the four phases; `conditions: false` turns
 *   the status conditions off.
 */
import equal from 'fast-deep-equal';
import type { LoopContext, ReconcileRequest, Resource } from 'rx-reconcile';
import { heapUsed, keepAlive, median, nextMacrotask, readParams, runCase, within } from '../lib/util.js';
import { makeMetadataInput, makeSpec, makeStatus, type BenchSpec, type BenchStatus } from '../lib/resource.js';
import { prng } from '../lib/workload.js';

const p = readParams({ what: 'store' as 'store' | 'nochange', K: 100_000, M: 50_000, workers: 16, style: 'reconcile' as 'reconcile' | 'phases' | 'none', conditions: true, rounds: 3, seed: 13 });
const kind = 'Service';

runCase(async () => (p.what === 'store' ? storeMemory() : noChange()));

async function storeMemory() {
  const lib = await import('rx-reconcile');
  const h0 = heapUsed();
  const store = lib.createMemoryStore();
  for (let i = 0; i < p.K; i++) {
    await store.create<BenchSpec, BenchStatus>(kind, { metadata: makeMetadataInput(i), spec: makeSpec(i), status: makeStatus(1) });
  }
  const h1 = heapUsed();
  // Baseline: the same objects as decoded watch events would be held by a plain cache.
  const cache = new Map<string, unknown>();
  for (let i = 0; i < p.K; i++) {
    const key = [`ns-${i % 100}`, '/', `obj-${i}`].join('');
    const json = JSON.stringify(await store.get(kind, key));
    cache.set(key, JSON.parse(json));
  }
  const h2 = heapUsed();
  // The same objects copied with structuredClone (as the store copies its inputs), for comparison.
  const clones = new Map<string, unknown>();
  for (const [key, value] of cache) clones.set(key, structuredClone(value));
  const h2c = heapUsed();
  keepAlive(clones);
  // A relist: the list, and a watch replay buffered by its subscriber.
  const list = await store.list(kind);
  const replay: unknown[] = [];
  const sub = store.watch(kind).subscribe((event) => replay.push(event));
  await nextMacrotask();
  const h3 = heapUsed();
  keepAlive(list, replay, cache);
  sub.unsubscribe();
  list.length = 0;
  replay.length = 0;
  cache.clear();
  clones.clear();
  const h4 = heapUsed();
  // A converged loop over the store: what it retains is the heap while it runs minus the heap once it
  // is stopped and dropped (its first passes may also write status, which grows the store itself).
  let loop: ReturnType<typeof lib.defineLoop> | undefined = lib.defineLoop<BenchSpec, BenchStatus>({
    name: 'bench-memory',
    store,
    kind,
    workers: p.workers,
    reconcile: () => undefined,
  });
  await within(loop.whenIdle(), 120_000);
  await nextMacrotask();
  const h5 = heapUsed();
  const passes = loop.snapshot().counters.passes;
  await loop.stop();
  loop = undefined;
  await nextMacrotask();
  const h6 = heapUsed();
  keepAlive(store);
  const storeBytes = (h1 - h0) / p.K;
  const relistBytes = (h3 - h2c) / p.K;
  return {
    metrics: {
      K: p.K,
      storeBytesPerKey: storeBytes,
      mapParsedBytesPerKey: (h2 - h1) / p.K,
      mapClonedBytesPerKey: (h2c - h2) / p.K,
      relistBytesPerKey: relistBytes,
      relistPeakRatio: (storeBytes + relistBytes) / storeBytes,
      loopBytesPerKey: (h5 - h6) / p.K,
      storeGrowthByLoopPerKey: (h6 - h4) / p.K,
      loopPasses: passes,
    },
    violations: { overlaps: 0, stale: 0, overLimit: 0, coalescing: 0, other: passes >= p.K ? 0 : 1 },
  };
}

async function noChange() {
  const lib = await import('rx-reconcile');
  const store = lib.createMemoryStore();
  const keys: string[] = [];
  /** The "world": what the loop would find when it observes a key. */
  const world = new Map<string, BenchSpec>();
  for (let i = 0; i < p.K; i++) {
    const r = await store.create<BenchSpec, BenchStatus>(kind, { metadata: makeMetadataInput(i), spec: makeSpec(i), status: makeStatus(1) });
    const key = `${r.metadata.namespace}/${r.metadata.name}`;
    keys.push(key);
    world.set(key, structuredClone(makeSpec(i)));
  }
  let round = 0;
  const rnd = prng(p.seed);
  /**
   * M metadata writes (a label changes; spec and generation stay): each is a watch event for an
   * object whose desired state the world already has. The latest version is read before each write,
   * since the loop may write the status.
   */
  const writes = async (): Promise<void> => {
    round++;
    for (let m = 0; m < p.M; m++) {
      const i = Math.floor(rnd() * p.K);
      const current = (await store.get<BenchSpec, BenchStatus>(kind, keys[i]!))!;
      await store.update({ ...current, metadata: { ...current.metadata, labels: { ...current.metadata.labels, round: `${round}-${m}` } } });
      if (m % 1000 === 999) await nextMacrotask();
    }
  };
  const cpu = (): number => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };

  let corrections = 0;
  /** `none`: the method check: the same rounds with no loop at all (the difference should be ~0). */
  const noLoop = { whenIdle: async () => {}, snapshot: () => ({ counters: { passes: 0 } }), stop: async () => {} };
  // The user's functions are made once and shared by every round's loop, as an app keeps its
  // reconcile function: a new function per round would let V8 drop, once the last round's loop is
  // collected, the optimised library code that inlined it, and recompile it inside the window.
  const reconcile = async (request: ReconcileRequest, ctx: LoopContext<BenchSpec, BenchStatus>): Promise<undefined> => {
    const desired = await ctx.get();
    const current = world.get(request.key);
    if (desired !== undefined && !equal(desired.spec, current)) {
      corrections++;
      world.set(request.key, desired.spec);
    }
    return undefined;
  };
  const observe = (key: string): BenchSpec | undefined => world.get(key);
  const compare = (desired: Resource<BenchSpec, BenchStatus> | undefined, current: BenchSpec | undefined, key: string) =>
    desired !== undefined && !equal(desired.spec, current) ? [{ action: 'update' as const, target: key, value: desired.spec }] : [];
  const correct = (correction: { target: string; value?: BenchSpec | undefined }): void => {
    corrections++;
    if (correction.value !== undefined) world.set(correction.target, correction.value);
  };
  const makeLoop = () =>
    p.style === 'none'
      ? noLoop
      : p.style === 'reconcile'
      ? lib.defineLoop<BenchSpec, BenchStatus>({ name: 'bench-nochange', store, kind, workers: p.workers, conditions: p.conditions, reconcile })
      : lib.defineLoop<BenchSpec, BenchStatus, BenchSpec | undefined, BenchSpec>({
          name: 'bench-nochange-phases',
          store,
          kind,
          workers: p.workers,
          conditions: p.conditions,
          observe,
          compare,
          correct,
        });

  // Rounds alternate: the writes alone, then the same writes with a fresh loop running (started and
  // warmed outside the measured window, stopped after it). The figure is the median difference.
  await writes(); // warm the writes up
  const aloneUs: number[] = [];
  const withLoopUs: number[] = [];
  let passes = 0;
  let warmPasses = 0;
  let allIdle = true;
  // The pass's own diff (user code, inside the figure): fast-deep-equal of the stored spec against
  // the world's equal copy, over the same number of random keys — measured in every round, so that
  // one slow moment of the machine does not move the library's share by itself.
  const specs = await Promise.all(keys.map(async (key) => (await store.get<BenchSpec, BenchStatus>(kind, key))!.spec));
  let same = 0;
  const diffSamples: number[] = [];
  const diffRound = (): void => {
    const d0 = cpu();
    for (let m = 0; m < p.M; m++) {
      const i = Math.floor(rnd() * p.K);
      if (equal(specs[i], world.get(keys[i]!))) same++;
    }
    diffSamples.push((cpu() - d0) / p.M);
  };
  for (let r = 0; r < p.rounds; r++) {
    diffRound();
    const a0 = cpu();
    await writes();
    aloneUs.push(cpu() - a0);
    const loop = makeLoop();
    allIdle = (await within(loop.whenIdle(), 120_000)) && allIdle;
    const passes0 = loop.snapshot().counters.passes;
    await writes(); // warm the loop's code up
    allIdle = (await within(loop.whenIdle(), 60_000)) && allIdle;
    const passes1 = loop.snapshot().counters.passes;
    const b0 = cpu();
    await writes();
    allIdle = (await within(loop.whenIdle(), 60_000)) && allIdle;
    withLoopUs.push(cpu() - b0);
    passes += loop.snapshot().counters.passes - passes1;
    warmPasses += passes1 - passes0;
    await loop.stop();
  }
  const diffs = withLoopUs.map((w, i) => w - (aloneUs[i] as number));

  const diffUs = median(diffSamples);
  const perPass = passes / p.rounds;
  return {
    metrics: {
      style: p.style,
      conditions: p.conditions,
      K: p.K,
      events: p.M,
      passes: perPass,
      warmPasses: warmPasses / p.rounds,
      writesAloneUsPerEvent: median(aloneUs) / p.M,
      withLoopUsPerEvent: median(withLoopUs) / p.M,
      frameworkUsPerEvent: median(diffs) / p.M,
      frameworkUsPerPass: median(diffs) / Math.max(1, perPass),
      specDiffUsPerEvent: diffUs,
      libraryOnlyUsPerEvent: median(diffs) / p.M - diffUs,
      corrections,
    },
    violations: { overlaps: 0, stale: 0, overLimit: 0, coalescing: 0, other: allIdle && corrections === 0 && same === p.M * p.rounds ? 0 : 1 },
  };
}
