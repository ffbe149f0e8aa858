/**
 * Language floors of this machine (not a goal): an awaited resolved promise, a call of an async
 * function that awaits once, and a Map get+set on 100k string keys. They tell how fast this machine
 * is, to read the absolute goals of the suite (which were set on a faster machine) in context.
 */
import { median, nowNs, readParams, runCase } from '../lib/util.js';
import { makeKeys } from '../lib/workload.js';

const p = readParams({ iterations: 2_000_000, loops: 7 });

async function once(): Promise<void> {
  await Promise.resolve();
}

runCase(async () => {
  const keys = makeKeys(100_000);
  const map = new Map<string, number>();
  const awaitNs: number[] = [];
  const asyncCallNs: number[] = [];
  const mapNs: number[] = [];
  for (let l = 0; l < p.loops; l++) {
    let t = nowNs();
    for (let i = 0; i < p.iterations; i++) await Promise.resolve();
    awaitNs.push((nowNs() - t) / p.iterations);
    t = nowNs();
    for (let i = 0; i < p.iterations; i++) await once();
    asyncCallNs.push((nowNs() - t) / p.iterations);
    t = nowNs();
    for (let i = 0; i < p.iterations; i++) {
      const k = keys[(i * 7919) % 100_000]!;
      map.set(k, (map.get(k) ?? 0) + 1);
    }
    mapNs.push((nowNs() - t) / p.iterations);
  }
  return {
    metrics: { awaitNs: median(awaitNs), asyncCallNs: median(asyncCallNs), mapGetSetNs: median(mapNs) },
    violations: { overlaps: 0, stale: 0, overLimit: 0, coalescing: 0, other: 0 },
  };
});
