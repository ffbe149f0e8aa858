/**
 * Benchmark 4, invariants/coalesce: exact per-key semantics, for the library and the hand-written
 * queue (the naive shapes are checked by the queue cases, where they break).
 *
 * - queued: N workers busy on N blocker keys, key X triggered M times while waiting → exactly 1 pass;
 * - trailing: key X running, triggered M times → exactly 1 more pass, started after the first ended;
 * - fuzzer: random chunks of events, random pass durations (microtask, macrotask, 0–3 ms timer) and
 *   random failures (retried with backoff, at most twice per key): 0 stale, 0 overlaps, in flight ≤ N.
 */
import { DelayingKeyedQueue } from '../baselines/keyed-queue.js';
import { Checker, Gate } from '../lib/checker.js';
import { nextMacrotask, noViolations, nowNs, readParams, runCase, within } from '../lib/util.js';
import { makeKeys, prng } from '../lib/workload.js';

const p = readParams({ impl: 'library' as 'library' | 'baseline', N: 16, M: 100, fuzzKeys: 5000, fuzzEvents: 50_000, seed: 7 });

/** A pass body: resolves to true when the pass failed (to be retried with backoff). */
type Body = (key: string) => Promise<boolean>;

interface InvQueue {
  push(key: string): void;
  whenIdle(): Promise<void>;
  teardown(): void;
}

async function makeInvQueue(body: Body, workers: number): Promise<InvQueue> {
  if (p.impl === 'library') {
    const { libraryRequestQueue } = await import('../lib/library.js');
    const { Outcome, Backoff } = await import('rx-reconcile');
    const failure = new Error('injected failure');
    const q = libraryRequestQueue(
      async (request) => ((await body(request.key)) ? Outcome.retry(failure) : undefined),
      workers,
      { backoff: Backoff.constant({ delay: 1, steps: 1000 }) },
    );
    return q;
  }
  const q: DelayingKeyedQueue = new DelayingKeyedQueue(
    async (key) => {
      if (await body(key)) q.addRateLimited(key);
      else q.forget(key);
    },
    workers,
    { baseMs: 1, maxMs: 1 },
  );
  return { push: (key) => q.add(key), whenIdle: () => q.whenIdle(), teardown: () => q.stop() };
}

runCase(async () => {
  const v = noViolations();
  const N = p.N;
  const notes: string[] = [];

  // Scenario 1: M triggers while queued collapse into exactly one pass.
  {
    const keys = makeKeys(N + 1, 'a-');
    const checker = new Checker(keys, N);
    const gate = new Gate();
    const q = await makeInvQueue(async (key) => {
      const i = checker.begin(key);
      await gate.promise;
      checker.end(i);
      return false;
    }, N);
    for (let i = 0; i < N; i++) {
      checker.event(i);
      q.push(keys[i]!);
    }
    await nextMacrotask();
    for (let m = 0; m < p.M; m++) {
      checker.event(N);
      q.push(keys[N]!);
    }
    await nextMacrotask();
    if (checker.passesPerKey[N] !== 0) v.overLimit++;
    gate.open();
    if (!(await within(q.whenIdle(), 10_000))) v.other++;
    if (checker.passesPerKey[N] !== 1) {
      v.coalescing++;
      notes.push(`queued: ${p.M} triggers gave ${checker.passesPerKey[N]} passes (want 1)`);
    }
    for (let i = 0; i < N; i++) if (checker.passesPerKey[i] !== 1) v.coalescing++;
    const c = checker.violations();
    v.overlaps += c.overlaps;
    v.stale += c.stale;
    v.overLimit += c.overLimit;
    q.teardown();
  }

  // Scenario 2: M triggers while running give exactly one trailing pass, after the first ends.
  let trailingGapNs = Number.NaN;
  {
    const keys = makeKeys(1, 'b-');
    const checker = new Checker(keys, N);
    const gate = new Gate();
    let firstEnd = 0;
    let secondStart = 0;
    const q = await makeInvQueue(async (key) => {
      const i = checker.begin(key);
      if (checker.passesPerKey[i] === 1) {
        await gate.promise;
        firstEnd = nowNs();
      } else {
        secondStart = nowNs();
        await Promise.resolve();
      }
      checker.end(i);
      return false;
    }, N);
    checker.event(0);
    q.push(keys[0]!);
    await nextMacrotask();
    for (let m = 0; m < p.M; m++) {
      checker.event(0);
      q.push(keys[0]!);
    }
    await nextMacrotask();
    if (checker.passesPerKey[0] !== 1) v.overlaps++;
    gate.open();
    if (!(await within(q.whenIdle(), 10_000))) v.other++;
    if (checker.passesPerKey[0] !== 2) {
      v.coalescing++;
      notes.push(`trailing: ${p.M} triggers while running gave ${checker.passesPerKey[0]! - 1} trailing passes (want 1)`);
    }
    trailingGapNs = secondStart - firstEnd;
    if (!(secondStart >= firstEnd)) v.overlaps++;
    const c = checker.violations();
    v.overlaps += c.overlaps;
    v.stale += c.stale;
    q.teardown();
  }

  // Scenario 3: fuzzer.
  const rnd = prng(p.seed);
  const keys = makeKeys(p.fuzzKeys, 'f-');
  const checker = new Checker(keys, N);
  const failures = new Uint8Array(p.fuzzKeys);
  const eventsPerKey = new Uint32Array(p.fuzzKeys);
  let injected = 0;
  const q = await makeInvQueue(async (key) => {
    const i = checker.begin(key);
    const r = rnd();
    if (r < 0.4) await Promise.resolve();
    else if (r < 0.7) await new Promise<void>((resolve) => setImmediate(resolve));
    else await new Promise<void>((resolve) => setTimeout(resolve, Math.floor(rnd() * 3)));
    checker.end(i);
    if (failures[i]! < 2 && rnd() < 0.1) {
      failures[i]!++;
      injected++;
      return true;
    }
    return false;
  }, N);
  let sent = 0;
  while (sent < p.fuzzEvents) {
    const chunk = Math.min(p.fuzzEvents - sent, 1 + Math.floor(rnd() * 200));
    for (let j = 0; j < chunk; j++) {
      const i = Math.floor(rnd() * p.fuzzKeys);
      eventsPerKey[i]!++;
      checker.event(i);
      q.push(keys[i]!);
    }
    sent += chunk;
    await nextMacrotask();
  }
  if (!(await within(q.whenIdle(), 60_000))) v.other++;
  const c = checker.violations();
  v.overlaps += c.overlaps;
  v.stale += c.stale;
  v.overLimit += c.overLimit;
  let tooMany = 0;
  for (let i = 0; i < p.fuzzKeys; i++) if (checker.passesPerKey[i]! > eventsPerKey[i]! + failures[i]!) tooMany++;
  v.coalescing += tooMany;
  q.teardown();

  return {
    metrics: {
      impl: p.impl,
      fuzzEvents: p.fuzzEvents,
      fuzzPasses: checker.passes,
      injectedFailures: injected,
      maxInFlight: checker.maxInFlight,
      trailingGapUs: trailingGapNs / 1000,
      overlaps: v.overlaps,
      stale: v.stale,
      coalescing: v.coalescing,
    },
    violations: v,
    notes,
  };
});
