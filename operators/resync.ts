import { EMPTY, asyncScheduler, catchError, defer, exhaustMap, from, map, mergeMap } from 'rxjs';
import type { Observable, SchedulerLike } from 'rxjs';
import { z } from 'zod';
import { every, noopLogger, safeLogger, toError } from '../src/index.js';
import type { Key, Logger, MaybeAsync, ReconcileRequest } from '../src/index.js';
import { checkOptions, period } from '../src/check-options.js';
import { listedKeys } from './loop/listed-keys.js';
import { listingDeadline } from './loop/listing-deadline.js';
import { toObservable } from './read.js';

/** Options of {@link resync}. */
export interface ResyncOptions {
  /** Period in ms between two resyncs (> 0; any length: periods above 24.8 days are chained timers). */
  readonly every: number;
  /** Lists every key to resync (a value, Promise or Observable of an iterable of keys). */
  readonly keys: () => MaybeAsync<Iterable<Key>>;
  /** Time source. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Where a failed listing is logged. */
  readonly logger?: Logger;
  /** Called when a listing failed (that round is skipped; the next period tries again). */
  readonly onError?: (error: Error) => void;
}

const optionsSchema = z.strictObject({
  every: period(),
  keys: z.custom<ResyncOptions['keys']>((v) => typeof v === 'function', 'must be a function listing the keys'),
  scheduler: z.custom<SchedulerLike>((v) => typeof v === 'object' && v !== null, 'must be a SchedulerLike').optional(),
  logger: z.custom<Logger>((v) => typeof v === 'object' && v !== null, 'must be a pino-compatible logger').optional(),
  onError: z.custom<ResyncOptions['onError']>((v) => typeof v === 'function', 'must be a function').optional(),
});

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
 * import { Outcome, createMemoryStore, keyOf } from 'rx-reconcile';
 * import { resync, watchRequests, workQueue } from 'rx-reconcile/operators';
 *
 * const store = createMemoryStore();
 * merge(
 *   watchRequests(store, 'Todo'),
 *   resync({ every: 60_000, keys: async () => (await store.list('Todo')).map(keyOf) }),
 * ).pipe(workQueue(() => Outcome.converged(), { workers: 2 })).subscribe();
 * ```
 *
 * ## Guarantees
 * - Never errors and never completes: a listing that throws, rejects, errors or yields something
 *   that is not an iterable of keys skips that round (logged, `onError`), and the next period
 *   lists again (G14). So does a listing that has not produced its keys within ten periods (a
 *   minute at least; a `TransientError`): a hung call cannot switch resync off. Keys that are not non-empty strings are
 *   left out.
 * - Periods of any length work; options are checked when the source is made.
 */
export function resync(options: ResyncOptions): Observable<ReconcileRequest> {
  checkOptions('resync', optionsSchema, options);
  const logger = safeLogger(options.logger ?? noopLogger);
  const fail = (error: unknown): Observable<never> => {
    const err = toError(error);
    logger.warn({ err }, 'Resync listing failed: this round is skipped');
    try {
      options.onError?.(err);
    } catch {
      // A reporting callback may not stop the resync.
    }
    return EMPTY;
  };
  const scheduler = options.scheduler ?? asyncScheduler;
  return every(options.every, scheduler).pipe(
    exhaustMap(() =>
      defer(() => toObservable(options.keys())).pipe(
        // A listing that never settles would skip every later round: ten periods at most (a minute at least).
        listingDeadline(options.every, 'The resync listing (keys)', scheduler),
        mergeMap((answer) => {
          const { keys, dropped } = listedKeys(answer, 'The resync listing (keys)');
          if (dropped > 0) logger.warn({ dropped }, 'Resync listing: entries that are not non-empty strings were left out');
          return from(keys);
        }),
        catchError(fail),
      ),
    ),
    map((key): ReconcileRequest => ({ key, reason: 'resync', priority: 'low' })),
  );
}
