import { asyncScheduler, exhaustMap, from, interval, map, mergeMap } from 'rxjs';
import type { Observable, SchedulerLike } from 'rxjs';
import { InvalidArgumentError } from '../src/index.js';
import type { Key, MaybeAsync, Request } from '../src/index.js';
import { toObservable } from './read.js';

/** Options of {@link resync}. */
export interface ResyncOptions {
  /** Period in ms between two resyncs. */
  readonly every: number;
  /** Lists every key to resync (a value, Promise or Observable of an iterable of keys). */
  readonly keys: () => MaybeAsync<Iterable<Key>>;
  /** Time source. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/**
 * Emits a low-priority `resync` request for every key, every `every` ms: the level-triggered safety
 * net that repairs dropped, reordered or stale events (G5).
 *
 * Merge it with the other triggers in front of `workQueue`. Its requests go to the queue's low lane,
 * so real changes overtake a resync flood; a key already waiting collapses with its resync. A listing
 * still running when the next period starts is not started twice.
 *
 * ## Example
 * ```ts
 * import { merge } from 'rxjs';
 * import { keyOf } from 'rx-reconcile';
 * import { resync, watchRequests, workQueue } from 'rx-reconcile/operators';
 *
 * merge(
 *   watchRequests(store, 'Todo'),
 *   resync({ every: 60_000, keys: async () => (await store.list('Todo')).map(keyOf) }),
 * ).pipe(workQueue(reconcileTodo, { workers: 2 }));
 * ```
 */
export function resync(options: ResyncOptions): Observable<Request> {
  if (!Number.isFinite(options.every) || options.every <= 0) {
    throw new InvalidArgumentError(`resync: every must be a period in ms > 0, got ${String(options.every)}`);
  }
  return interval(options.every, options.scheduler ?? asyncScheduler).pipe(
    exhaustMap(() => toObservable(options.keys())),
    mergeMap((keys) => from(keys)),
    map((key): Request => ({ key, reason: 'resync', priority: 'low' })),
  );
}
