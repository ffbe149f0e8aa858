/**
 * The benchmark suite: which child runs each benchmark needs (full and quick sizes), and how its
 * figures, ratios and pass/fail verdicts are computed from their results. Goals and workloads follow
 * issue 6 (benchmarks 1–18) and the promises of docs/design.md; every figure is measured, nothing is hard-coded.
 */
import type { CaseResult, Violations } from './lib/util.js';
import { EASY_MODE_BENCHMARKS } from './suites/easy-mode.js';
import { ADMIN_BENCHMARKS } from './suites/admin.js';
import { NEVER_STOP_BENCHMARKS } from './suites/never-stop.js';
import { SQLITE_BENCHMARKS } from './suites/sqlite.js';
import { ETCD_BENCHMARKS } from './suites/etcd.js';
import { PASS_PATH_BENCHMARKS } from './suites/pass-path.js';

export type Role = 'library' | 'baseline' | 'naive' | 'info';

/** Library features a run needs; runs whose features are missing are skipped and reported. */
export type Feature = 'workQueue' | 'store' | 'loop' | 'status' | 'etcd';

export interface RunSpec {
  readonly id: string;
  readonly file: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly reps: number;
  readonly timeoutMs: number;
  readonly role: Role;
  readonly needs: readonly Feature[];
}

/** The results of one run spec over its repetitions. */
export interface Aggregate {
  readonly spec: RunSpec;
  readonly results: CaseResult[];
  /** Errors, timeouts and skips, one line each. */
  readonly problems: string[];
  readonly skipped: string | undefined;
}

export type Status = 'pass' | 'fail' | 'not measured' | 'info';

export interface Row {
  readonly bench: string;
  readonly table: 'goals' | 'naive';
  readonly measure: string;
  readonly library: string;
  readonly baseline: string;
  readonly ratio: number | null;
  readonly goal: string;
  /** The value compared with `limit` (ratio or absolute), for the verdict and the chart. */
  readonly checked: number | null;
  readonly limit: number | null;
  readonly direction: 'max' | 'min';
  readonly status: Status;
  readonly reason: string;
  readonly command: string;
}

export interface Benchmark {
  readonly n: number;
  readonly name: string;
  readonly inQuick: boolean;
  runs(quick: boolean): RunSpec[];
  evaluate(get: (id: string) => Aggregate | undefined, quick: boolean): Row[];
}

// ---------------------------------------------------------------------------------------------
// Helpers

const M = 1_000_000;

export function spec(
  id: string,
  file: string,
  params: Record<string, unknown>,
  options: { reps?: number; timeoutMs?: number; role?: Role; needs?: readonly Feature[] } = {},
): RunSpec {
  const role = options.role ?? (String(params['impl']).startsWith('library') ? 'library' : String(params['impl']).startsWith('baseline') ? 'baseline' : 'naive');
  return {
    id,
    file,
    params,
    reps: options.reps ?? 1,
    timeoutMs: options.timeoutMs ?? 120_000,
    role,
    needs: options.needs ?? (role === 'library' ? ['workQueue'] : []),
  };
}

/** Median of a numeric metric over the repetitions of a run; undefined when not measured. */
export function metric(agg: Aggregate | undefined, name: string): number | undefined {
  if (agg === undefined) return undefined;
  const values: number[] = [];
  for (const r of agg.results) {
    const v = r.metrics[name];
    if (typeof v === 'number' && Number.isFinite(v)) values.push(v);
  }
  if (values.length === 0) return undefined;
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

export function sumViolations(agg: Aggregate): Violations {
  const v: Violations = { overlaps: 0, stale: 0, overLimit: 0, coalescing: 0, other: 0 };
  for (const r of agg.results) {
    v.overlaps += r.violations.overlaps;
    v.stale += r.violations.stale;
    v.overLimit += r.violations.overLimit;
    v.coalescing += r.violations.coalescing;
    v.other += r.violations.other;
  }
  return v;
}

export function violationCount(v: Violations): number {
  return v.overlaps + v.stale + v.overLimit + v.coalescing + v.other;
}

/** Why a figure is missing. */
/** `a / b`, or undefined when either is missing. */
function quotient(a: number | undefined, b: number | undefined): number | undefined {
  return a !== undefined && b !== undefined ? a / b : undefined;
}

export function missing(...aggs: (Aggregate | undefined)[]): string {
  for (const a of aggs) {
    if (a === undefined) return 'not run';
    if (a.skipped !== undefined) return `not yet measured: ${a.skipped}`;
    if (a.results.length === 0) return a.problems[0] ?? 'no result';
  }
  return 'no result';
}

export function fmt(v: number | undefined | null, unit = '', digits?: number): string {
  if (v === undefined || v === null || !Number.isFinite(v)) return '–';
  const abs = Math.abs(v);
  const d = digits ?? (abs >= 1000 ? 0 : abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3);
  const s = v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: 0 });
  return unit === '' ? s : `${s} ${unit}`;
}

export function ratioOf(lib: number | undefined, base: number | undefined): number | null {
  return lib !== undefined && base !== undefined && base !== 0 ? lib / base : null;
}

export interface GoalRowInput {
  bench: string;
  measure: string;
  library?: number | undefined;
  baseline?: number | undefined;
  unit?: string;
  libraryText?: string;
  baselineText?: string;
  ratio?: number | null;
  goal: string;
  checked: number | undefined | null;
  limit: number;
  direction?: 'max' | 'min';
  /** Shown when the figure is missing. */
  why?: string;
  /** Extra explanation when the goal is missed. */
  failNote?: string;
  only: number;
  table?: 'goals' | 'naive';
  info?: boolean;
}

export function row(input: GoalRowInput): Row {
  const direction = input.direction ?? 'max';
  const checked = input.checked ?? null;
  let status: Status;
  let reason = '';
  if (checked === null || !Number.isFinite(checked)) {
    status = 'not measured';
    reason = input.why ?? 'no result';
  } else if (input.info === true) {
    status = 'info';
  } else {
    const ok = direction === 'max' ? checked <= input.limit : checked >= input.limit;
    status = ok ? 'pass' : 'fail';
    if (!ok) {
      reason = `${fmt(checked)} ${direction === 'max' ? '>' : '<'} ${fmt(input.limit)}`;
      if (input.failNote) reason += `: ${input.failNote}`;
    }
  }
  const unit = input.unit ?? '';
  return {
    bench: input.bench,
    table: input.table ?? 'goals',
    measure: input.measure,
    library: input.libraryText ?? fmt(input.library, unit),
    baseline: input.baselineText ?? fmt(input.baseline, unit),
    ratio: input.ratio === undefined ? ratioOf(input.library, input.baseline) : input.ratio,
    goal: input.goal,
    checked,
    limit: input.limit,
    direction,
    status,
    reason,
    command: `npm run bench -- --only=${input.only}`,
  };
}

