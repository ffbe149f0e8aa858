/**
 * Benchmark 32 (issue 17): the pass path. The drain's cost per pass of the library's `workQueue`
 * against the hand-written keyed queue (bench/baselines/keyed-queue.ts) measured in the same process,
 * taking turns (workload: bench/cases/pass-path.ts), burst and stream, 10k / 100k / 1M keys, each
 * side on one long-lived queue (as a loop has) with a full collection before every round, with
 * the correctness counters (overlaps, stale keys, exact coalescing) of every round; and the heap a
 * pass costs (bench/cases/pass-alloc.ts): bytes allocated per pass over 1M passes and bytes held per
 * pass in flight.
 */
import { fmt, metric, missing, row, spec, sumViolations, violationCount } from '../suite.js';
import type { Aggregate, Benchmark, Row } from '../suite.js';

const DRAIN = 'bench/cases/pass-path.ts';
const ALLOC = 'bench/cases/pass-alloc.ts';

/** Events per key: the 1M events over 100k keys (2 per key at 1M keys, to bound the run). */
const SIZES = [
  { K: 10_000, E: 100_000, rounds: 9 },
  { K: 100_000, E: 1_000_000, rounds: 5 },
  { K: 1_000_000, E: 2_000_000, rounds: 3 },
] as const;
const QUICK = { K: 10_000, E: 50_000, rounds: 2 } as const;

const label = (k: number): string => (k >= 1_000_000 ? `${k / 1_000_000}M` : `${k / 1000}k`);

function correctness(agg: Aggregate | undefined): string {
  if (agg === undefined || agg.results.length === 0) return '';
  const v = sumViolations(agg);
  if (violationCount(v) === 0) return 'no overlaps, no stale keys, exact coalescing';
  return `VIOLATIONS: ${v.overlaps} overlaps, ${v.stale} stale, ${v.coalescing} coalescing, ${v.overLimit} over limit, ${v.other} other`;
}

export const PASS_PATH_BENCHMARKS: Benchmark[] = [
  {
    n: 32,
    name: 'queue/pass-path',
    inQuick: true,
    runs: (quick) => {
      const sizes = quick ? [QUICK] : SIZES;
      const runs = sizes.flatMap(({ K, E, rounds }) =>
        (['burst', 'stream'] as const).map((mode) => spec(`b32:${mode}:${K}`, DRAIN, { mode, K, E, rounds }, { role: 'library', timeoutMs: 600_000 })),
      );
      if (!quick) {
        runs.push(spec('b32:burst-fresh:10000', DRAIN, { mode: 'burst', K: 10_000, E: 100_000, rounds: 9, queue: 'fresh' }, { role: 'library', timeoutMs: 600_000 }));
        runs.push(spec('b32:burst-each:100000', DRAIN, { mode: 'burst', K: 100_000, E: 1_000_000, rounds: 5, watch: 'each' }, { role: 'library', timeoutMs: 600_000 }));
        runs.push(spec('b32:alloc', ALLOC, { K: 100_000, rounds: 10 }, { role: 'library', timeoutMs: 300_000 }));
      }
      return runs;
    },
    evaluate(get, quick) {
      const bench = '32 queue/pass-path';
      const rows: Row[] = [];
      const sizes = quick ? [QUICK] : SIZES;
      const drainRow = (id: string, measure: string, info: boolean): Row => {
        const A = get(id);
        const ratio = metric(A, 'medianRoundRatio');
        const bad = A !== undefined && A.results.length > 0 && violationCount(sumViolations(A)) > 0;
        return row({
          bench,
          measure: `${measure}; ${correctness(A)}`,
          library: metric(A, 'libraryNsPerPass'),
          baseline: metric(A, 'baselineNsPerPass'),
          unit: 'ns/pass',
          ratio: ratio ?? null,
          goal: info ? 'info' : 'ratio ≤ 1.25',
          // A run that broke a guarantee fails whatever its speed.
          checked: bad ? Number.POSITIVE_INFINITY : ratio,
          limit: info ? 0 : 1.25,
          info,
          why: missing(A),
          only: 32,
          failNote: bad ? 'a correctness counter is not zero' : 'median of the per-round ratios (rounds alternate library / hand-written in one process)',
        });
      };
      for (const { K, E } of sizes) {
        rows.push(
          drainRow(`b32:burst:${K}`, `drain ns per pass, burst of ${label(E)} events over ${label(K)} keys (16 workers, no-op async pass, results: false)`, false),
          drainRow(`b32:stream:${K}`, `ns per pass, stream of ${label(E)} events over ${label(K)} keys in chunks of 1,000 per macrotask (results: false)`, false),
        );
      }
      if (!quick) {
        rows.push(drainRow('b32:burst-fresh:10000', 'same, burst 100k events over 10k keys, a new queue on each side every round (info: the first burst of a new loop, its code cold after the full collection)', true));
        rows.push(drainRow('b32:burst-each:100000', 'same, burst 1M events over 100k keys, every PassResult emitted and counted (info: what results cost)', true));
        const A = get('b32:alloc');
        const alloc = metric(A, 'libraryAllocBytesPerPass');
        rows.push(
          row({
            bench,
            measure: `bytes allocated per pass over ${fmt(metric(A, 'passes'))} no-op async passes (young generation big enough that no GC runs in a drain; the pass's own async function included, the same on both sides) (info)`,
            library: alloc,
            baseline: metric(A, 'baselineAllocBytesPerPass'),
            unit: 'B',
            goal: 'info',
            checked: alloc,
            limit: 0,
            info: true,
            why: missing(A),
            only: 32,
          }),
          row({
            bench,
            measure: 'library heap held per pass in flight beyond the key record (100k passes running on one pending promise, after full GCs)',
            library: metric(A, 'libraryInFlightBytesPerPass'),
            baselineText: '–',
            unit: 'B',
            ratio: null,
            goal: '≤ 100 B',
            checked: metric(A, 'libraryInFlightBytesPerPass'),
            limit: 100,
            why: missing(A),
            only: 32,
            failNote:
              'waiting for a native promise costs ~250 B in V8 (a PromiseReaction, a derived promise, two handlers and their context: next row) before the pass object and its request (~130 B)',
          }),
          row({
            bench,
            measure:
              'what any code holds per pending native promise it waits for, measured the same way: then() with two handlers of its own (baseline column: an async function at an await) (info: the floor under the row above)',
            library: metric(A, 'floorThenBytesPerWaiter'),
            baseline: metric(A, 'floorAwaitBytesPerWaiter'),
            unit: 'B',
            ratio: null,
            goal: 'info',
            checked: metric(A, 'floorThenBytesPerWaiter'),
            limit: 0,
            info: true,
            why: missing(A),
            only: 32,
          }),
        );
      }
      return rows;
    },
  },
];
