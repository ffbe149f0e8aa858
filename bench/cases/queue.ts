/**
 * Benchmarks 1, 2, 3, 5, 8 (and the naive RxJS comparison rows): E events over K keys pushed in
 * `stream` mode (1,000 per macrotask) or `burst` mode (all at once), N workers, a no-op async
 * reconcile (`rec=noop`) or one that yields a macrotask (`rec=immediate`). Correctness counters on.
 *
 *   node --expose-gc --conditions=rx-reconcile-source --no-warnings --loader ts-node/esm \
 *     bench/cases/queue.ts --params='{"impl":"library","mode":"stream","E":1000000,"K":100000}'
 */
import { Checker } from '../lib/checker.js';
import { isNaive, makeQueue, type Impl } from '../lib/impls.js';
import { heapUsed, nowNs, readParams, runCase, within } from '../lib/util.js';
import { makeEvents, makeKeys, pushEvents, type Mode } from '../lib/workload.js';

const p = readParams({
  impl: 'baseline' as Impl,
  mode: 'stream' as Mode,
  rec: 'noop' as 'noop' | 'immediate',
  E: 1_000_000,
  K: 100_000,
  N: 16,
  seed: 42,
  /** Measure the heap retained after the drain (per key). */
  heap: false,
  /** Give up waiting for the drain after this long (naive shapes that starve). */
  idleTimeoutMs: 120_000,
});

runCase(async () => {
  const keys = makeKeys(p.K);
  const events = makeEvents(p.E, p.K, p.seed);
  const checker = new Checker(keys, p.N);
  const eventsPerKey = new Uint32Array(p.K);
  for (let i = 0; i < events.length; i++) eventsPerKey[events[i]!]!++;
  const work = p.rec === 'immediate' ? checker.immediate() : checker.noop();
  const q = await makeQueue(p.impl, work, p.N, () => checker.inFlight > 0);
  const h0 = p.heap ? heapUsed() : 0;

  const t0 = nowNs();
  let tPushed = 0;
  if (p.mode === 'burst') {
    for (let i = 0; i < events.length; i++) {
      const k = events[i]!;
      checker.event(k);
      q.push(keys[k]!);
    }
    tPushed = nowNs();
  } else {
    await pushEvents('stream', events, (k) => {
      checker.event(k);
      q.push(keys[k]!);
    });
    tPushed = nowNs();
  }
  const drained = await within(q.whenIdle(), p.idleTimeoutMs);
  const t1 = nowNs();
  const retainedPerKey = p.heap ? (heapUsed() - h0) / p.K : null;

  const v = checker.violations();
  // Exact coalescing: a pass needs at least one event; a burst gives K + at most N passes.
  let tooMany = 0;
  for (let i = 0; i < p.K; i++) if (checker.passesPerKey[i]! > eventsPerKey[i]!) tooMany++;
  v.coalescing = tooMany;
  if (p.mode === 'burst' && (checker.passes < p.K || checker.passes > p.K + p.N)) v.coalescing++;
  if (!drained) v.other++;
  const results = q.results();
  if (results >= 0 && results !== checker.passes) v.other++;

  const total = t1 - t0;
  return {
    metrics: {
      impl: p.impl,
      naive: isNaive(p.impl),
      nsPerEvent: total / p.E,
      eventsPerSec: p.E / (total / 1e9),
      enqueueNsPerEvent: p.mode === 'burst' ? (tPushed - t0) / p.E : null,
      drainNsPerPass: p.mode === 'burst' ? (t1 - tPushed) / Math.max(1, checker.passes) : null,
      passes: checker.passes,
      coalescing: p.E / Math.max(1, checker.passes),
      maxInFlight: checker.maxInFlight,
      overlaps: v.overlaps,
      stale: v.stale,
      neverRan: checker.neverRan(),
      drained,
      retainedBytesPerKey: retainedPerKey,
      results,
      totalMs: total / 1e6,
    },
    violations: v,
  };
});
