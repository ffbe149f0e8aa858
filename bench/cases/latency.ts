/**
 * Benchmark 13, latency/open-loop: K = 10k keys, N = 16, no-op pass; a producer on a setImmediate
 * loop offers a fixed rate of random-key events for D ms. Latency = from the event that made a key
 * pending to the start of the pass that covers it. "cold" = every sample; "warm" = samples whose
 * pending period began after the first `warmMs`.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Checker, LatencyProbe } from '../lib/checker.js';
import { makeQueue, type Impl } from '../lib/impls.js';
import { nextMacrotask, nowNs, readParams, runCase, summarizeNs, within } from '../lib/util.js';
import { makeKeys, prng } from '../lib/workload.js';

const p = readParams({ impl: 'library' as Impl, rate: 100_000, K: 10_000, N: 16, durationMs: 3000, warmMs: 1000, seed: 3 });

runCase(async () => {
  const keys = makeKeys(p.K);
  const checker = new Checker(keys, p.N);
  const probe = new LatencyProbe(p.K);
  const work = async (key: string): Promise<void> => {
    const i = checker.begin(key);
    probe.start(i);
    await Promise.resolve();
    checker.end(i);
  };
  const q = await makeQueue(p.impl, work, p.N, () => checker.inFlight > 0);
  const rnd = prng(p.seed);
  // Event-loop stalls (GC, long synchronous work) bound what any queue can achieve: recorded too.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const t0 = nowNs();
  const end = t0 + p.durationMs * 1e6;
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      let now = nowNs();
      if (now >= end) {
        resolve();
        return;
      }
      const due = Math.floor(((now - t0) / 1e9) * p.rate);
      while (sent < due) {
        const i = Math.floor(rnd() * p.K);
        checker.event(i);
        probe.event(i, now);
        q.push(keys[i]!);
        sent++;
        now = nowNs();
      }
      setImmediate(tick);
    };
    tick();
  });
  loopDelay.disable();
  const drained = await within(q.whenIdle(), 30_000);
  await nextMacrotask();
  const warmFrom = t0 + p.warmMs * 1e6;
  const warm: number[] = [];
  for (let s = 0; s < probe.samples.length; s++) if (probe.sampleAt[s]! >= warmFrom) warm.push(probe.samples[s]!);
  const cold = summarizeNs(probe.samples);
  const w = summarizeNs(warm);
  const v = checker.violations();
  if (!drained) v.other++;
  return {
    metrics: {
      impl: p.impl,
      rate: p.rate,
      achievedRate: sent / (p.durationMs / 1000),
      passes: checker.passes,
      coldP50Us: cold.p50Us,
      coldP99Us: cold.p99Us,
      warmP50Us: w.p50Us,
      warmP99Us: w.p99Us,
      warmP999Us: w.p999Us,
      warmMaxUs: w.maxUs,
      eventLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      eventLoopDelayMaxMs: loopDelay.max / 1e6,
    },
    violations: v,
  };
});
