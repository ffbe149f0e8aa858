/**
 * Benchmark 32 (issue 17): the pass path. The library's `workQueue` and the hand-written keyed queue
 * (bench/baselines/keyed-queue.ts) drain the same events in ONE process, taking turns, `rounds` times:
 * E events over K keys pushed in `burst` mode (all at once, then the drain is timed alone) or in
 * `stream` mode (1,000 per macrotask), 16 workers, a no-op async pass wrapped in the correctness
 * counters (overlaps, stale keys, exact coalescing). Figures are medians over the rounds of
 * ns per pass (burst: the drain only; stream: everything, per pass) and their ratio.
 *
 * `watch` chooses how the library's results are consumed: `none` (`results: false`: a loop nobody
 * watches pass by pass) or `each` (the default `results: true`, a counter per `PassResult`).
 *
 * `queue` chooses the life of each side's queue: `long-lived` (the default: one queue per side for the
 * whole run, as a loop has, every round a new burst into it) or `fresh` (a new queue every round).
 * Every round starts after a full collection (`gc()`), so `fresh` also measures a queue whose
 * optimised code is cold: what a loop's first burst costs right after it is built.
 *
 *   node --expose-gc --conditions=rx-reconcile-source --no-warnings --loader ts-node/esm \
 *     bench/cases/pass-path.ts --params='{"mode":"burst","E":1000000,"K":100000}'
 */
import { openSync, writeSync } from 'node:fs';
import v8 from 'node:v8';
import { Observable, type Subscriber } from 'rxjs';
import { createQueueControl, workQueue } from 'rx-reconcile/operators';
import { KeyedQueue } from '../baselines/keyed-queue.js';
import { Checker } from '../lib/checker.js';
import { median, nowNs, readParams, runCase, within } from '../lib/util.js';
import { makeEvents, makeKeys, pushEvents, type Mode } from '../lib/workload.js';
import type { Violations } from '../lib/util.js';

const p = readParams({
  mode: 'burst' as Mode,
  E: 1_000_000,
  K: 100_000,
  N: 16,
  rounds: 5,
  /** Warm-up rounds of each side (not counted) until about this many passes ran (one round at least). */
  warmupPasses: 200_000,
  seed: 42,
  watch: 'none' as 'none' | 'each',
  /** `long-lived`: one queue per side for the whole run; `fresh`: a new queue each round. */
  queue: 'long-lived' as 'long-lived' | 'fresh',
  /** Run only one side (for profiles): `both`, `library` or `baseline`. */
  only: 'both' as 'both' | 'library' | 'baseline',
  /**
   * false: push the events into a paused queue (the library paused, the hand-written queue without
   * workers) and never drain them: with instruction counts, the enqueue side alone.
   */
  drain: true,
  /**
   * Mark the measured window for `valgrind --tool=callgrind` (instruction counts): a
   * `v8.setFlagsFromString` call just before it (`--zero-before=*v8_utils18SetFlagsFromString*`) and a
   * `v8.getHeapStatistics` call just after it (`--dump-before=*Isolate17GetHeapStatistics*`).
   */
  marks: false,
  idleTimeoutMs: 120_000,
});

/**
 * Marks the edges of the measured window: for callgrind (see `marks`) and, when PERF_CTL_FIFO names
 * the control fifo of `perf record --control=fifo:… --delay=-1`, for perf (enable / disable).
 */
const perfControl = process.env['PERF_CTL_FIFO'] === undefined ? undefined : openSync(process.env['PERF_CTL_FIFO'], 'w');
function mark(edge: 'enable' | 'disable'): void {
  if (edge === 'enable') v8.setFlagsFromString('--no-trace-gc');
  if (perfControl !== undefined) writeSync(perfControl, `${edge}\n`);
  if (edge === 'disable') v8.getHeapStatistics();
}

interface Queue {
  push(key: string): void;
  whenIdle(): Promise<void>;
  teardown(): void;
  /** PassResults seen (library with watch=each), else -1. */
  results(): number;
}

function library(work: (key: string) => Promise<void>): Queue {
  let sink: Subscriber<string> | undefined;
  const source$ = new Observable<string>((subscriber) => {
    sink = subscriber;
  });
  const control = createQueueControl();
  let results = 0;
  const out$ = source$.pipe(workQueue((request) => work(request.key), { workers: p.N, control, results: p.watch === 'each' }));
  const sub = p.watch === 'each' ? out$.subscribe(() => void results++) : out$.subscribe();
  if (!p.drain) control.pause();
  return {
    push: (key) => sink!.next(key),
    whenIdle: () => control.whenIdle(),
    teardown: () => sub.unsubscribe(),
    results: () => (p.watch === 'each' ? results : -1),
  };
}

function baseline(work: (key: string) => Promise<void>): Queue {
  const q = new KeyedQueue(work, p.drain ? p.N : 0);
  return { push: (key) => q.add(key), whenIdle: () => q.whenIdle(), teardown: () => q.stop(), results: () => -1 };
}

interface Round {
  readonly nsPerPass: number;
  /** CPU time (user + system) per pass over the same window. */
  readonly cpuNsPerPass: number;
  readonly passes: number;
  readonly violations: Violations;
}

const keys = makeKeys(p.K);
const events = makeEvents(p.E, p.K, p.seed);
const eventsPerKey = new Uint32Array(p.K);
for (let i = 0; i < events.length; i++) eventsPerKey[events[i]!]!++;

type Work = (key: string) => Promise<void>;
type Make = (work: Work) => Queue;
/** The long-lived queue of each side and its checker, whose one work function it runs all along. */
const kept = new Map<Make, { queue: Queue; checker: Checker }>();

