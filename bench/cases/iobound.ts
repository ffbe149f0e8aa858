/**
 * Benchmark 15, throughput/io-bound: every pass is T ms of simulated async I/O (a timer), N workers,
 * K keys pushed at once (saturating input). Passes finished inside a window after a warm-up give the
 * achieved rate, compared with N / T — both with the nominal T and with the I/O time actually
 * measured inside the passes (Node timers fire late by ~0.1–1 ms, whatever queue is used).
 */
import { Checker } from '../lib/checker.js';
import { makeQueue, type Impl } from '../lib/impls.js';
import { nowNs, readParams, runCase, sleep } from '../lib/util.js';
import { makeKeys } from '../lib/workload.js';

const p = readParams({ impl: 'library' as Impl, K: 100_000, N: 16, T: 2, warmMs: 500, windowMs: 3000 });

runCase(async () => {
  const keys = makeKeys(p.K);
  const checker = new Checker(keys, p.N);
  let ioNs = 0;
  let ioCount = 0;
  let counting = false;
  let finishedInWindow = 0;
  const work = (key: string): Promise<void> => {
    const i = checker.begin(key);
    const start = nowNs();
    return new Promise<void>((resolve) =>
      setTimeout(() => {
        checker.end(i);
        if (counting) {
          ioNs += nowNs() - start;
          ioCount++;
          finishedInWindow++;
        }
        resolve();
      }, p.T),
    );
  };
  const q = await makeQueue(p.impl, work, p.N, () => checker.inFlight > 0);
  for (let i = 0; i < p.K; i++) {
    checker.event(i);
    q.push(keys[i]!);
  }
  await sleep(p.warmMs);
  counting = true;
  const t0 = nowNs();
  await sleep(p.windowMs);
  counting = false;
  const seconds = (nowNs() - t0) / 1e9;
  const achieved = finishedInWindow / seconds;
  const measuredT = ioNs / Math.max(1, ioCount) / 1e6;
  const v = checker.violations();
  v.stale = 0; // not drained on purpose (K·T/N would take too long)
  return {
    metrics: {
      impl: p.impl,
      N: p.N,
      T: p.T,
      passesPerSec: achieved,
      nominalCapacity: (p.N * 1000) / p.T,
      efficiencyNominal: achieved / ((p.N * 1000) / p.T),
      measuredIoMs: measuredT,
      efficiency: achieved / ((p.N * 1000) / measuredT),
      maxInFlight: checker.maxInFlight,
    },
    violations: v,
  };
});
