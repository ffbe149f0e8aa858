import { filter, map } from 'rxjs';
import type { Observable } from 'rxjs';
import { z } from 'zod';
import { keyOf, noopLogger, safeLogger, toError } from '../src/index.js';
import type { ReconcileRequest, ResourceEvent, Store } from '../src/index.js';
import { checkOptions } from '../src/check-options.js';
import { supervisedWatch, watchEventsShape } from './watch-events.js';
import type { WatchEventsOptions } from './watch-events.js';

/** Options of {@link watchRequests}: those of `watchEvents`, and a filter. */
export interface WatchRequestsOptions<Spec, Status> extends WatchEventsOptions {
  /**
   * Keep only the events this returns true for (like Halo's matchers, see `onAdd`/`onUpdate`/`onDelete`).
   * Default: all. A filter that throws keeps the event (a spare pass is harmless, a lost one is not)
   * and logs the error.
   */
  readonly filter?: (event: ResourceEvent<Spec, Status>) => boolean;
}

const optionsSchema = z.strictObject({
  ...watchEventsShape,
  filter: z.custom<(event: ResourceEvent) => boolean>((v) => typeof v === 'function', 'must be a function (event) => boolean').optional(),
});

/** The revision of a watched object: `2 × generation`, plus 1 while it is being deleted or gone. */
export function revisionOf(event: ResourceEvent): number {
  const deleting = event.type === 'deleted' || event.object.metadata.deletionTimestamp !== undefined;
  return event.object.metadata.generation * 2 + (deleting ? 1 : 0);
}

/**
 * Turns a store's watch of `kind` into work-queue requests: the listed resources as low-priority
 * `initial` requests, then every change as a `watch` request carrying the object's revision — and
 * keeps it that way forever (see `watchEvents`: it resumes after failures, re-lists when it must).
 *
 * The trigger of a loop's own kind. Deletions are requests too: the pass reads the key, finds it gone
 * or being deleted, and cleans up.
 *
 * ## Example
 * ```ts
 * import { Outcome, createMemoryStore } from 'rx-reconcile';
 * import { watchRequests, workQueue } from 'rx-reconcile/operators';
 *
 * const store = createMemoryStore();
 * watchRequests(store, 'Todo', { filter: (e) => e.object.metadata.labels['team'] === 'core' })
 *   .pipe(workQueue(() => Outcome.converged()))
 *   .subscribe();
 * ```
 *
 * ## Guarantees
 * - Never errors, never completes by itself (G14); resumes without a gap (G18).
 * - A throwing `filter` keeps its event and logs the error, per event.
 */
export function watchRequests<Spec = unknown, Status = unknown>(
  store: Store,
  kind: string,
  options: WatchRequestsOptions<Spec, Status> = {},
): Observable<ReconcileRequest> {
  checkOptions('watchRequests', optionsSchema, options);
  const logger = safeLogger(options.logger ?? noopLogger);
  const keep = options.filter;
  const events = supervisedWatch<Spec, Status>(store, kind, options);
  // Without a filter, no filter step (this runs for every event of every loop).
  const kept =
    keep === undefined
      ? events
      : events.pipe(
          filter((event) => {
            try {
              return Boolean(keep(event));
            } catch (error) {
              logger.error({ kind, key: keyOf(event.object), err: toError(error) }, 'Watch filter threw: the event is kept');
              return true;
            }
          }),
        );
  return kept.pipe(
    map(
      (event): ReconcileRequest => ({
        key: keyOf(event.object),
        reason: event.initial ? 'initial' : 'watch',
        revision: revisionOf(event),
      }),
    ),
  );
}