const KEYS = (k: number): string => (k >= M ? `${k / M}M` : k >= 1000 ? `${k / 1000}k` : String(k));

// ---------------------------------------------------------------------------------------------
// Shared queue workloads (benchmarks 1, 2, 3, 5, 8)

const Q = 'bench/cases/queue.ts';

function queueRuns(
  prefix: string,
  params: Record<string, unknown>,
  reps: number,
  naive: readonly string[] = [],
  naiveParams: Record<string, unknown> = {},
  rxFed = false,
): RunSpec[] {
  return [
    spec(`${prefix}:library`, Q, { ...params, impl: 'library' }, { reps }),
    spec(`${prefix}:baseline`, Q, { ...params, impl: 'baseline' }, { reps }),
    ...(rxFed
      ? [
          spec(`${prefix}:library-subject`, Q, { ...params, impl: 'library-subject' }, { reps }),
          spec(`${prefix}:baseline-rx`, Q, { ...params, impl: 'baseline-rx' }, { reps }),
        ]
      : []),
    ...naive.map((v) => spec(`${prefix}:${v}`, Q, { ...params, ...naiveParams, impl: v, heap: true }, { timeoutMs: 120_000 })),
  ];
}

function naiveRows(bench: string, only: number, prefix: string, variants: readonly string[], get: (id: string) => Aggregate | undefined, figure: string, unit: string): Row[] {
  const base = metric(get(`${prefix}:baseline`), figure);
  return variants.map((variant) => {
    const agg = get(`${prefix}:${variant}`);
    const value = metric(agg, figure);
    const v = agg && agg.results.length > 0 ? sumViolations(agg) : undefined;
    const passes = metric(agg, 'passes');
    const maxInFlight = metric(agg, 'maxInFlight');
    const retained = metric(agg, 'retainedBytesPerKey');
    const broken =
      v === undefined
        ? ''
        : [
            v.overlaps > 0 ? `${fmt(v.overlaps)} same-key overlaps` : '',
            v.stale > 0 ? `${fmt(v.stale)} stale keys` : '',
            v.coalescing > 0 ? 'coalescing count wrong' : '',
            v.overLimit > 0 ? `concurrency not bounded by 16 (max ${fmt(maxInFlight)} in flight)` : '',
          ]
            .filter((s) => s !== '')
            .join(', ');
    const r = row({
      bench,
      table: 'naive',
      measure: `${variant}, ${figure === 'nsPerEvent' ? 'ns/event' : 'enqueue ns/event'}`,
      library: value,
      baseline: base,
      unit,
      libraryText:
        value === undefined
          ? '–'
          : `${fmt(value, unit)}; ${fmt(passes)} passes; max ${fmt(maxInFlight)} in flight${retained !== undefined ? `; ${fmt(retained, 'B')}/key live` : ''}`,
      goal: 'no overlap, no stale key',
      checked: value,
      limit: 0,
      info: true,
      why: missing(agg),
      only,
    });
    return { ...r, reason: v === undefined ? missing(agg) : broken === '' ? 'guarantees held' : `breaks: ${broken}` };
  });
}

/**
 * Info rows for a source that is an RxJS `Subject` (the library fed through one; the hand-written queue
 * fed through the same): the Subject's own cost, which any consumer pays, kept apart from the library's.
 */
function rxFedRow(bench: string, only: number, prefix: string, figure: string, get: (id: string) => Aggregate | undefined, quick: boolean): Row[] {
  if (quick) return [];
  const L = get(`${prefix}:library-subject`);
  const R = get(`${prefix}:baseline-rx`);
  const B = get(`${prefix}:baseline`);
  const lib = metric(L, figure);
  const base = metric(R, figure);
  const bare = metric(B, figure);
  const info = (measure: string, baseline: number | undefined, why: string): Row =>
    row({ bench, measure, library: lib, baseline, unit: 'ns', goal: '–', checked: ratioOf(lib, baseline), limit: 0, info: true, why, only });
  return [
    info('same, both fed through an RxJS `Subject` (info: the Subject costs the same in front of any consumer)', base, missing(L, R)),
    info('library fed through a `Subject`, against the bare hand-written queue (info)', bare, missing(L, B)),
  ];
}

// ---------------------------------------------------------------------------------------------
// The suite

export const NAIVE_STREAM = ['group-coalesce', 'group-concat', 'group-exhaust', 'merge-limited', 'group-merge-limited'] as const;
export const NAIVE_BURST = ['group-coalesce', 'group-exhaust'] as const;

