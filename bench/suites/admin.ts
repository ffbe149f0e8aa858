/**
 * Benchmark 30 (issue 13): admin requests must not slow the loop (workload: bench/cases/admin.ts). A
 * 100k-key drain with the page open (its event stream) and `/api/loops` polled 20×/s from another
 * process, against the same drain without an admin, in pairs taken in turn inside one process: goal ≤
 * 1.05× (median of the per-pair ratios). Info: CPU time, time inside the handler, polls answered, and
 * the same with the snapshot cache off (`snapshotMaxAge: 0`).
 */
import { fmt, metric, missing, row, spec } from '../suite.js';
import type { Benchmark } from '../suite.js';

const FILE = 'bench/cases/admin.ts';

export const ADMIN_BENCHMARKS: Benchmark[] = [
  {
    n: 30,
    name: 'admin/drain-with-page-open',
    inQuick: true,
    runs: (quick) => {
      const K = quick ? 2000 : 100_000;
      const pairs = quick ? 1 : 8;
      const reps = quick ? 1 : 3;
      const paired = spec('b30', FILE, { K, pairs }, { role: 'library', reps, needs: ['loop'], timeoutMs: 300_000 });
      if (quick) return [paired];
      return [paired, spec('b30:noCache', FILE, { K, pairs: 4, cache: false }, { role: 'info', reps: 1, needs: ['loop'], timeoutMs: 300_000 })];
    },
    evaluate(get) {
      const A = get('b30');
      const N = get('b30:noCache');
      const common = { bench: '30 admin/drain-with-page-open', only: 30 } as const;
      return [
        row({
          ...common,
          measure: 'drain of 100k keys (defineLoop, passes without I/O, 16 workers) with the admin page open (event stream) and /api/loops polled 20×/s from another process, vs no admin (median of per-pair ratios, 8 pairs × 3 processes)',
          library: metric(A, 'adminMs'),
          baseline: metric(A, 'plainMs'),
          unit: 'ms',
          ratio: metric(A, 'ratio') ?? null,
          goal: 'ratio ≤ 1.05',
          checked: metric(A, 'ratio') ?? null,
          limit: 1.05,
          why: missing(A),
          failNote: 'every poll and event reads the loop through a snapshot (O(keys), reused for 250 ms)',
        }),
        row({
          ...common,
          measure: 'CPU time of the loop process during those drains (loop and admin), vs no admin',
          library: metric(A, 'adminCpuMs'),
          baseline: metric(A, 'plainCpuMs'),
          unit: 'ms',
          ratio: metric(A, 'cpuRatio') ?? null,
          goal: 'info',
          checked: metric(A, 'cpuRatio') ?? null,
          limit: 0,
          info: true,
          why: missing(A),
        }),
        row({
          ...common,
          measure: 'time inside the admin handler during an admin drain (its synchronous part, every request)',
          library: metric(A, 'handlerMs'),
          baseline: metric(A, 'adminMs'),
          unit: 'ms',
          goal: 'info',
          checked: metric(A, 'handlerMs'),
          limit: 0,
          info: true,
          why: missing(A),
        }),
        row({
          ...common,
          measure: 'polls of /api/loops answered per second during a drain (the client asks 20)',
          library: metric(A, 'pollsPerSecond'),
          baseline: undefined,
          baselineText: '–',
          unit: '/s',
          goal: 'info',
          checked: metric(A, 'pollsPerSecond'),
          limit: 0,
          info: true,
          why: missing(A),
        }),
        row({
          ...common,
          measure: 'the same drain pairs with the snapshot cache off (snapshotMaxAge: 0: a fresh O(keys) snapshot per poll)',
          library: metric(N, 'adminMs'),
          baseline: metric(N, 'plainMs'),
          unit: 'ms',
          ratio: metric(N, 'ratio') ?? null,
          goal: 'info',
          checked: metric(N, 'ratio') ?? null,
          limit: 0,
          info: true,
          why: missing(N),
          libraryText: `${fmt(metric(N, 'adminMs'), 'ms')}`,
        }),
      ];
    },
  },
];
