/**
 * A recorder of time to converge for `describeLoops`' measured figures, fed by the loops' own
 * `results$` — nothing runs unless you ask for it.
 *
 * @module
 */
import type { Observable, Subscription } from 'rxjs';
import { InvalidArgumentError } from '../../src/index.js';
import type { Key, PassResult } from '../../src/index.js';

/** p50, p99 and max of a set of samples (nearest-rank percentiles). */
export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** How a loop converged while it was watched. */
export interface ConvergenceFigures {
  /** Desired revisions that converged while watched. */
  readonly converged: number;
  /** Keys whose latest desired revision has not converged yet. */
  readonly pending: number;
  /** Time to converge in ms, over the most recent samples; undefined before the first. */
  readonly timeToConverge: Percentiles | undefined;
  /** Passes it took per converged revision (1 = the first pass converged), over the most recent samples. */
  readonly passesToConverge: Percentiles | undefined;
}

/** What {@link watchLoops} needs of a loop (a running `Loop` fits). */
export interface WatchableLoop {
  readonly name: string;
  readonly results$: Observable<PassResult>;
}

/** Options of {@link watchLoops}. */
export interface WatchLoopsOptions {
  /** Samples kept per loop (the most recent). Default 10 000. */
  readonly maxSamples?: number;
}

/** A running recorder; see {@link watchLoops}. */
export interface LoopWatch {
  /** The figures of the loop named `loop`; undefined for a loop not watched. */
  convergence(loop: string): ConvergenceFigures | undefined;
  /** Stops recording (the figures stay readable). */
  stop(): void;
}

interface KeyRecord {
  /** The desired revision that last converged. */
  converged: number | undefined;
  /** The revision being converged, when known. */
  revision: number | undefined;
  /** Start of the first pass of the revision being converged; undefined when converged. */
  since: number | undefined;
  passes: number;
}

class Samples {
  private readonly values: number[] = [];
  private next = 0;
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  add(value: number): void {
    if (this.values.length < this.max) this.values.push(value);
    else this.values[this.next] = value;
    this.next = (this.next + 1) % this.max;
  }
  percentiles(): Percentiles | undefined {
    if (this.values.length === 0) return undefined;
    const sorted = [...this.values].sort((a, b) => a - b);
    const rank = (p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number;
    return { count: sorted.length, p50: rank(0.5), p99: rank(0.99), max: sorted[sorted.length - 1] as number };
  }
}

class LoopRecord {
  readonly keys = new Map<Key, KeyRecord>();
  readonly time: Samples;
  readonly passes: Samples;
  converged = 0;
  constructor(maxSamples: number) {
    this.time = new Samples(maxSamples);
    this.passes = new Samples(maxSamples);
  }

  record(result: PassResult): void {
    const revision = result.request.revision;
    let key = this.keys.get(result.key);
    if (key === undefined) {
      key = { converged: undefined, revision: undefined, since: undefined, passes: 0 };
      this.keys.set(result.key, key);
    }
    const type = result.outcome.type;
    const settled = type === 'converged' || type === 'requeueAfter';
    if (revision !== undefined && revision !== key.converged && revision !== key.revision) {
      // A new desired revision: its clock starts with this pass (if an older one was still
      // converging, the newer one replaces it, as the queue's convergence clock does).
      key.revision = revision;
      key.since = result.startedAt;
      key.passes = 0;
    } else if (key.since === undefined && !settled) {
      // A pass of a converged revision (resync, manual) found work it could not finish: a streak starts.
      key.since = result.startedAt;
      key.passes = 0;
    }
    if (key.since === undefined) return;
    key.passes += 1;
    if (!settled) return;
    this.time.add(Math.max(0, result.finishedAt - key.since));
    this.passes.add(key.passes);
    this.converged += 1;
    key.converged = key.revision ?? key.converged;
    key.revision = undefined;
    key.since = undefined;
    key.passes = 0;
    // An odd revision is a deletion (`watchRequests`' convention): the key is gone, forget it.
    if (key.converged !== undefined && key.converged % 2 === 1) this.keys.delete(result.key);
  }

  figures(): ConvergenceFigures {
    let pending = 0;
    for (const key of this.keys.values()) if (key.since !== undefined) pending += 1;
    return { converged: this.converged, pending, timeToConverge: this.time.percentiles(), passesToConverge: this.passes.percentiles() };
  }
}

/**
 * Starts recording how long the loops take to converge, for the measured figures of
 * `describeLoops(loops, { live: watch })`: subscribe before the changes you want measured.
 *
 * Time to converge is measured per key and desired revision, from the start of the first pass that
 * saw the revision to the end of the pass that converged it (`converged` or `requeueAfter`, as the
 * queue's convergence clock counts it) — backoff and waits between passes included, the time the
 * trigger waited in the queue before the first pass not (the Prometheus adapter's
 * `reconcile_time_to_converge_seconds` measures from the trigger). A pass without a revision (resync,
 * manual trigger) of a converged revision that fails starts a streak measured the same way. Cost: one small record per key
 * (dropped when a deletion converges) and a ring of `maxSamples` numbers per loop; nothing else runs.
 *
 * ## Example
 * ```ts
 * import { describeLoops, watchLoops } from 'rx-reconcile';
 * import type { Loop } from 'rx-reconcile';
 *
 * declare const loop: Loop;
 * const watch = watchLoops([loop]);
 * // … the loop runs …
 * console.log(describeLoops([loop], { live: watch })); // time to converge p50 / p99 next to the deadline
 * watch.stop();
 * ```
 */
export function watchLoops(loops: readonly WatchableLoop[], options: WatchLoopsOptions = {}): LoopWatch {
  const maxSamples = options.maxSamples ?? 10_000;
  if (!Number.isInteger(maxSamples) || maxSamples < 1 || maxSamples > 10_000_000) {
    throw new InvalidArgumentError(`watchLoops: maxSamples must be an integer from 1 to 10000000 (got ${String(maxSamples)})`);
  }
  const records = new Map<string, LoopRecord>();
  const subscriptions: Subscription[] = [];
  for (const loop of loops) {
    let record = records.get(loop.name);
    if (record === undefined) records.set(loop.name, (record = new LoopRecord(maxSamples)));
    const target = record;
    subscriptions.push(loop.results$.subscribe({ next: (result) => target.record(result), error: () => undefined }));
  }
  return {
    convergence: (loop) => records.get(loop)?.figures(),
    stop: () => {
      for (const subscription of subscriptions) subscription.unsubscribe();
    },
  };
}
