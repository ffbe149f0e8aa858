/**
 * Benchmark 7, scale/teardown: stop a queue that tracks K keys (N passes in flight, the rest queued)
 * and time the teardown: the synchronous call, and until the next macrotask (deferred work counts).
 *
 * - library: `subscription.unsubscribe()` of the `workQueue` pipeline (the queue is disposed);
 * - baseline: the hand-written queue's `stop()`;
 * - naive group-coalesce: K groups reconciled once and idle, then `source.complete()` (each group
 *   completes and removes itself from shared arrays: O(live groups) each) or `unsubscribe()`.
 */
import { Subject } from 'rxjs';
import { naivePipeline } from '../baselines/naive-rx.js';
import { Checker, Gate } from '../lib/checker.js';
import { makeQueue, type Impl } from '../lib/impls.js';
import { nextMacrotask, nowNs, readParams, runCase, within } from '../lib/util.js';
import { makeKeys } from '../lib/workload.js';

const p = readParams({ impl: 'library' as Impl, K: 100_000, N: 16, how: 'unsubscribe' as 'unsubscribe' | 'complete' });

runCase(async () => {
  const keys = makeKeys(p.K);
  const checker = new Checker(keys, p.N);
  let stop: () => void;
  let tracked = p.K;
  if (p.impl === 'group-coalesce') {
    // The naive shape keeps one group per key ever seen: reconcile each key once, then stop.
    const source = new Subject<string>();
    const sub = naivePipeline('group-coalesce', source, checker.noop(), p.N).subscribe();
    for (let i = 0; i < p.K; i++) {
      checker.event(i);
      source.next(keys[i]!);
    }
    while (checker.inFlight > 0 || checker.passes < p.K) await nextMacrotask();
    stop = p.how === 'complete' ? () => source.complete() : () => sub.unsubscribe();
  } else {
    const gate = new Gate();
    const q = await makeQueue(p.impl, checker.gated(gate), p.N, () => checker.inFlight > 0);
    for (let i = 0; i < p.K; i++) {
      checker.event(i);
      q.push(keys[i]!);
    }
    await nextMacrotask();
    tracked = p.K;
    stop = () => q.teardown();
  }
  const inFlight = checker.inFlight;
  const t0 = nowNs();
  stop();
  const t1 = nowNs();
  await within(nextMacrotask(), 60_000);
  const t2 = nowNs();
  return {
    metrics: {
      impl: p.impl,
      K: p.K,
      inFlight,
      syncMs: (t1 - t0) / 1e6,
      totalMs: (t2 - t0) / 1e6,
      nsPerKey: (t2 - t0) / tracked,
    },
    violations: { ...checker.violations(), stale: 0 },
  };
});
