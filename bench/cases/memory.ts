/**
 * Benchmarks 9, 10, 11: memory.
 *
 * - `pending` (9): E = 10M events over K = 1k keys in one burst while every pass is blocked; heap
 *   growth after GC must stay under 1 MB (pending work is O(dirty keys), not O(events));
 * - `idle` (10): K = 100k keys reconciled once and idle; heap retained per key;
 * - `backoff` (11): K = 100k keys failing once and now waiting in backoff; heap per key, number of
 *   Node timers, and schedule cost per failure (failing pass minus converged pass, same process);
 * - `lateness` (11): K keys requeued after a random 5–1005 ms; lateness of each wake-up (start of
 *   the next pass minus the due time).
 */
import { DelayingKeyedQueue } from '../baselines/keyed-queue.js';
import { Checker, Gate, keyIndex } from '../lib/checker.js';
import { makeQueue, type Impl } from '../lib/impls.js';
import { activeTimers, heapUsed, keepAlive, nextMacrotask, nowNs, readParams, runCase, summarizeNs, within } from '../lib/util.js';
import { makeKeys, prng } from '../lib/workload.js';

const p = readParams({
  what: 'idle' as 'pending' | 'idle' | 'backoff' | 'lateness',
  impl: 'library' as Impl,
  E: 10_000_000,
  K: 100_000,
  N: 16,
  seed: 5,
  /** Wake-ups start after the first burst of passes has drained. */
  minDelayMs: 1000,
});

runCase(async () => {
  switch (p.what) {
    case 'pending':
      return pending();
    case 'idle':
      return idle();
    case 'backoff':
      return backoff();
    case 'lateness':
      return lateness();
  }
});

async function pending() {
  const keys = makeKeys(p.K);
  const checker = new Checker(keys, p.N);
  const gate = new Gate();
  const q = await makeQueue(p.impl, checker.gated(gate), p.N, () => checker.inFlight > 0);
  const rnd = prng(p.seed);
  const h0 = heapUsed();
  const t0 = nowNs();
  for (let e = 0; e < p.E; e++) {
    const i = e < p.K ? e : Math.floor(rnd() * p.K);
    checker.event(i);
    q.push(keys[i]!);
  }
  const pushNs = nowNs() - t0;
  const growth = heapUsed() - h0;
  keepAlive(q, checker);
  const v = checker.violations();
  v.stale = 0;
  let drained: boolean | null = null;
  if (p.impl === 'library' || p.impl === 'baseline') {
    gate.open();
    drained = await within(q.whenIdle(), 60_000);
    if (!drained) v.other++;
    const c = checker.violations();
    v.overlaps = c.overlaps;
    v.stale = c.stale;
    v.overLimit = c.overLimit;
    if (checker.passes < p.K || checker.passes > p.K + p.N) v.coalescing++;
  }
  // Naive shapes are not drained: mergeMap's buffer is drained with shift(), O(E²).
  return {
    metrics: {
      impl: p.impl,
      E: p.E,
      K: p.K,
      heapGrowthBytes: growth,
      bytesPerEvent: growth / p.E,
      pushNsPerEvent: pushNs / p.E,
      passes: checker.passes,
      drained,
    },
    violations: v,
  };
}

async function idle() {
  const keys = makeKeys(p.K + Math.min(10_000, p.K));
  const checker = new Checker(keys, p.N);
  const q = await makeQueue(p.impl, checker.noop(), p.N, () => checker.inFlight > 0);
  // Warm the queue up on the first W keys, so that code and lazily built structures are not counted
  // per key; the measured keys are the K after them.
  const W = Math.min(10_000, p.K);
  for (let i = p.K; i < p.K + W; i++) {
    checker.event(i);
    q.push(keys[i]!);
  }
  await within(q.whenIdle(), 60_000);
  await nextMacrotask();
  const h0 = heapUsed();
  for (let i = 0; i < p.K; i++) {
    checker.event(i);
    q.push(keys[i]!);
  }
  const drained = await within(q.whenIdle(), 120_000);
  await nextMacrotask();
  const perKey = (heapUsed() - h0) / p.K;
  keepAlive(q, checker);
  const v = checker.violations();
  if (!drained) v.other++;
  return {
    metrics: { impl: p.impl, K: p.K, bytesPerIdleKey: perKey, passes: checker.passes },
    violations: v,
  };
}

/** A queue whose passes can fail or requeue, for the library and the delaying baseline. */
interface OutcomeQueue {
  push(key: string): void;
  whenIdle(): Promise<void>;
  delayed(): number;
}

type Verdict = { kind: 'ok' } | { kind: 'fail' } | { kind: 'after'; ms: number };

