/**
 * The orphan sweep: keys that exist in the world but not (or no longer) in the desired state — left
 * behind by a crash, a deletion the loop never saw, someone else — get a pass too, which finds no
 * desired state and cleans up. The loop lists the world's keys with its `worldKeys` function once at
 * start and then at every resync period.
 *
 * @module
 */
import { EMPTY, catchError, concat, defer, exhaustMap, from, mergeMap, of } from 'rxjs';
import type { Observable, SchedulerLike } from 'rxjs';
import { every as everyPeriod, toError } from '../../src/index.js';
import type { Key, Logger, MaybeAsync, ReconcileRequest } from '../../src/index.js';
import { toObservable } from '../read.js';
import { listedKeys } from './listed-keys.js';
import { listingDeadline } from './listing-deadline.js';

/** Requests (low lane, reason `resync`) for every key of the world: at start, then every `every` ms. */
export function worldKeysSource(
  list: () => MaybeAsync<Iterable<Key>>,
  options: { readonly every: number | undefined; readonly scheduler: SchedulerLike; readonly logger: Logger; readonly onError: (error: Error) => void },
): Observable<ReconcileRequest> {
  const { every, scheduler, logger, onError } = options;
  const round = (): Observable<ReconcileRequest> =>
    defer(() => toObservable(list())).pipe(
      // A sweep that never settles would skip every later one: ten periods at most (a minute at least).
      listingDeadline(every ?? 0, 'The world keys listing (worldKeys)', scheduler),
      mergeMap((answer) => {
        const { keys, dropped } = listedKeys(answer, 'The world keys listing (worldKeys)');
        if (dropped > 0) logger.warn({ dropped }, 'World keys listing: entries that are not non-empty strings were left out');
        return from(keys.map((key): ReconcileRequest => ({ key, reason: 'resync', priority: 'low' })));
      }),
      catchError((error: unknown) => {
        const err = toError(error);
        logger.warn({ err }, 'World keys listing failed: this sweep is skipped');
        onError(err);
        return EMPTY;
      }),
    );
  const ticks: Observable<unknown> = every === undefined ? of(0) : concat(of(0), everyPeriod(every, scheduler));
  return ticks.pipe(exhaustMap(round));
}