export const SUITE: Benchmark[] = [
  {
    n: 1,
    name: 'queue/noop-stream',
    inQuick: true,
    runs: (quick) =>
      quick
        ? queueRuns('b1', { mode: 'stream', E: 50_000, K: 5_000 }, 1, ['group-exhaust'])
        : queueRuns('b1', { mode: 'stream', E: M, K: 100_000 }, 5, NAIVE_STREAM, {}, true),
    evaluate(get, quick) {
      const lib = metric(get('b1:library'), 'nsPerEvent');
      const base = metric(get('b1:baseline'), 'nsPerEvent');
      const bench = '1 queue/noop-stream';
      return [
        row({
          bench,
          measure: `ns/event, stream, ${quick ? '50k events / 5k keys' : '1M events / 100k keys'}, N=16 (library fed by a plain Observable)`,
          library: lib,
          baseline: base,
          unit: 'ns',
          goal: 'ratio ≤ 1.5 (stretch 1.25)',
          checked: ratioOf(lib, base),
          limit: 1.5,
          why: missing(get('b1:library'), get('b1:baseline')),
          only: 1,
        }),
        ...rxFedRow(bench, 1, 'b1', 'nsPerEvent', get, quick),
        ...naiveRows(bench, 1, 'b1', quick ? ['group-exhaust'] : NAIVE_STREAM, get, 'nsPerEvent', 'ns'),
      ];
    },
  },
  {
    n: 2,
    name: 'queue/noop-burst',
    inQuick: true,
    runs: (quick) =>
      quick ? queueRuns('b2', { mode: 'burst', E: 50_000, K: 5_000 }, 1) : queueRuns('b2', { mode: 'burst', E: M, K: 100_000 }, 5, NAIVE_BURST, {}, true),
    evaluate(get, quick) {
      const L = get('b2:library');
      const B = get('b2:baseline');
      const lib = metric(L, 'enqueueNsPerEvent');
      const base = metric(B, 'enqueueNsPerEvent');
      const K = quick ? 5_000 : 100_000;
      const passes = metric(L, 'passes');
      const basePasses = metric(B, 'passes');
      const bench = '2 queue/noop-burst';
      return [
        row({
          bench,
          measure: `enqueue ns/event, burst, ${quick ? '50k / 5k' : '1M / 100k'} (library fed by a plain Observable)`,
          library: lib,
          baseline: base,
          unit: 'ns',
          goal: 'ratio ≤ 1.5',
          checked: ratioOf(lib, base),
          limit: 1.5,
          why: missing(L, B),
          only: 2,
        }),
        ...rxFedRow(bench, 2, 'b2', 'enqueueNsPerEvent', get, quick),
        row({
          bench,
          measure: 'drain ns/pass (info)',
          library: metric(L, 'drainNsPerPass'),
          baseline: metric(B, 'drainNsPerPass'),
          unit: 'ns',
          goal: '–',
          checked: ratioOf(metric(L, 'drainNsPerPass'), metric(B, 'drainNsPerPass')),
          limit: 0,
          info: true,
          why: missing(L, B),
          only: 2,
        }),
        row({
          bench,
          measure: `passes for ${fmt(K)} keys`,
          library: passes,
          baseline: basePasses,
          ratio: null,
          goal: `= K + ≤ 16 (${fmt(K)}…${fmt(K + 16)})`,
          checked: passes === undefined ? undefined : passes - K,
          limit: 16,
          why: missing(L),
          only: 2,
          failNote: 'coalescing',
        }),
        ...(quick ? [] : naiveRows(bench, 2, 'b2', NAIVE_BURST, get, 'enqueueNsPerEvent', 'ns')),
      ];
    },
  },
  {
    n: 3,
    name: 'queue/yield-stream',
    inQuick: false,
    runs: () => queueRuns('b3', { mode: 'stream', rec: 'immediate', E: M, K: 100_000 }, 5),
    evaluate(get) {
      const L = get('b3:library');
      const B = get('b3:baseline');
      const lc = metric(L, 'coalescing');
      const bc = metric(B, 'coalescing');
      const lib = metric(L, 'nsPerEvent');
      const base = metric(B, 'nsPerEvent');
      const bench = '3 queue/yield-stream';
      return [
        row({
          bench,
          measure: 'coalescing (events/pass), rec=immediate',
          library: lc,
          baseline: bc,
          goal: 'within ±1% of baseline',
          checked: lc !== undefined && bc !== undefined ? Math.abs(lc / bc - 1) : undefined,
          limit: 0.01,
          why: missing(L, B),
          only: 3,
        }),
        row({
          bench,
          measure: 'ns/event, rec=immediate',
          library: lib,
          baseline: base,
          unit: 'ns',
          goal: 'ratio ≤ 1.5',
          checked: ratioOf(lib, base),
          limit: 1.5,
          why: missing(L, B),
          only: 3,
        }),
      ];
    },
  },
  {
    n: 4,
    name: 'invariants/coalesce',
    inQuick: true,
    runs: (quick) => {
      const params = quick ? { fuzzKeys: 1000, fuzzEvents: 10_000 } : {};
      return [
        spec('b4:library', 'bench/cases/invariants.ts', { ...params, impl: 'library' }),
        spec('b4:baseline', 'bench/cases/invariants.ts', { ...params, impl: 'baseline' }),
      ];
    },
    evaluate(get) {
      const L = get('b4:library');
      const B = get('b4:baseline');
      const lv = L && L.results.length > 0 ? violationCount(sumViolations(L)) : undefined;
      const bv = B && B.results.length > 0 ? violationCount(sumViolations(B)) : undefined;
      return [
        row({
          bench: '4 invariants/coalesce',
          measure: 'violations: queued ×100 → 1 pass; running ×100 → 1 trailing pass; fuzzer (random durations, failures)',
          library: lv,
          baseline: bv,
          ratio: null,
          libraryText: lv === undefined ? '–' : `${lv} (max ${fmt(metric(L, 'maxInFlight'))} in flight, ${fmt(metric(L, 'fuzzPasses'))} passes)`,
          goal: '0 violations, in flight ≤ 16',
          checked: lv,
          limit: 0,
          why: missing(L),
          only: 4,
        }),
      ];
    },
  },
  {
    n: 5,
    name: 'scale/keys',
    inQuick: false,
    runs: () => [
      ...queueRuns('b5s10k', { mode: 'stream', E: M, K: 10_000 }, 3),
      ...queueRuns('b5s1m', { mode: 'stream', E: M, K: M }, 3),
      ...queueRuns('b5b10k', { mode: 'burst', E: M, K: 10_000 }, 3),
      ...queueRuns('b5b1m', { mode: 'burst', E: M, K: M }, 3),
    ],
    evaluate(get) {
      const rows: Row[] = [];
      for (const [mode, fig, p100] of [
        ['stream', 'nsPerEvent', 'b1'],
        ['burst', 'enqueueNsPerEvent', 'b2'],
      ] as const) {
        const m = mode === 'stream' ? 's' : 'b';
        const r = (id: string): number | null => ratioOf(metric(get(`${id}:library`), fig), metric(get(`${id}:baseline`), fig));
        const r10k = r(`b5${m}10k`);
        const r100k = r(p100);
        const r1m = r(`b5${m}1m`);
        for (const [k, id] of [
          [10_000, `b5${m}10k`],
          [M, `b5${m}1m`],
        ] as const) {
          rows.push(
            row({
              bench: '5 scale/keys',
              // Issue 6 asks for the 1.5× ratio at 10k, 100k and 1M keys: these rows are goals too.
              measure: `${mode} ${fig === 'nsPerEvent' ? 'ns/event' : 'enqueue ns/event'}, K=${KEYS(k)}`,
              library: metric(get(`${id}:library`), fig),
              baseline: metric(get(`${id}:baseline`), fig),
              unit: 'ns',
              goal: 'ratio ≤ 1.5 (as at 100k)',
              checked: r(id),
              limit: 1.5,
              why: missing(get(`${id}:library`), get(`${id}:baseline`)),
              only: 5,
            }),
          );
        }
        rows.push(
          row({
            bench: '5 scale/keys',
            measure: `${mode}: ratio at 1M ÷ ratio at 10k${r100k === null ? "" : ` (ratio at 100k: ${fmt(r100k)})`}`,
            libraryText: fmt(r1m ?? undefined),
            baselineText: fmt(r10k ?? undefined),
            ratio: r1m !== null && r10k !== null ? r1m / r10k : null,
            goal: '≤ 1.2',
            checked: r1m !== null && r10k !== null ? r1m / r10k : undefined,
            limit: 1.2,
            why: missing(get(`b5${m}1m:library`), get(`b5${m}10k:library`)),
            only: 5,
          }),
        );
      }
      return rows;
    },
  },
  {
    n: 6,
    name: 'scale/evict',
    inQuick: false,
    runs: () => [
      ...[10_000, 100_000, 300_000].map((K) => spec(`b6:library:${K}`, 'bench/cases/evict.ts', { impl: 'library', K }, { reps: 3 })),
      ...[10_000, 100_000, 300_000].map((K) => spec(`b6:naive:${K}`, 'bench/cases/evict.ts', { impl: 'group-coalesce', K }, { timeoutMs: 120_000 })),
    ],
    evaluate(get) {
      const rows: Row[] = [];
      for (const K of [10_000, 100_000, 300_000]) {
        rows.push(
          row({
            bench: '6 scale/evict',
            measure: `µs per eviction, K=${KEYS(K)} live keys (library: trigger + converging pass of a delayed key; baseline: naive groupBy duration close)`,
            library: metric(get(`b6:library:${K}`), 'usPerEviction'),
            baseline: metric(get(`b6:naive:${K}`), 'usPerEviction'),
            unit: 'µs',
            goal: '–',
            checked: metric(get(`b6:library:${K}`), 'usPerEviction'),
            limit: 0,
            info: true,
            why: missing(get(`b6:library:${K}`)),
            only: 6,
          }),
        );
      }
      const e10 = metric(get('b6:library:10000'), 'usPerEviction');
      const e300 = metric(get('b6:library:300000'), 'usPerEviction');
      const n10 = metric(get('b6:naive:10000'), 'usPerEviction');
      const n300 = metric(get('b6:naive:300000'), 'usPerEviction');
      rows.push(
        row({
          bench: '6 scale/evict',
          measure: 'µs per eviction at 300k ÷ at 10k',
          library: quotient(e300, e10),
          baseline: quotient(n300, n10),
          ratio: null,
          goal: '≤ 1.5 (flat)',
          checked: quotient(e300, e10),
          limit: 1.5,
          why: missing(get('b6:library:10000'), get('b6:library:300000')),
          only: 6,
        }),
      );
      const over = [10_000, 100_000, 300_000].map((K) => metric(get(`b6:library:${K}`), 'overheadUs')).filter((v): v is number => v !== undefined);
      const worst = over.length > 0 ? Math.max(...over) : undefined;
      rows.push(
        row({
          bench: '6 scale/evict',
          measure: 'eviction cost over a pass of a never-seen key, worst K (µs)',
          library: worst,
          unit: 'µs',
          baselineText: `fresh pass ${fmt(metric(get('b6:library:100000'), 'freshPassUs'), 'µs')} (K=100k)`,
          ratio: null,
          goal: '≤ 1 µs',
          checked: worst,
          limit: 1,
          why: missing(get('b6:library:10000')),
          only: 6,
          failNote: 'heap removal and record deletion of a random delayed key',
        }),
      );
      return rows;
    },
  },
  {
    n: 7,
    name: 'scale/teardown',
    inQuick: true,
    runs: (quick) =>
      quick
        ? [spec('b7:library:10000', 'bench/cases/teardown.ts', { impl: 'library', K: 10_000 })]
        : [
            ...[25_000, 100_000, M].map((K) => spec(`b7:library:${K}`, 'bench/cases/teardown.ts', { impl: 'library', K }, { reps: 3 })),
            ...[25_000, 100_000, M].map((K) => spec(`b7:baseline:${K}`, 'bench/cases/teardown.ts', { impl: 'baseline', K })),
            ...[25_000, 100_000].map((K) =>
              spec(`b7:naive:${K}`, 'bench/cases/teardown.ts', { impl: 'group-coalesce', K, how: 'complete' }, { timeoutMs: 90_000 }),
            ),
            ...[25_000, 100_000].map((K) =>
              spec(`b7:naive-unsub:${K}`, 'bench/cases/teardown.ts', { impl: 'group-coalesce', K, how: 'unsubscribe' }, { timeoutMs: 90_000 }),
            ),
          ],
    evaluate(get, quick) {
      const sizes = quick ? [10_000] : [25_000, 100_000, M];
      const rows: Row[] = sizes.map((K) =>
        row({
          bench: '7 scale/teardown',
          measure: `unsubscribe with K=${KEYS(K)} tracked keys (16 in flight), ns/key (sync call); baseline: naive group-coalesce complete()`,
          library: metric(get(`b7:library:${K}`), 'nsPerKey'),
          baseline: metric(get(`b7:naive:${K}`), 'nsPerKey'),
          libraryText: `${fmt(metric(get(`b7:library:${K}`), 'nsPerKey'), 'ns')} (${fmt(metric(get(`b7:library:${K}`), 'syncMs'), 'ms')})`,
          baselineText:
            get(`b7:naive:${K}`) === undefined
              ? quick
                ? '–'
                : 'not run (quadratic: minutes)'
              : `${fmt(metric(get(`b7:naive:${K}`), 'nsPerKey'), 'ns')} (${fmt(metric(get(`b7:naive:${K}`), 'syncMs'), 'ms')})`,
          unit: 'ns',
          goal: '≤ 1 µs per key',
          checked: metric(get(`b7:library:${K}`), 'nsPerKey'),
          limit: 1000,
          why: missing(get(`b7:library:${K}`)),
          only: 7,
        }),
      );
      if (!quick) {
        const a = metric(get('b7:library:25000'), 'nsPerKey');
        const b = metric(get(`b7:library:${M}`), 'nsPerKey');
        rows.push(
          row({
            bench: '7 scale/teardown',
            measure: 'ns/key at 1M ÷ at 25k',
            library: quotient(b, a),
            baseline: (() => {
              const x = metric(get('b7:naive:25000'), 'nsPerKey');
              const y = metric(get('b7:naive:100000'), 'nsPerKey');
              return quotient(y, x);
            })(),
            baselineText: (() => {
              const x = metric(get('b7:naive:25000'), 'nsPerKey');
              const y = metric(get('b7:naive:100000'), 'nsPerKey');
              return x !== undefined && y !== undefined ? `${fmt(y / x)} (naive, 100k ÷ 25k)` : '–';
            })(),
            ratio: null,
            goal: 'flat (≤ 1.5)',
            checked: quotient(b, a),
            limit: 1.5,
            why: missing(get('b7:library:25000'), get(`b7:library:${M}`)),
            only: 7,
          }),
        );
        rows.push(
          row({
            bench: '7 scale/teardown',
            measure: 'naive group-coalesce unsubscribe(), ns/key at 25k / 100k (info)',
            libraryText: `${fmt(metric(get('b7:naive-unsub:25000'), 'nsPerKey'), 'ns')} / ${fmt(metric(get('b7:naive-unsub:100000'), 'nsPerKey'), 'ns')}`,
            baselineText: `hand-written stop(): ${fmt(metric(get('b7:baseline:100000'), 'nsPerKey'), 'ns')} (100k)`,
            ratio: null,
            goal: '–',
            checked: metric(get('b7:naive-unsub:100000'), 'nsPerKey'),
            limit: 0,
            info: true,
            why: missing(get('b7:naive-unsub:100000')),
            only: 7,
          }),
        );
      }
      return rows;
    },
  },
  {
    n: 8,
    name: 'scale/backlog',
    inQuick: false,
    runs: () => [
      ...[50_000, 200_000, M].flatMap((E) => queueRuns(`b8:${E}`, { mode: 'burst', E, K: E / 10 }, 3)),
      ...[50_000, 100_000].map((E) => spec(`b8:merge-limited:${E}`, Q, { impl: 'merge-limited', mode: 'burst', E, K: E / 10 }, { timeoutMs: 60_000 })),
    ],
    evaluate(get) {
      const rows: Row[] = [];
      for (const E of [50_000, 200_000, M]) {
        rows.push(
          row({
            bench: '8 scale/backlog',
            measure: `burst ns/event, E=${KEYS(E)} over K=${KEYS(E / 10)} (info)`,
            library: metric(get(`b8:${E}:library`), 'nsPerEvent'),
            baseline: metric(get(`b8:${E}:baseline`), 'nsPerEvent'),
            unit: 'ns',
            goal: '–',
            checked: ratioOf(metric(get(`b8:${E}:library`), 'nsPerEvent'), metric(get(`b8:${E}:baseline`), 'nsPerEvent')),
            limit: 0,
            info: true,
            why: missing(get(`b8:${E}:library`), get(`b8:${E}:baseline`)),
            only: 8,
          }),
        );
      }
      const a = metric(get('b8:50000:library'), 'nsPerEvent');
      const b = metric(get(`b8:${M}:library`), 'nsPerEvent');
      const ba = metric(get('b8:50000:baseline'), 'nsPerEvent');
      const bb = metric(get(`b8:${M}:baseline`), 'nsPerEvent');
      rows.push(
        row({
          bench: '8 scale/backlog',
          measure: 'ns/event at E=1M ÷ at E=50k',
          library: quotient(b, a),
          baseline: quotient(bb, ba),
          ratio: null,
          goal: '≤ 1.5',
          checked: quotient(b, a),
          limit: 1.5,
          why: missing(get('b8:50000:library'), get(`b8:${M}:library`)),
          only: 8,
        }),
      );
      const m50 = metric(get('b8:merge-limited:50000'), 'nsPerEvent');
      const m100 = metric(get('b8:merge-limited:100000'), 'nsPerEvent');
      const mergeRow = row({
          bench: '8 scale/backlog',
          table: 'naive',
          measure: 'merge-limited (mergeMap(reconcile, 16)), burst ns/event at E=50k / 100k',
          libraryText: `${fmt(m50, 'ns')} / ${fmt(m100, 'ns')}`,
          baseline: metric(get('b8:50000:baseline'), 'nsPerEvent'),
          unit: 'ns',
          ratio: null,
          goal: 'O(1) per event',
          checked: m100,
          limit: 0,
          info: true,
          why: missing(get('b8:merge-limited:100000')),
          only: 8,
        });
      rows.push({
        ...mergeRow,
        reason:
          m50 !== undefined && m100 !== undefined
            ? `cost per event ×${fmt(m100 / m50)} when the backlog doubles (buffer drained with Array.shift: O(backlog) per event); also same-key overlaps`
            : mergeRow.reason,
      });
      return rows;
    },
  },
  {
    n: 9,
    name: 'memory/pending-bounded',
    inQuick: true,
    runs: (quick) => {
      const E = quick ? 500_000 : 10 * M;
      return [
        spec('b9:library', 'bench/cases/memory.ts', { what: 'pending', impl: 'library', E, K: 1000 }),
        spec('b9:baseline', 'bench/cases/memory.ts', { what: 'pending', impl: 'baseline', E, K: 1000 }),
        ...(quick ? [] : [spec('b9:merge-limited', 'bench/cases/memory.ts', { what: 'pending', impl: 'merge-limited', E, K: 1000 }, { timeoutMs: 60_000 })]),
      ];
    },
    evaluate(get, quick) {
      const L = get('b9:library');
      const B = get('b9:baseline');
      const N = get('b9:merge-limited');
      const lib = metric(L, 'heapGrowthBytes');
      return [
        row({
          bench: '9 memory/pending-bounded',
          measure: `heap growth, ${quick ? '500k' : '10M'} events over 1k keys, passes blocked`,
          library: lib !== undefined ? lib / 1024 : undefined,
          baseline: metric(B, 'heapGrowthBytes') !== undefined ? metric(B, 'heapGrowthBytes')! / 1024 : undefined,
          unit: 'KB',
          ratio: null,
          goal: '< 1 MB',
          checked: lib !== undefined ? lib / 1024 : undefined,
          limit: 1024,
          why: missing(L),
          only: 9,
        }),
        ...(quick
          ? []
          : [
              {
                ...row({
                bench: '9 memory/pending-bounded',
                table: 'naive',
                measure: 'merge-limited: heap growth, 10M events over 1k keys, passes blocked',
                library: metric(N, 'heapGrowthBytes') !== undefined ? metric(N, 'heapGrowthBytes')! / 1024 / 1024 : undefined,
                baseline: metric(B, 'heapGrowthBytes') !== undefined ? metric(B, 'heapGrowthBytes')! / 1024 / 1024 : undefined,
                unit: 'MB',
                ratio: null,
                goal: 'O(dirty keys)',
                checked: metric(N, 'heapGrowthBytes'),
                limit: 0,
                info: true,
                why: missing(N),
                only: 9,
                }),
                reason: `buffers every event: ${fmt(metric(N, 'bytesPerEvent'))} B per pending event (O(events), not O(dirty keys))`,
              },
            ]),
      ];
    },
  },
  {
    n: 10,
    name: 'memory/idle-key',
    inQuick: true,
    runs: (quick) => {
      const K = quick ? 10_000 : 100_000;
      return [
        spec('b10:library', 'bench/cases/memory.ts', { what: 'idle', impl: 'library', K }, { reps: quick ? 1 : 3 }),
        ...(quick
          ? []
          : [
              spec('b10:baseline', 'bench/cases/memory.ts', { what: 'idle', impl: 'baseline', K }, { reps: 3 }),
              spec('b10:group-coalesce', 'bench/cases/memory.ts', { what: 'idle', impl: 'group-coalesce', K }, { timeoutMs: 90_000 }),
            ]),
      ];
    },
    evaluate(get) {
      const lib = metric(get('b10:library'), 'bytesPerIdleKey');
      return [
        row({
          bench: '10 memory/idle-key',
          measure: 'heap retained per idle key (reconciled once)',
          library: lib,
          baseline: metric(get('b10:baseline'), 'bytesPerIdleKey'),
          baselineText: `${fmt(metric(get('b10:baseline'), 'bytesPerIdleKey'), 'B')} (naive groupBy: ${fmt(metric(get('b10:group-coalesce'), 'bytesPerIdleKey'), 'B')})`,
          unit: 'B',
          ratio: null,
          goal: '≤ 100 B (stretch 0)',
          checked: lib,
          limit: 100,
          why: missing(get('b10:library')),
          only: 10,
        }),
      ];
    },
  },
  {
    n: 11,
    name: 'memory/backoff-key',
    inQuick: true,
    runs: (quick) => {
      const K = quick ? 5_000 : 100_000;
      const reps = quick ? 1 : 3;
      return [
        spec('b11:library', 'bench/cases/memory.ts', { what: 'backoff', impl: 'library', K }, { reps }),
        spec('b11:late:library', 'bench/cases/memory.ts', { what: 'lateness', impl: 'library', K, minDelayMs: quick ? 100 : 1000 }, { reps }),
        ...(quick
          ? []
          : [
              spec('b11:baseline', 'bench/cases/memory.ts', { what: 'backoff', impl: 'baseline', K }, { reps }),
              spec('b11:late:baseline', 'bench/cases/memory.ts', { what: 'lateness', impl: 'baseline', K }, { reps }),
            ]),
      ];
    },
    evaluate(get) {
      const L = get('b11:library');
      const B = get('b11:baseline');
      const LL = get('b11:late:library');
      const LB = get('b11:late:baseline');
      const bench = '11 memory/backoff-key';
      return [
        row({
          bench,
          measure: 'heap per key in backoff',
          library: metric(L, 'bytesPerBackoffKey'),
          baseline: metric(B, 'bytesPerBackoffKey'),
          unit: 'B',
          goal: '≤ 150 B',
          checked: metric(L, 'bytesPerBackoffKey'),
          limit: 150,
          why: missing(L),
          only: 11,
          failNote: 'per-key record (KeyState) with all its fields, plus Map entry and heap slot',
        }),
        row({
          bench,
          measure: 'Node timers for all keys in backoff',
          library: metric(L, 'timers'),
          baseline: metric(B, 'timers'),
          ratio: null,
          goal: '1 timer',
          checked: metric(L, 'timers'),
          limit: 1,
          why: missing(L),
          only: 11,
        }),
        row({
          bench,
          measure: 'schedule cost: failing pass − converging pass, ns/key',
          library: metric(L, 'scheduleNs'),
          baseline: metric(B, 'scheduleNs'),
          unit: 'ns',
          ratio: null,
          goal: '≤ 1 µs',
          checked: metric(L, 'scheduleNs'),
          limit: 1000,
          why: missing(L),
          only: 11,
        }),
        row({
          bench,
          measure: 'p99 lateness of wake-ups (requeueAfter, due times spread over 1 s)',
          library: metric(LL, 'p99LateMs'),
          baseline: metric(LB, 'p99LateMs'),
          unit: 'ms',
          goal: '≤ 2 ms',
          checked: metric(LL, 'p99LateMs'),
          limit: 2,
          why: missing(LL),
          only: 11,
        }),
      ];
    },
  },
  {
    n: 12,
    name: 'memory/store',
    inQuick: false,
    runs: () => [spec('b12', 'bench/cases/e2e.ts', { what: 'store', K: 50_000 }, { role: 'library', needs: ['store', 'loop'], timeoutMs: 300_000 })],
    evaluate(get) {
      const A = get('b12');
      const store = metric(A, 'storeBytesPerKey');
      const map = metric(A, 'mapParsedBytesPerKey');
      return [
        row({
          bench: '12 memory/store',
          measure: 'bytes per stored 1.3 KB resource vs Map<key, JSON.parse>',
          library: store,
          baseline: map,
          unit: 'B',
          goal: 'ratio ≤ 1.10',
          checked: ratioOf(store, map),
          limit: 1.1,
          why: missing(A),
          only: 12,
          failNote: `per resource the store also keeps a uid, a version, timestamps and frozen metadata containers (for scale: the same objects copied with structuredClone take ${fmt(metric(A, 'mapClonedBytesPerKey'), 'B')} per key)`,
        }),
        row({
          bench: '12 memory/store',
          measure: 'relist peak (list + buffered watch replay) ÷ steady state',
          library: metric(A, 'relistPeakRatio'),
          baselineText: '–',
          ratio: null,
          goal: '≤ 2×',
          checked: metric(A, 'relistPeakRatio'),
          limit: 2,
          why: missing(A),
          only: 12,
        }),
        row({
          bench: '12 memory/store',
          measure: 'heap a running converged loop holds per stored key (heap while running − after stop)',
          library: metric(A, 'loopBytesPerKey'),
          baselineText: '–',
          unit: 'B',
          ratio: null,
          goal: '≤ 100 B (as #10)',
          checked: metric(A, 'loopBytesPerKey'),
          limit: 100,
          why: missing(A),
          only: 12,
        }),
      ];
    },
  },
  {
    n: 13,
    name: 'latency/open-loop',
    inQuick: false,
    runs: (quick) =>
      quick
        ? [spec('b13:library:100000', 'bench/cases/latency.ts', { impl: 'library', rate: 100_000, durationMs: 1000, warmMs: 300 })]
        : [
            ...[10_000, 100_000, 300_000].flatMap((rate) => [
              spec(`b13:library:${rate}`, 'bench/cases/latency.ts', { impl: 'library', rate }),
              spec(`b13:baseline:${rate}`, 'bench/cases/latency.ts', { impl: 'baseline', rate }),
            ]),
            spec('b13:group-coalesce:100000', 'bench/cases/latency.ts', { impl: 'group-coalesce', rate: 100_000 }, { timeoutMs: 60_000 }),
          ],
    evaluate(get, quick) {
      const rows: Row[] = [];
      const lat = (rate: number, what: string, limitUs: number, goal: string, info = false): void => {
        const L = get(`b13:library:${rate}`);
        const B = get(`b13:baseline:${rate}`);
        const lib = metric(L, what);
        const achieved = metric(L, 'achievedRate');
        rows.push(
          row({
            bench: '13 latency/open-loop',
            measure: `${what.replace('Us', '')} enqueue→start at ${KEYS(rate)}/s, K=10k${achieved !== undefined && achieved < rate * 0.95 ? ` (achieved ${KEYS(Math.round(achieved))}/s)` : ''}`,
            library: lib,
            baseline: metric(B, what),
            unit: 'µs',
            libraryText: `${fmt(lib, 'µs')} (event-loop delay p99 ${fmt(metric(L, 'eventLoopDelayP99Ms'), 'ms')})`,
            baselineText: `${fmt(metric(B, what), 'µs')} (event-loop delay p99 ${fmt(metric(B, 'eventLoopDelayP99Ms'), 'ms')})`,
            goal,
            checked: lib,
            limit: limitUs,
            info,
            why: missing(L),
            only: 13,
          }),
        );
      };
      lat(100_000, 'warmP99Us', 100, 'warm p99 ≤ 0.1 ms');
      if (!quick) {
        lat(100_000, 'warmP999Us', 1000, 'warm p99.9 ≤ 1 ms');
        lat(100_000, 'coldP99Us', 1000, 'cold p99 ≤ 1 ms');
        lat(300_000, 'warmP99Us', 1000, 'warm p99 ≤ 1 ms');
        lat(10_000, 'warmP99Us', 0, '–', true);
        const N = get('b13:group-coalesce:100000');
        const naiveCold = metric(N, 'coldP99Us');
        const baseCold = metric(get('b13:baseline:100000'), 'coldP99Us');
        rows.push({
          ...row({
            bench: '13 latency/open-loop',
            table: 'naive',
            measure: 'group-coalesce at 100k/s: warm p99 / cold p99 (µs)',
            libraryText: `${fmt(metric(N, 'warmP99Us'), 'µs')} / ${fmt(metric(N, 'coldP99Us'), 'µs')}`,
            baselineText: `${fmt(metric(get('b13:baseline:100000'), 'warmP99Us'), 'µs')} / ${fmt(metric(get('b13:baseline:100000'), 'coldP99Us'), 'µs')}`,
            ratio: null,
            goal: '–',
            checked: metric(N, 'warmP99Us'),
            limit: 0,
            info: true,
            why: missing(N),
            only: 13,
          }),
          reason:
            naiveCold !== undefined && baseCold !== undefined
              ? `cold p99 ${fmt(naiveCold / baseCold)}× the queue's: a group and its subscriber chain are built on first contact with each key`
              : '–',
        });
      }
      return rows;
    },
  },
  {
    n: 14,
    name: 'latency/priority-under-resync',
    inQuick: true,
    runs: (quick) => {
      const K = quick ? 2000 : 100_000;
      return [
        spec('b14:library', 'bench/cases/priority.ts', { impl: 'library', K, fresh: true }, { timeoutMs: 300_000 }),
        ...(quick
          ? []
          : [
              spec('b14:library:alone', 'bench/cases/priority.ts', { impl: 'library', K, fresh: false }, { timeoutMs: 300_000 }),
              spec('b14:baseline', 'bench/cases/priority.ts', { impl: 'baseline', K, fresh: true }, { timeoutMs: 300_000 }),
            ]),
      ];
    },
    evaluate(get, quick) {
      const L = get('b14:library');
      const A = get('b14:library:alone');
      const B = get('b14:baseline');
      const drain = metric(L, 'resyncDrainMs');
      const alone = metric(A, 'resyncDrainMs');
      const rows = [
        row({
          bench: '14 latency/priority-under-resync',
          measure: `fresh events p99 enqueue→start, ${quick ? '2k' : '100k'}-key resync, 1k fresh/s, 1 ms passes, N=16 (baseline: one FIFO, no priorities)`,
          library: metric(L, 'freshP99Ms'),
          baseline: metric(B, 'freshP99Ms'),
          unit: 'ms',
          libraryText: `${fmt(metric(L, 'freshP99Ms'), 'ms')} (event-loop delay p99 ${fmt(metric(L, 'eventLoopDelayP99Ms'), 'ms')}, max ${fmt(metric(L, 'eventLoopDelayMaxMs'), 'ms')})`,
          goal: '≤ 2 × 1 ms + 1 ms',
          checked: metric(L, 'freshP99Ms'),
          limit: 3,
          why: missing(L),
          only: 14,
        }),
      ];
      if (!quick) {
        rows.push(
          row({
            bench: '14 latency/priority-under-resync',
            measure: 'resync drain time with fresh load ÷ without',
            libraryText: `${fmt(drain, 'ms')} vs ${fmt(alone, 'ms')}`,
            baselineText: `${fmt(metric(B, 'resyncDrainMs'), 'ms')} (ideal ${fmt(metric(L, 'idealDrainMs'), 'ms')})`,
            ratio: drain !== undefined && alone !== undefined ? drain / alone : null,
            goal: '≤ 1.25',
            checked: quotient(drain, alone),
            limit: 1.25,
            why: missing(L, A),
            only: 14,
          }),
        );
      }
      return rows;
    },
  },
  {
    n: 15,
    name: 'throughput/io-bound',
    inQuick: false,
    runs: () =>
      [16, 64].flatMap((N) => [
        spec(`b15:library:${N}`, 'bench/cases/iobound.ts', { impl: 'library', N, K: 200_000 }),
        spec(`b15:baseline:${N}`, 'bench/cases/iobound.ts', { impl: 'baseline', N, K: 200_000 }),
      ]),
    evaluate(get) {
      return [16, 64].map((N) => {
        const L = get(`b15:library:${N}`);
        const B = get(`b15:baseline:${N}`);
        const eff = metric(L, 'efficiency');
        return row({
          bench: '15 throughput/io-bound',
          measure: `passes/s ÷ (N / T), T = 2 ms timer (measured ${fmt(metric(L, 'measuredIoMs'), 'ms')}), N=${N}; nominal ${fmt(metric(L, 'efficiencyNominal') !== undefined ? metric(L, 'efficiencyNominal')! * 100 : undefined, '%')}`,
          library: eff !== undefined ? eff * 100 : undefined,
          baseline: metric(B, 'efficiency') !== undefined ? metric(B, 'efficiency')! * 100 : undefined,
          unit: '%',
          goal: '≥ 95% (T as measured)',
          checked: eff !== undefined ? eff * 100 : undefined,
          limit: 95,
          direction: 'min',
          why: missing(L),
          only: 15,
        });
      });
    },
  },
  {
    n: 16,
    name: 'diff/equal',
    inQuick: false,
    runs: () => [spec('b16', 'bench/cases/objects.ts', {}, { role: 'library', needs: ['status', 'store', 'loop'] })],
    evaluate(get) {
      const A = get('b16');
      const pair = (name: string, lib: string, base: string, goal: string, limit: number, absolute = false): Row => {
        const l = metric(A, lib);
        const b = metric(A, base);
        return row({
          bench: '16 diff/equal',
          measure: `${name}, ns/op (statusEquals vs fast-deep-equal)`,
          library: l,
          baseline: b,
          unit: 'ns',
          goal,
          checked: absolute ? l : ratioOf(l, b),
          limit,
          why: missing(A),
          only: 16,
        });
      };
      return [
        pair('equal deep clone (full walk)', 'libEqualNs', 'fdeEqualNs', 'ratio ≤ 1.2', 1.2),
        pair('same reference', 'libSameRefNs', 'fdeSameRefNs', '≤ 10 ns', 10, true),
        pair('differs early', 'libEarlyNs', 'fdeEarlyNs', 'ratio ≤ 1.2', 1.2),
        pair('differs late', 'libLateNs', 'fdeLateNs', 'ratio ≤ 1.2', 1.2),
      ];
    },
  },
  {
    n: 17,
    name: 'status/write',
    inQuick: false,
    runs: () => [],
    evaluate(get) {
      const A = get('b16');
      const lib = metric(A, 'libPatchNs');
      const sw = metric(A, 'storeWrites');
      const lw = metric(A, 'loopWrites');
      return [
        row({
          bench: '17 status/write',
          measure: '3-field status change: produceStatus (immer) vs hand-written spread, ns',
          library: lib,
          baseline: metric(A, 'spreadPatchNs'),
          unit: 'ns',
          goal: '≤ 1.5 µs',
          checked: lib,
          limit: 1500,
          why: missing(A),
          only: 16,
          failNote: 'immer produce on a frozen base',
        }),
        row({
          bench: '17 status/write',
          measure: 'writes caused by unchanged status (1,000 store.updateStatus + 500 passes of a converged loop)',
          library: sw !== undefined && lw !== undefined ? sw + lw : undefined,
          baselineText: '–',
          ratio: null,
          goal: '0 writes',
          checked: sw !== undefined && lw !== undefined ? sw + lw : undefined,
          limit: 0,
          why: missing(A),
          only: 16,
        }),
      ];
    },
  },
  {
    n: 18,
    name: 'cpu/no-change-reconcile',
    inQuick: true,
    runs: (quick) =>
      quick
        ? [spec('b18:reconcile', 'bench/cases/e2e.ts', { what: 'nochange', K: 500, M: 1000, style: 'reconcile' }, { role: 'library', needs: ['store', 'loop'] })]
        : [
            spec('b18:reconcile', 'bench/cases/e2e.ts', { what: 'nochange', K: 10_000, M: 20_000, rounds: 7, style: 'reconcile' }, { role: 'library', needs: ['store', 'loop'] }),
            spec('b18:phases', 'bench/cases/e2e.ts', { what: 'nochange', K: 10_000, M: 20_000, rounds: 7, style: 'phases' }, { role: 'library', needs: ['store', 'loop'] }),
            spec(
              'b18:reconcile-noconditions',
              'bench/cases/e2e.ts',
              { what: 'nochange', K: 10_000, M: 20_000, rounds: 7, style: 'reconcile', conditions: false },
              { role: 'library', needs: ['store', 'loop'] },
            ),
            spec('b18:none', 'bench/cases/e2e.ts', { what: 'nochange', K: 10_000, M: 20_000, rounds: 7, style: 'none' }, { role: 'info', needs: ['store'] }),
          ],
    evaluate(get, quick) {
      const bench = '18 cpu/no-change-reconcile';
      /** An info row in µs: `figure` of the run `agg`, next to `baselineText`. */
      const info = (measure: string, agg: Aggregate | undefined, figure: string, baselineText: string): Row => {
        const value = metric(agg, figure);
        return row({ bench, measure, library: value, baselineText, unit: 'µs', ratio: null, goal: '–', checked: value, limit: 0, info: true, why: missing(agg), only: 18 });
      };
      const rows: Row[] = [];
      for (const style of quick ? ['reconcile'] : ['reconcile', 'phases']) {
        const A = get(`b18:${style}`);
        const v = metric(A, 'frameworkUsPerEvent');
        const name = style === 'reconcile' ? 'reconcile (Halo)' : 'observe/compare/correct/verify';
        rows.push(
          row({
            bench,
            measure: `library CPU per no-change watch event, defineLoop ${name} style, incl. the pass's fast-deep-equal of the spec (median of ${quick ? 3 : 7} alternating rounds)`,
            library: v,
            baselineText: `store write alone ${fmt(metric(A, 'writesAloneUsPerEvent'), 'µs')}`,
            unit: 'µs',
            ratio: null,
            goal: '≤ 2.5 µs',
            checked: v,
            limit: 2.5,
            why: missing(A),
            only: 18,
          }),
        );
        if (!quick) {
          rows.push(
            info(
              `same, ${name} style, without the pass's own fast-deep-equal (measured alone in the same process, every round) (info: the library's share)`,
              A,
              'libraryOnlyUsPerEvent',
              `the diff alone ${fmt(metric(A, 'specDiffUsPerEvent'), 'µs')}`,
            ),
          );
        }
      }
      if (!quick) {
        const C = get('b18:none');
        rows.push(
          info(
            'same, reconcile style with `conditions: false` (no status conditions), without the diff (info: what the conditions cost)',
            get('b18:reconcile-noconditions'),
            'libraryOnlyUsPerEvent',
            `with conditions ${fmt(metric(get('b18:reconcile'), 'libraryOnlyUsPerEvent'), 'µs')}`,
          ),
          info(
            'method check: the same alternating rounds with no loop at all (info: the drift of the method, ideally 0)',
            C,
            'frameworkUsPerEvent',
            `store write alone ${fmt(metric(C, 'writesAloneUsPerEvent'), 'µs')}`,
          ),
        );
      }
      return rows;
    },
  },
  ...NEVER_STOP_BENCHMARKS,
  ...EASY_MODE_BENCHMARKS,
  ...SQLITE_BENCHMARKS,
  ...ETCD_BENCHMARKS,
  ...ADMIN_BENCHMARKS,
  ...PASS_PATH_BENCHMARKS,
];

/** Machine floors, to read absolute goals in context (set on a faster machine). */
export const FLOOR: RunSpec = spec('floor', 'bench/cases/floor.ts', { iterations: 1_000_000, loops: 5 }, { role: 'info' });
