/**
 * Benchmark 32, memory side (issue 17): what a pass costs in heap, the library's `workQueue` next to
 * the hand-written keyed queue (bench/baselines/keyed-queue.ts) in the same process.
 *
 * - `allocBytesPerPass`: bytes allocated per pass by a drain (one no-op async pass per key, K keys,
 *   `rounds` drains: `rounds`·K passes in all). The young generation is made big enough
 *   (`--max-semi-space-size`, set by the case itself) that no garbage collection runs during a drain, so
 *   the growth of the used heap over the drain is everything the drain allocated (the user's own
 *   async function included, the same for both). A drain during which a collection ran anyway is not
 *   counted (`gcDuringDrains` says how many).
 * - `libraryInFlightBytesPerPass`: heap the library holds per pass in flight beyond the key's own
 *   record: K keys queued (paused), then all K started (K workers) on one shared pending promise,
 *   after full collections; (heap with K passes running − heap with K keys queued) / K. (The
 *   hand-written queue has no equivalent split: its in-flight state is its worker loops.)
 * - `floorThenBytesPerWaiter` / `floorAwaitBytesPerWaiter`: what any code pays to wait for a pending
 *   native promise, measured the same way: K `then(onFulfilled, onRejected)` calls with handlers of
 *   their own, and K async functions each at an `await`. No queue can hold a pass in flight for
 *   less than the cheaper of the two.
 *
 *   node --expose-gc --conditions=rx-reconcile-source --no-warnings \
 *     --loader ts-node/esm bench/cases/pass-alloc.ts --params='{"K":100000,"rounds":10}'
 */
import { spawnSync } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import { Observable, type Subscriber } from 'rxjs';
import { createQueueControl, workQueue } from 'rx-reconcile/operators';
import { KeyedQueue } from '../baselines/keyed-queue.js';
import { heapUsed, keepAlive, readParams, runCase } from '../lib/util.js';
import { makeKeys } from '../lib/workload.js';

const p = readParams({
  K: 100_000,
  rounds: 10,
  /** `none` (`results: false`) or `each` (a subscriber counting every `PassResult`). */
  watch: 'none' as 'none' | 'each',
  /** MB per semi-space of the young generation: must hold a drain's garbage (~1 kB per pass). */
  semiSpaceMb: 256,
});

