import { Observable } from 'rxjs';
import type { OperatorFunction } from 'rxjs';
import { InvalidArgumentError, KeyedQueue, checkWorkQueueOptions } from '../src/index.js';
import type { Key, PassResult, ReconcileRequest, Work, WorkQueueOptions } from '../src/index.js';

/**
 * Runs `work` once per key at a time, collapsing triggers, and emits one `PassResult` per finished pass.
 *
 * The source is a stream of triggers: keys (counted as `watch` triggers) or `ReconcileRequest`s. Each key is
 * handed to `work` with bounded concurrency (`workers`); the `Outcome` a pass ends in feeds back into
 * the queue: `requeueAfter(ms)` and `retry` (per-key backoff) come back at their time, through one
 * timer for all delayed keys; `waiting` comes back after its fixed interval; `terminal` parks the key
 * until its desired generation changes. Wrap the pass with `withFinalizer`, `withSchema` and
 * `withConditions` for finalizers, spec validation and status conditions.
 *
 * Use it as the heart of a hand-written loop (`merge(watch$, resync$).pipe(workQueue(...))`); the
 * easy-mode `defineLoop` is built on it. Pass a `control` (`createQueueControl()`) to trigger,
 * release, inspect or stop the queue from outside.
 *
 * The queue is an imperative keyed structure (a Map, two head-indexed FIFOs and one timer heap) inside
 * a single `Observable`: a `groupBy` chain per key costs several times more per event and per key
 * (see BENCHMARKS.md), so this is one of the few places where composing RxJS operators is not enough.
 *
 * ## Example
 * ```ts
 * import { Subject } from 'rxjs';
 * import { Outcome } from 'rx-reconcile';
 * import { workQueue } from 'rx-reconcile/operators';
 *
 * const syncOne = async (key: string): Promise<void> => console.log('syncing', key);
 * const keys$ = new Subject<string>();
 * keys$
 *   .pipe(workQueue(async (request) => {
 *     await syncOne(request.key);
 *     return Outcome.requeueAfter(60_000); // look again in a minute
 *   }, { workers: 4 }))
 *   .subscribe((result) => console.log(result.key, result.outcome.type));
 * keys$.next('a'); keys$.next('a'); // collapses into one pass (or one more pass if 'a' is running)
 * ```
 *
 * ## Guarantees
 * - A key never runs in two passes at once, whatever `workers` is (G1).
 * - A trigger that arrives while its key runs causes exactly one more pass after it (G2).
 * - Triggers for a key that is waiting collapse into one pass; of two delays the earlier wins (G3).
 * - Ready keys start in FIFO order; `resync`/`initial` triggers go to a low lane that real changes
 *   overtake, and aging starts one low-lane key after every `agingEvery` high-lane starts (G4).
 * - A throwing, rejecting or erroring pass becomes `Outcome.retry(error)`; the stream never errors
 *   because of a pass (G7). Only an error of the source itself errors the output.
 * - Failures are classified (G11; `classify` overrides, unknown errors and non-Error throws are
 *   transient) and each class has its own counter in `snapshot().counters.errorsByClass`:
 *   - `transient`: retried after `Backoff.delayFor(backoff, failures)` (at least the `rateLimit` wait);
 *   - `conflict`: retried at once, up to `conflictRetries` times in a row, then like `transient`;
 *   - `permanent` (or `Outcome.terminal`): parked, no retry until a new desired revision, a release or
 *     a manual trigger;
 *   - `dependency` (`DependencyNotReadyError`, `Outcome.waiting`): waits a fixed interval, counts no
 *     failure, never grows; a `dependency` trigger ends the wait at once.
 * - A success resets the key's failure count (G6). A failure that would need retry number
 *   `steps + 1` quarantines the key instead (G12): listed in `snapshot().parked` with its last error,
 *   class and attempt count, released by `control.release(key)`, a manual trigger or a new revision.
 * - With `convergenceDeadline`, a key whose revision has not converged in time is reported once through
 *   `hooks.onOverdue` and flagged `overdue`; it keeps running. One timer serves all keys.
 * - `stop({ deadline })` starts no new pass, aborts the running ones at the deadline (`StoppedError`
 *   on their signal) and resolves when none runs (G10).
 * - Idle keys with no failure history hold no memory; teardown is O(1) per key.
 *
 * ## Caveats
 * - A pass that times out (`timeout`) or is cut at a stop deadline is aborted through its
 *   `AbortSignal`; the key is free to run again, so work must honour the signal to stay exclusive.
 * - The output completes when the source has completed and no key is queued, running or delayed.
 *
 * @param work The pass for one key: returns an `Outcome` or nothing (converged), as a value, a
 *   Promise or an Observable (its last value counts).
 * @param options Workers, scheduler, backoff, rate limit, failure classes, timeout, hooks, control.
 * @see {@link createQueueControl}
 */
export function workQueue(work: Work, options: WorkQueueOptions = {}): OperatorFunction<Key | ReconcileRequest, PassResult> {
  if (typeof work !== 'function') throw new InvalidArgumentError(`workQueue: work must be a function (request, context) => outcome (got ${typeof work})`);
  checkWorkQueueOptions(options);
  return (source) =>
    new Observable<PassResult>((subscriber) => {
      const control = options.control;
      const queue = new KeyedQueue(work, (result) => subscriber.next(result), options);
      queue.onStopped = () => subscriber.complete();
      control?.attach(queue);
      const upstream = source.subscribe({
        next: (item) => queue.add(item),
        error: (error: unknown) => subscriber.error(error),
        complete: () => queue.onIdle(() => subscriber.complete()),
      });
      return () => {
        upstream.unsubscribe();
        control?.detach(queue);
        queue.dispose();
      };
    });
}
