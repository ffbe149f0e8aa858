/**
 * Benchmark 6, scale/evict: the cost of removing one key from a queue that tracks K live keys, as K
 * grows (10k → 300k). C = 5,000 random keys are evicted.
 *
 * - library: idle keys hold no record at all (benchmark 10), so the K live keys are keys held in the
 *   delay heap by `Outcome.requeueAfter(1 h)`; a key is evicted by a trigger whose pass converges
 *   (its record leaves the heap and the map). Reported: µs per eviction, and the eviction overhead
 *   over a pass of a never-seen key (C fresh keys, same process, same K);
 * - naive group-coalesce: K live groups; a key is evicted by its `groupBy` duration selector.
 */
import { Subject } from 'rxjs';
import { evictablePipeline } from '../baselines/naive-rx.js';
import { Checker } from '../lib/checker.js';
import { median, nextMacrotask, nowNs, readParams, runCase } from '../lib/util.js';
import { makeKeys, prng } from '../lib/workload.js';

const p = readParams({ impl: 'library' as 'library' | 'group-coalesce', K: 100_000, C: 5000, N: 16, seed: 11, warmup: 20_000, rounds: 5 });

/** C distinct random indexes below K. */
function pick(count: number, below: number, seed: number): Int32Array {
  const rnd = prng(seed);
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(Math.floor(rnd() * below));
  return Int32Array.from(chosen);
}

runCase(async () => {
  const W = p.warmup;
  const keys = makeKeys(p.K + W + p.C);
  const checker = new Checker(keys, p.N);
  const extra = { other: 0 };

  if (p.impl === 'group-coalesce') {
    const source = new Subject<string>();
    const naive = evictablePipeline(source, checker.noop(), p.N);
    naive.pipeline.subscribe();
    for (let i = 0; i < p.K; i++) {
      checker.event(i);
      source.next(keys[i]!);
    }
    while (checker.inFlight > 0 || checker.passes < p.K) await nextMacrotask();
    const t0 = nowNs();
    for (const i of pick(p.C, p.K, p.seed)) naive.evict(keys[i]!);
    const t1 = nowNs();
    return {
      metrics: { impl: p.impl, K: p.K, usPerEviction: (t1 - t0) / 1000 / p.C, overheadUs: null, freshPassUs: null },
      violations: checker.violations(),
    };
  }

  const { libraryRequestQueue } = await import('../lib/library.js');
  const { Outcome } = await import('rx-reconcile');
  const later = Outcome.requeueAfter(3_600_000);
  /** 1 = the key's next pass parks it for an hour (live); 0 = its next pass converges (evicted). */
  const park = new Uint8Array(keys.length);
  let target = 0;
  let reached: (() => void) | undefined;
  const q = libraryRequestQueue(
    async (request) => {
      const i = checker.begin(request.key);
      await Promise.resolve();
      checker.end(i);
      if (checker.passes === target) reached?.();
      return park[i] === 1 ? later : undefined;
    },
    p.N,
  );
  const round = async (indexes: ArrayLike<number>): Promise<number> => {
    const t = nowNs();
    const want = checker.passes + indexes.length;
    for (let j = 0; j < indexes.length; j++) {
      const i = indexes[j]!;
      checker.event(i);
      q.push(keys[i]!);
    }
    if (checker.passes < want) {
      await new Promise<void>((resolve) => {
        target = want;
        reached = resolve;
      });
    }
    const ns = nowNs() - t;
    await nextMacrotask();
    return ns;
  };
  const range = (from: number, count: number): Int32Array => Int32Array.from({ length: count }, (_, j) => from + j);

  // K live keys, each held by a 1 h requeue.
  park.fill(1, 0, p.K);
  await round(range(0, p.K));
  const delayedBefore = q.control.snapshot().delayed.length;
  // Warm-up: never-seen keys (no record before, none after).
  await round(range(p.K, W));
  const freshKeys = range(p.K + W, p.C);
  const freshNs: number[] = [];
  const evictNs: number[] = [];
  for (let r = 0; r < p.rounds; r++) {
    const victims = pick(p.C, p.K, p.seed + r);
    freshNs.push(await round(freshKeys));
    for (const i of victims) park[i] = 0;
    evictNs.push(await round(victims));
    const evicted = q.control.snapshot().delayed.length;
    if (evicted !== p.K - p.C) extra.other++;
    for (const i of victims) park[i] = 1;
    await round(victims); // parked again for the next round
  }
  const delayedAfter = q.control.snapshot().delayed.length;
  const v = checker.violations();
  v.other += extra.other;
  if (delayedBefore !== p.K || delayedAfter !== p.K) v.other++;
  const fresh = median(freshNs) / 1000 / p.C;
  const evict = median(evictNs) / 1000 / p.C;
  return {
    metrics: {
      impl: p.impl,
      K: p.K,
      usPerEviction: evict,
      freshPassUs: fresh,
      overheadUs: evict - fresh,
      delayedBefore,
      delayedAfter,
    },
    violations: v,
  };
});
