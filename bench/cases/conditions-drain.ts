/**
 * Benchmark 33 (issue 14, item 8): what the status conditions cost a drain of no-change passes. Two
 * memory stores hold the same K converged resources, one watched by a loop with conditions and one by
 * a loop with `conditions: false` (each pass reads its resource and changes nothing). Each round
 * triggers every key of one loop and waits for it to be idle, the two loops taking turns in one
 * process; reported: wall µs per pass of each (median of the rounds) and their ratio.
 *
 * Correctness counters: every round runs exactly K passes per loop (`coalescing` otherwise) and writes
 * nothing (`other` counts store revisions that moved during a round).
 */
import { createMemoryStore, defineLoop } from 'rx-reconcile';
import type { Loop, MemoryStore } from 'rx-reconcile';
import { makeMetadataInput, makeSpec, makeStatus } from '../lib/resource.js';
import type { BenchSpec, BenchStatus } from '../lib/resource.js';
import { median, noViolations, nowNs, readParams, runCase, within } from '../lib/util.js';

const p = readParams({ K: 100_000, rounds: 5, workers: 16 });
const kind = 'Service';

interface Side {
  readonly store: MemoryStore;
  readonly loop: Loop;
  readonly keys: readonly string[];
  passes: number;
}

async function side(conditions: boolean): Promise<Side> {
  const store = createMemoryStore();
  const keys: string[] = [];
  for (let i = 0; i < p.K; i++) {
    const r = await store.create<BenchSpec, BenchStatus>(kind, { metadata: makeMetadataInput(i), spec: makeSpec(i), status: makeStatus(1) });
    keys.push(`${r.metadata.namespace}/${r.metadata.name}`);
  }
  const s: Side = {
    store,
    keys,
    passes: 0,
    loop: defineLoop<BenchSpec, BenchStatus>({
      name: conditions ? 'with-conditions' : 'without-conditions',
      store,
      kind,
      workers: p.workers,
      conditions,
      async reconcile(_request, ctx) {
        s.passes += 1;
        await ctx.get();
      },
    }),
  };
  await s.loop.whenIdle(); // the first passes (they write the conditions once)
  return s;
}

/** ns per pass of one drain of every key. */
async function drain(s: Side): Promise<{ ns: number; passes: number; writes: number }> {
  const passes = s.passes;
  const revision = s.store.revision;
  const t0 = nowNs();
  for (const key of s.keys) s.loop.trigger(key);
  if (!(await within(s.loop.whenIdle(), 120_000))) throw new Error('the drain did not end within 120 s');
  const ns = (nowNs() - t0) / s.keys.length;
  return { ns, passes: s.passes - passes, writes: s.store.revision - revision };
}

runCase(async () => {
  const on = await side(true);
  const off = await side(false);
  const v = noViolations();
  const times = { on: [] as number[], off: [] as number[] };
  for (let r = 0; r < p.rounds; r++) {
    for (const [name, s] of [['on', on], ['off', off]] as const) {
      const d = await drain(s);
      times[name].push(d.ns);
      if (d.passes !== p.K) v.coalescing += 1;
      if (d.writes !== 0) v.other += 1;
    }
  }
  await on.loop.stop();
  await off.loop.stop();
  const usOn = median(times.on) / 1000;
  const usOff = median(times.off) / 1000;
  return {
    metrics: { K: p.K, rounds: p.rounds, usPerPassWithConditions: usOn, usPerPassWithoutConditions: usOff, ratio: usOn / usOff },
    violations: v,
  };
});
