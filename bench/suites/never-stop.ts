/**
 * Benchmarks 19–20 (issue 10): the queue never starves the process (workloads: bench/cases/starve.ts).
 * 19: event-loop delay during a 100k-key drain of passes without real I/O (goal: max ≤ 20 ms), and the
 * drain's throughput against the same drain with yielding off (goal: within 10 %). 20: the p99 start
 * lateness of 100 I/O-bound keys next to a key that requeues at once forever, against the same keys
 * alone (goal: ≤ 2×).
 */
import { metric, missing, ratioOf, row, spec } from '../suite.js';
import type { Benchmark } from '../suite.js';

const FILE = 'bench/cases/starve.ts';

export const NEVER_STOP_BENCHMARKS: Benchmark[] = [
  {
    n: 19,
    name: 'starve/drain-event-loop',
    inQuick: true,
    runs: (quick) => {
      const K = quick ? 20_000 : 100_000;
      const reps = quick ? 1 : 5;
      return [
        spec('b19:library', FILE, { case: 'drain', mode: 'library', K }, { role: 'library', reps }),
        spec('b19:noYield', FILE, { case: 'drain', mode: 'noYield', K }, { role: 'baseline', reps }),
      ];
    },
    evaluate(get) {
      const L = get('b19:library');
      const B = get('b19:noYield');
      return [
        row({
          bench: '19 starve/drain-event-loop',
          measure: 'event loop blocked at most (largest gap between the ticks of a 1 ms interval) while 100k keys drain, passes without I/O, 16 workers',
          library: metric(L, 'gapMaxMs'),
          baseline: metric(B, 'gapMaxMs'),
          unit: 'ms',
          ratio: ratioOf(metric(L, 'gapMaxMs'), metric(B, 'gapMaxMs')),
          goal: 'max ≤ 20 ms',
          checked: metric(L, 'gapMaxMs'),
          limit: 20,
          why: missing(L, B),
          only: 19,
        }),
        row({
          bench: '19 starve/drain-event-loop',
          measure: 'p99 of those gaps (baseline: the same queue with yielding off)',
          library: metric(L, 'gapP99Ms'),
          baseline: metric(B, 'gapP99Ms'),
          unit: 'ms',
          goal: 'info',
          checked: metric(L, 'gapP99Ms'),
          limit: 0,
          info: true,
          why: missing(L, B),
          only: 19,
        }),
        row({
          bench: '19 starve/drain-event-loop',
          measure: 'drain time with yielding vs without (throughput kept)',
          library: metric(L, 'drainMs'),
          baseline: metric(B, 'drainMs'),
          unit: 'ms',
          goal: 'ratio ≤ 1.10',
          checked: ratioOf(metric(L, 'drainMs'), metric(B, 'drainMs')),
          limit: 1.1,
          why: missing(L, B),
          only: 19,
        }),
      ];
    },
  },
  {
    n: 20,
    name: 'starve/hot-key-next-to-io',
    inQuick: false,
    runs: (quick) => {
      const reps = quick ? 1 : 3;
      const windowMs = quick ? 1000 : 3000;
      return [
        spec('b20:withHot', FILE, { case: 'hot', mode: 'withHot', windowMs }, { role: 'library', reps }),
        spec('b20:alone', FILE, { case: 'hot', mode: 'alone', windowMs }, { role: 'baseline', reps }),
      ];
    },
    evaluate(get) {
      const L = get('b20:withHot');
      const B = get('b20:alone');
      return [
        row({
          bench: '20 starve/hot-key-next-to-io',
          measure: 'p99 start lateness of 100 I/O-bound keys (5 ms I/O, requeue 50 ms, 16 workers) next to a key requeueing at once forever, vs alone',
          library: metric(L, 'latenessP99Ms'),
          baseline: metric(B, 'latenessP99Ms'),
          unit: 'ms',
          goal: 'ratio ≤ 2',
          checked: ratioOf(metric(L, 'latenessP99Ms'), metric(B, 'latenessP99Ms')),
          limit: 2,
          why: missing(L, B),
          only: 20,
          failNote: 'the hot key holds one worker of 16 at its spaced rate',
        }),
      ];
    },
  },
];