async function outcomeQueue(body: (key: string) => Promise<Verdict>, backoffMs: number): Promise<OutcomeQueue> {
  if (p.impl === 'library') {
    const { libraryRequestQueue } = await import('../lib/library.js');
    const { Outcome, Backoff } = await import('rx-reconcile');
    const failure = new Error('injected failure');
    const q = libraryRequestQueue(
      async (request) => {
        const verdict = await body(request.key);
        if (verdict.kind === 'ok') return undefined;
        if (verdict.kind === 'fail') return Outcome.retry(failure);
        return Outcome.requeueAfter(verdict.ms);
      },
      p.N,
      { backoff: Backoff.exponential({ initial: backoffMs, factor: 2, steps: 30, cap: backoffMs * 1000 }) },
    );
    return { push: q.push, whenIdle: q.whenIdle, delayed: () => q.control.snapshot().delayed.length };
  }
  const q: DelayingKeyedQueue = new DelayingKeyedQueue(
    async (key) => {
      const verdict = await body(key);
      if (verdict.kind === 'ok') q.forget(key);
      else if (verdict.kind === 'fail') q.addRateLimited(key);
      else q.addAfter(key, verdict.ms);
    },
    p.N,
    { baseMs: backoffMs, maxMs: backoffMs * 1000 },
  );
  return { push: (key) => q.add(key), whenIdle: () => q.whenIdle(), delayed: () => q.delayedCount };
}

async function backoff() {
  // Phase 1 converges K keys (timing reference); phase 2 fails K other keys once each, into a
  // backoff long enough (first retry after 1,000 s) to measure them while they wait.
  // A warm-up round (W keys failing, W keys converging) comes first.
  const W = Math.min(10_000, p.K);
  const keys = makeKeys(2 * p.K + 2 * W);
  const checker = new Checker(keys, p.N);
  const timersBefore = activeTimers();
  const q = await outcomeQueue(async (key) => {
    const i = checker.begin(key);
    await Promise.resolve();
    checker.end(i);
    return i < p.K || i >= 2 * p.K + W ? { kind: 'ok' } : { kind: 'fail' };
  }, 1_000_000);
  const passesReach = async (n: number): Promise<void> => {
    while (checker.passes < n || checker.inFlight > 0) await nextMacrotask();
  };
  for (let i = 2 * p.K; i < 2 * p.K + 2 * W; i++) {
    checker.event(i);
    q.push(keys[i]!);
  }
  await passesReach(2 * W);
  let t0 = nowNs();
  for (let i = 0; i < p.K; i++) {
    checker.event(i);
    q.push(keys[i]!);
  }
  await passesReach(2 * W + p.K);
  const okNs = nowNs() - t0;
  const h0 = heapUsed();
  t0 = nowNs();
  for (let i = p.K; i < 2 * p.K; i++) {
    checker.event(i);
    q.push(keys[i]!);
  }
  await passesReach(2 * W + 2 * p.K);
  const failNs = nowNs() - t0;
  await nextMacrotask();
  const perKey = (heapUsed() - h0) / p.K;
  keepAlive(q, checker);
  // Node timers held by the queue: everything added since before it was created.
  const timers = activeTimers() - timersBefore;
  const delayed = q.delayed();
  const v = checker.violations();
  v.stale = 0; // the failed keys are still waiting for their retry
  if (delayed !== p.K + W) v.other++;
  return {
    metrics: {
      impl: p.impl,
      K: p.K,
      bytesPerBackoffKey: perKey,
      timers,
      delayed,
      failedPassNs: failNs / p.K,
      convergedPassNs: okNs / p.K,
      scheduleNs: (failNs - okNs) / p.K,
    },
    violations: v,
  };
}

async function lateness() {
  const keys = makeKeys(p.K);
  const checker = new Checker(keys, p.N);
  const rnd = prng(p.seed);
  const delayMs = new Float64Array(p.K);
  for (let i = 0; i < p.K; i++) delayMs[i] = p.minDelayMs + Math.floor(rnd() * 1000);
  const dueNs = new Float64Array(p.K);
  const late: number[] = [];
  const q = await outcomeQueue(async (key) => {
    const now = nowNs();
    const i = keyIndex(key);
    if (dueNs[i]! > 0) late.push(now - dueNs[i]!);
    const j = checker.begin(key);
    await Promise.resolve();
    checker.end(j);
    if (checker.passesPerKey[j] === 1) {
      dueNs[i] = nowNs() + delayMs[i]! * 1e6;
      return { kind: 'after', ms: delayMs[i]! };
    }
    return { kind: 'ok' };
  }, 5);
  // One sampler timer (counted in timers0) watches the number of Node timers and the progress.
  let maxTimers = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const timers0 = activeTimers() + 1;
  const t0 = nowNs();
  const sampler = setInterval(() => {
    maxTimers = Math.max(maxTimers, activeTimers() - timers0);
    if (checker.passes >= 2 * p.K || nowNs() - t0 > 30e9) finish();
  }, 20);
  for (let i = 0; i < p.K; i++) {
    checker.event(i);
    q.push(keys[i]!);
  }
  while (checker.passes < p.K) await nextMacrotask();
  const burstMs = (nowNs() - t0) / 1e6;
  await finished;
  const drained = await within(q.whenIdle(), 1000);
  clearInterval(sampler);
  const s = summarizeNs(late);
  let early = 0;
  for (const l of late) if (l < -1e6) early++;
  const v = checker.violations();
  if (!drained || late.length !== p.K) v.other++;
  return {
    metrics: {
      impl: p.impl,
      K: p.K,
      wakeups: late.length,
      p50LateMs: s.p50Us / 1000,
      p99LateMs: s.p99Us / 1000,
      maxLateMs: s.maxUs / 1000,
      earlyOver1ms: early,
      firstPassesMs: burstMs,
      maxTimers,
    },
    violations: v,
  };
}
