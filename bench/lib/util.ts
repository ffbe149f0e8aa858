/**
 * Small helpers shared by every benchmark child process: clocks, heap, statistics, argument parsing
 * and the one-line JSON protocol the driver (`bench/run.ts`) reads.
 */

/** Monotonic clock in nanoseconds (as a double: exact below 2^53 ns, i.e. ~104 days of uptime). */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/** Heap in use after several full collections. Needs `node --expose-gc`. */
export function heapUsed(): number {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

const kept: unknown[] = [];
/**
 * Keeps values reachable until the process ends. Call it AFTER a heap measurement with everything
 * the measured structure hangs on: otherwise V8 may see a queue as dead once its last use is behind,
 * collect it, and report its memory as freed.
 */
export function keepAlive(...values: unknown[]): void {
  kept.push(...values);
}

/** Number of live Node timers (`Timeout` handles) in this process. */
export function activeTimers(): number {
  let n = 0;
  for (const r of process.getActiveResourcesInfo()) if (r === 'Timeout') n++;
  return n;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile of an already sorted array (p in 0..100). */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Latency summary (input in ns, output in µs). */
export interface LatencySummary {
  readonly count: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly maxUs: number;
}

export function summarizeNs(samples: readonly number[] | Float64Array): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const us = (v: number): number => Math.round(v / 10) / 100;
  return {
    count: sorted.length,
    p50Us: us(percentileSorted(sorted, 50)),
    p99Us: us(percentileSorted(sorted, 99)),
    p999Us: us(percentileSorted(sorted, 99.9)),
    maxUs: us(sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN),
  };
}

/** One macrotask. */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with `true` when `p` settles within `ms`, with `false` otherwise. */
export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Parameters arrive as one JSON object in `--params=<json>`. */
export function readParams<T extends object>(defaults: T): T {
  const arg = process.argv.find((a) => a.startsWith('--params='));
  const given = arg === undefined ? {} : (JSON.parse(arg.slice('--params='.length)) as Partial<T>);
  return { ...defaults, ...given };
}

/** Marker the driver looks for on stdout. */
export const RESULT_MARKER = '@@BENCH-RESULT ';

/** Correctness counters every queue benchmark reports. A non-zero count fails the run. */
export interface Violations {
  /** A key started while another pass of the same key was running (G1). */
  overlaps: number;
  /** Keys whose last event arrived after their last pass started (lost update, G2/G5). */
  stale: number;
  /** Passes started while `workers` were already running (max in flight above the limit). */
  overLimit: number;
  /** Pass counts that differ from the exact coalescing rule (G3). */
  coalescing: number;
  /** Anything else the case checks (results count mismatch, queue not idle, …). */
  other: number;
}

export function noViolations(): Violations {
  return { overlaps: 0, stale: 0, overLimit: 0, coalescing: 0, other: 0 };
}

export interface CaseResult {
  readonly metrics: Record<string, number | string | boolean | null>;
  readonly violations: Violations;
  readonly notes?: readonly string[];
}

/**
 * Runs a case's main function, prints its result line and ends the process at once: no teardown
 * (naive RxJS pipelines tear down in O(n²), and the driver only needs the numbers).
 */
export function runCase(main: () => Promise<CaseResult>): void {
  main().then(
    (result) => {
      process.stdout.write(RESULT_MARKER + JSON.stringify(result) + '\n', () => process.exit(0));
    },
    (error: unknown) => {
      process.stderr.write(`case failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(2);
    },
  );
}