/**
 * The queue of a round, its checker (counters cleared), the PassResults the queue had seen before
 * the round, and what ends the round (a fresh queue is torn down). A long-lived queue keeps one
 * checker and one work function for the whole run, as a loop keeps its reconcile function: a new
 * function every round would make V8 drop, after each full collection, the optimised code of
 * whatever inlined the old one (the library's `start`, the hand-written queue's `worker`), and the
 * round would measure their recompilation.
 */
function queueFor(make: Make): { q: Queue; checker: Checker; resultsBefore: number; end: () => void } {
  if (p.queue === 'fresh') {
    const checker = new Checker(keys, p.N);
    const q = make(checker.noop());
    return { q, checker, resultsBefore: 0, end: () => q.teardown() };
  }
  let side = kept.get(make);
  if (side === undefined) {
    const checker = new Checker(keys, p.N);
    side = { queue: make(checker.noop()), checker };
    kept.set(make, side);
  }
  side.checker.reset();
  return { q: side.queue, checker: side.checker, resultsBefore: side.queue.results(), end: () => {} };
}

async function round(make: Make): Promise<Round> {
  const { q, checker, resultsBefore, end } = queueFor(make);
  let t0: number;
  let c0: NodeJS.CpuUsage;
  if (p.mode === 'burst') {
    for (let i = 0; i < events.length; i++) {
      const k = events[i]!;
      checker.event(k);
      q.push(keys[k]!);
    }
    if (p.marks) mark('enable');
    t0 = nowNs(); // the drain alone
    c0 = process.cpuUsage();
    if (!p.drain) return { nsPerPass: 0, cpuNsPerPass: 0, passes: 0, violations: checker.violations() };
  } else {
    t0 = nowNs();
    c0 = process.cpuUsage();
    await pushEvents('stream', events, (k) => {
      checker.event(k);
      q.push(keys[k]!);
    });
  }
  const drained = await within(q.whenIdle(), p.idleTimeoutMs);
  const ns = nowNs() - t0;
  const cpu = process.cpuUsage(c0);
  if (p.marks) mark('disable');
  const v = checker.violations();
  let tooMany = 0;
  for (let i = 0; i < p.K; i++) if (checker.passesPerKey[i]! > eventsPerKey[i]!) tooMany++;
  v.coalescing = tooMany;
  if (p.mode === 'burst' && (checker.passes < p.K || checker.passes > p.K + p.N)) v.coalescing++;
  if (!drained) v.other++;
  const results = q.results();
  if (results >= 0 && results - resultsBefore !== checker.passes) v.other++;
  end();
  return { nsPerPass: ns / Math.max(1, checker.passes), cpuNsPerPass: ((cpu.user + cpu.system) * 1000) / Math.max(1, checker.passes), passes: checker.passes, violations: v };
}

runCase(async () => {
  const lib: Round[] = [];
  const base: Round[] = [];
  // Warm-up rounds of each (not counted; ~warmupPasses passes, so that a small K is measured warm
  // too), then the rounds, the order swapped every round.
  const warmups = Math.max(1, Math.ceil(p.warmupPasses / p.K));
  for (let w = 0; w < warmups; w++) {
    if (p.only !== 'baseline') await round(library);
    if (p.only !== 'library') await round(baseline);
  }
  for (let r = 0; r < p.rounds; r++) {
    const order = r % 2 === 0 ? (['library', 'baseline'] as const) : (['baseline', 'library'] as const);
    for (const which of order) {
      if (p.only !== 'both' && p.only !== which) continue;
      globalThis.gc?.();
      if (which === 'library') lib.push(await round(library));
      else base.push(await round(baseline));
    }
  }
  for (const side of kept.values()) side.queue.teardown();
  const v: Violations = { overlaps: 0, stale: 0, overLimit: 0, coalescing: 0, other: 0 };
  for (const r of [...lib, ...base]) {
    v.overlaps += r.violations.overlaps;
    v.stale += r.violations.stale;
    v.overLimit += r.violations.overLimit;
    v.coalescing += r.violations.coalescing;
    v.other += r.violations.other;
  }
  const libNs = lib.length > 0 ? median(lib.map((r) => r.nsPerPass)) : null;
  const baseNs = base.length > 0 ? median(base.map((r) => r.nsPerPass)) : null;
  const ratios = lib.length > 0 && lib.length === base.length ? lib.map((r, i) => r.nsPerPass / base[i]!.nsPerPass) : [];
  return {
    metrics: {
      mode: p.mode,
      K: p.K,
      E: p.E,
      watch: p.watch,
      queue: p.queue,
      libraryNsPerPass: libNs,
      baselineNsPerPass: baseNs,
      ratio: libNs !== null && baseNs !== null ? libNs / baseNs : null,
      medianRoundRatio: ratios.length > 0 ? median(ratios) : null,
      libraryPasses: lib[0]?.passes ?? null,
      baselinePasses: base[0]?.passes ?? null,
      libraryCpuNsPerPass: lib.length > 0 ? median(lib.map((r) => r.cpuNsPerPass)) : null,
      baselineCpuNsPerPass: base.length > 0 ? median(base.map((r) => r.cpuNsPerPass)) : null,
      cpuRatio: lib.length > 0 && base.length > 0 ? median(lib.map((r) => r.cpuNsPerPass)) / median(base.map((r) => r.cpuNsPerPass)) : null,
      libraryRounds: lib.map((r) => Math.round(r.nsPerPass)).join(' '),
      baselineRounds: base.map((r) => Math.round(r.nsPerPass)).join(' '),
    },
    violations: v,
  };
});
