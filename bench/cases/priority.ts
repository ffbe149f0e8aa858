/**
 * Benchmark 14, latency/priority-under-resync: K keys re-enqueued at once by a resync (low
 * priority), while fresh events for F other keys arrive at `freshRate`/s; each pass is T ms of
 * simulated I/O, N workers. Reported: p99 from enqueue to start of the fresh events, and the time
 * the resync takes to drain, against the same resync without fresh load (`fresh: false`).
 *
 * The hand-written baseline has one FIFO (no priorities): fresh events wait behind the backlog.
 */
import { KeyedQueue } from '../baselines/keyed-queue.js';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Checker, LatencyProbe } from '../lib/checker.js';
import { nowNs, readParams, runCase, summarizeNs, within } from '../lib/util.js';
import { makeKeys, prng } from '../lib/workload.js';

const p = readParams({
  impl: 'library' as 'library' | 'baseline',
  K: 100_000,
  F: 1000,
  freshRate: 1000,
  T: 1,
  N: 16,
  fresh: true,
  seed: 9,
});

runCase(async () => {
  const keys = makeKeys(p.K + p.F);
  const checker = new Checker(keys, p.N);
  const probe = new LatencyProbe(p.K + p.F);
  let resyncPasses = 0;
  let resyncDoneAt = 0;
  let finishResync!: () => void;
  const resyncDone = new Promise<void>((resolve) => {
    finishResync = resolve;
  });
  const work = (key: string): Promise<void> => {
    const i = checker.begin(key);
    if (i >= p.K) probe.start(i);
    return new Promise<void>((resolve) =>
      setTimeout(() => {
        checker.end(i);
        if (i < p.K && ++resyncPasses === p.K) {
          resyncDoneAt = nowNs();
          finishResync();
        }
        resolve();
      }, p.T),
    );
  };

  let pushResync: (key: string) => void;
  let pushFresh: (key: string) => void;
  let whenIdle: () => Promise<void>;
  if (p.impl === 'library') {
    const { libraryRequestQueue } = await import('../lib/library.js');
    const q = libraryRequestQueue((request) => work(request.key), p.N);
    pushResync = (key) => q.send({ key, reason: 'resync', priority: 'low' });
    pushFresh = (key) => q.send({ key, reason: 'watch', priority: 'high' });
    whenIdle = () => q.whenIdle();
  } else {
    const q = new KeyedQueue(work, p.N);
    pushResync = (key) => q.add(key);
    pushFresh = (key) => q.add(key);
    whenIdle = () => q.whenIdle();
  }

  // Event-loop stalls (GC, long synchronous work) bound what any queue can achieve: recorded too.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const t0 = nowNs();
  for (let i = 0; i < p.K; i++) {
    checker.event(i);
    pushResync(keys[i]!);
  }
  let freshSent = 0;
  let producer: NodeJS.Timeout | undefined;
  if (p.fresh) {
    const rnd = prng(p.seed);
    // The fresh rate counts from the end of the resync push (else the first tick would catch up
    // with a burst of the events "due" while the push ran, and measure that burst's queueing).
    const tFresh = nowNs();
    producer = setInterval(() => {
      const due = Math.floor(((nowNs() - tFresh) / 1e9) * p.freshRate);
      while (freshSent < due) {
        const i = p.K + Math.floor(rnd() * p.F);
        checker.event(i);
        probe.event(i, nowNs());
        pushFresh(keys[i]!);
        freshSent++;
      }
    }, 1);
  }
  const finished = await within(resyncDone, 600_000);
  if (producer !== undefined) clearInterval(producer);
  loopDelay.disable();
  const drained = await within(whenIdle(), 60_000);
  const fresh = summarizeNs(probe.samples);
  const v = checker.violations();
  if (!finished || !drained) v.other++;
  return {
    metrics: {
      impl: p.impl,
      K: p.K,
      fresh: p.fresh,
      freshEvents: freshSent,
      freshPasses: fresh.count,
      freshP50Ms: fresh.p50Us / 1000,
      freshP99Ms: fresh.p99Us / 1000,
      freshMaxMs: fresh.maxUs / 1000,
      resyncDrainMs: (resyncDoneAt - t0) / 1e6,
      idealDrainMs: (p.K * p.T) / p.N,
      eventLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      eventLoopDelayMaxMs: loopDelay.max / 1e6,
    },
    violations: v,
  };
});