// No scavenge during a drain: a young generation far bigger than a drain's garbage. The flag works
// only at start-up, and the bench driver starts every case with the same flags: without it, the case
// runs itself again in a child with it (its result line passes through stdout).
if (!process.execArgv.some((a) => a.startsWith('--max-semi-space-size'))) {
  const child = spawnSync(process.execPath, [...process.execArgv, `--max-semi-space-size=${p.semiSpaceMb}`, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(child.status ?? 2);
}

let gcs = 0;
new PerformanceObserver((list) => {
  gcs += list.getEntries().length;
}).observe({ entryTypes: ['gc'] });

const used = (): number => v8.getHeapStatistics().used_heap_size;
const keys = makeKeys(p.K);

interface Queue {
  push(key: string): void;
  /** Starts draining (the queue was built paused). */
  go(): void;
  whenIdle(): Promise<void>;
  teardown(): void;
}

function library(work: (key: string) => Promise<void>, workers: number): Queue {
  let sink: Subscriber<string> | undefined;
  const source$ = new Observable<string>((subscriber) => {
    sink = subscriber;
  });
  const control = createQueueControl();
  let results = 0;
  const out$ = source$.pipe(workQueue((request) => work(request.key), { workers, control, results: p.watch === 'each' }));
  const sub = p.watch === 'each' ? out$.subscribe(() => void results++) : out$.subscribe();
  control.pause();
  return {
    push: (key) => sink!.next(key),
    go: () => control.resume(),
    whenIdle: () => control.whenIdle(),
    teardown: () => {
      sub.unsubscribe();
      keepAlive(results);
    },
  };
}

function baseline(work: (key: string) => Promise<void>, workers: number): Queue {
  // The hand-written queue has no pause: its workers are started by the first `add` after `go`.
  let q: KeyedQueue | undefined;
  const pending: string[] = [];
  return {
    push: (key) => (q ? q.add(key) : pending.push(key)),
    go: () => {
      q = new KeyedQueue(work, workers);
      for (const key of pending) q.add(key);
      pending.length = 0;
    },
    whenIdle: () => q!.whenIdle(),
    teardown: () => q?.stop(),
  };
}

/** Bytes allocated per pass over `rounds` drains of K no-op passes; undefined when every drain saw a GC. */
async function allocPerPass(make: typeof library): Promise<{ bytes: number | undefined; gcDrains: number }> {
  let bytes = 0;
  let passes = 0;
  let gcDrains = 0;
  for (let r = 0; r < p.rounds; r++) {
    const q = make(async () => {
      await undefined;
    }, 16);
    for (const key of keys) q.push(key);
    heapUsed();
    // GC entries arrive asynchronously: let those of the collections above come in first.
    await new Promise((resolve) => setTimeout(resolve, 20));
    gcs = 0;
    const before = used();
    q.go();
    await q.whenIdle();
    const after = used();
    // GC entries are delivered asynchronously: give the observer a turn before reading the count.
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (gcs === 0) {
      bytes += after - before;
      passes += p.K;
    } else gcDrains++;
    q.teardown();
  }
  return { bytes: passes > 0 ? bytes / passes : undefined, gcDrains };
}

/** Heap the library holds per pass in flight beyond the key's record. */
async function inFlight(): Promise<number> {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let started = 0;
  const q = library(() => {
    started++;
    return gate;
  }, p.K);
  for (const key of keys) q.push(key);
  const queued = heapUsed();
  q.go();
  // The queue yields to the event loop after a time slice: wait until every pass has started.
  while (started < p.K) await new Promise((resolve) => setImmediate(resolve));
  const running = heapUsed();
  release();
  await q.whenIdle();
  q.teardown();
  keepAlive(q);
  return (running - queued) / p.K;
}

/** Heap per waiter of K waiters on one pending promise: `then` with two handlers each, or an `await` each. */
async function floor(how: 'then' | 'await'): Promise<number> {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let settled = 0;
  const waiters: unknown[] = new Array(p.K);
  const before = heapUsed();
  for (let i = 0; i < p.K; i++) {
    if (how === 'then') {
      const n = i;
      gate.then(
        () => void (settled += n >= 0 ? 1 : 0),
        () => void (settled -= n),
      );
    } else
      waiters[i] = (async (n: number): Promise<void> => {
        await gate;
        settled += n >= 0 ? 1 : 0;
      })(i);
  }
  const waiting = heapUsed();
  release();
  await Promise.all(waiters);
  keepAlive(settled);
  // The `await` side keeps each async function's own promise in `waiters` (8 B a slot, both measured
  // after the array exists): the figure is the waiting state only.
  return (waiting - before) / p.K;
}

runCase(async () => {
  // Warm up both (JIT), then measure each in turn.
  await allocPerPass(library);
  await allocPerPass(baseline);
  const lib = await allocPerPass(library);
  const base = await allocPerPass(baseline);
  const libInFlight = await inFlight();
  const floorThen = await floor('then');
  const floorAwait = await floor('await');
  return {
    metrics: {
      K: p.K,
      passes: p.K * p.rounds,
      watch: p.watch,
      libraryAllocBytesPerPass: lib.bytes ?? null,
      baselineAllocBytesPerPass: base.bytes ?? null,
      gcDuringDrains: lib.gcDrains + base.gcDrains,
      libraryInFlightBytesPerPass: libInFlight,
      floorThenBytesPerWaiter: floorThen,
      floorAwaitBytesPerWaiter: floorAwait,
    },
    violations: { overlaps: 0, stale: 0, overLimit: 0, coalescing: 0, other: 0 },
  };
});
