/**
 * Benchmark 30 (issue 13): admin requests must not slow the loop (workload: bench/cases/admin.ts). A
 * 100k-key drain with the page open (its event stream) and `/api/loops` polled 20×/s, against the same
 * drain without an admin: goal ≤ 1.05×. Info: the same with the snapshot cache off (`snapshotMaxAge: 0`).
 */
import { metric, missing, ratioOf, row, spec } from '../suite.js';
import type { Benchmark } from '../suite.js';

const FILE = 'bench/cases/admin.ts';

export const ADMIN_BENCHMARKS: Benchmark[] = [
  {
    n: 30,
    name: 'admin/drain-with-page-open',
    inQuick: true,
    runs: (quick) => {
      const K = quick ? 2000 : 100_000;
      const reps = quick ? 1 : 11;
      // Quick mode (in the test suite) runs the admin side only, for its correctness counters.
      const admin = spec('b30:admin', FILE, { mode: 'admin', K }, { role: 'library', reps, needs: ['loop'] });
      if (quick) return [admin];
      return [
        admin,
        spec('b30:plain', FILE, { mode: 'plain', K }, { role: 'baseline', reps, needs: ['loop'] }),
        spec('b30:noCache', FILE, { mode: 'adminNoCache', K }, { role: 'info', reps, needs: ['loop'] }),
      ];
    },
    evaluate(get) {
      const A = get('b30:admin');
      const P = get('b30:plain');
      const N = get('b30:noCache');
      return [
        row({
          bench: '30 admin/drain-with-page-open',
          measure: 'drain of 100k keys (defineLoop, passes without I/O, 16 workers) with the admin page open (event stream) and /api/loops polled 20×/s from another process, vs no admin',
          library: metric(A, 'drainMs'),
          baseline: metric(P, 'drainMs'),
          unit: 'ms',
          goal: 'ratio ≤ 1.05',
          checked: ratioOf(metric(A, 'drainMs'), metric(P, 'drainMs')),
          limit: 1.05,
          why: missing(A, P),
          only: 30,
          failNote: 'each poll and event reads a snapshot of the queue (O(keys), reused for 250 ms)',
        }),
        row({
          bench: '30 admin/drain-with-page-open',
          measure: 'CPU time of the loop process during that drain (loop and admin; steadier than wall time when the machine is shared), vs no admin',
          library: metric(A, 'cpuMs'),
          baseline: metric(P, 'cpuMs'),
          unit: 'ms',
          goal: 'info',
          checked: ratioOf(metric(A, 'cpuMs'), metric(P, 'cpuMs')),
          limit: 0,
          info: true,
          why: missing(A, P),
          only: 30,
        }),
        row({
          bench: '30 admin/drain-with-page-open',
          measure: 'time spent inside the admin handler during that drain (its synchronous part, every request), as a share of the drain',
          library: metric(A, 'handlerMs'),
          baseline: metric(A, 'drainMs'),
          unit: 'ms',
          goal: 'info',
          checked: ratioOf(metric(A, 'handlerMs'), metric(A, 'drainMs')),
          limit: 0,
          info: true,
          why: missing(A),
          only: 30,
        }),
        row({
          bench: '30 admin/drain-with-page-open',
          measure: 'polls of /api/loops answered per second during the drain (the client asks 20)',
          library: metric(A, 'pollsPerSecond'),
          baseline: undefined,
          unit: '/s',
          goal: 'info',
          checked: metric(A, 'pollsPerSecond'),
          limit: 0,
          info: true,
          why: missing(A),
          only: 30,
        }),
        row({
          bench: '30 admin/drain-with-page-open',
          measure: 'the same with the snapshot cache off (snapshotMaxAge: 0: a fresh O(keys) snapshot per poll), vs no admin',
          library: metric(N, 'drainMs'),
          baseline: metric(P, 'drainMs'),
          unit: 'ms',
          goal: 'info',
          checked: ratioOf(metric(N, 'drainMs'), metric(P, 'drainMs')),
          limit: 0,
          info: true,
          why: missing(N, P),
          only: 30,
        }),
      ];
    },
  },
];
