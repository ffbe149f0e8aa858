import { filter, map } from 'rxjs';
import type { Observable } from 'rxjs';
import { keyOf, noopLogger } from '../src/index.js';
import type { Logger, Request, ResourceEvent, Store, WatchEvent } from '../src/index.js';

/** Options of {@link watchRequests}. */
export interface WatchRequestsOptions<Spec, Status> {
  /** Keep only the events this returns true for (like Halo's `onUpdateMatcher`). Default: all. */
  readonly filter?: (event: ResourceEvent<Spec, Status>) => boolean;
  /** Where dropped malformed events are logged. */
  readonly logger?: Logger;
}

/** True when `event` has the shape of a watch event with a named resource. */
export function isWellFormedEvent(event: unknown): event is ResourceEvent {
  if (typeof event !== 'object' || event === null) return false;
  const e = event as Partial<ResourceEvent>;
  if (e.type !== 'added' && e.type !== 'modified' && e.type !== 'deleted') return false;
  const metadata = (e.object as { metadata?: { name?: unknown; generation?: unknown } } | undefined)?.metadata;
  return typeof metadata?.name === 'string' && metadata.name !== '' && typeof metadata.generation === 'number';
}

/** The revision of a watched object: `2 × generation`, plus 1 while it is being deleted or gone. */
export function revisionOf(event: ResourceEvent): number {
  const deleting = event.type === 'deleted' || event.object.metadata.deletionTimestamp !== undefined;
  return event.object.metadata.generation * 2 + (deleting ? 1 : 0);
}

/**
 * Turns a store's watch of `kind` into work-queue requests: the replayed list as low-priority
 * `initial` requests, then every change as a `watch` request carrying the object's revision.
 *
 * The trigger of a loop's own kind. Malformed events (no type, no name, no generation) are dropped
 * with a warning and never reach the queue; the stream goes on. Deletions are requests too: the
 * pass reads the key, finds it gone or being deleted, and cleans up.
 *
 * ## Example
 * ```ts
 * import { watchRequests, workQueue } from 'rx-reconcile/operators';
 *
 * watchRequests(store, 'Todo', { filter: (e) => e.object.metadata.labels['team'] === 'core' })
 *   .pipe(workQueue(reconcileTodo));
 * ```
 */
export function watchRequests<Spec = unknown, Status = unknown>(
  store: Store,
  kind: string,
  options: WatchRequestsOptions<Spec, Status> = {},
): Observable<Request> {
  const logger = options.logger ?? noopLogger;
  const keep = options.filter;
  return store.watch<Spec, Status>(kind).pipe(
    filter((event): event is ResourceEvent<Spec, Status> => {
      if (isWellFormedEvent(event)) return true;
      if ((event as WatchEvent | undefined)?.type === 'synced') return false;
      logger.warn({ kind, event: describeEvent(event) }, 'Dropped malformed watch event');
      return false;
    }),
    filter((event) => keep === undefined || keep(event)),
    map(
      (event): Request => ({
        key: keyOf(event.object),
        reason: event.initial ? 'initial' : 'watch',
        revision: revisionOf(event as ResourceEvent),
      }),
    ),
  );
}

function describeEvent(event: unknown): string {
  try {
    const text = JSON.stringify(event);
    return text === undefined ? String(event) : text.slice(0, 200);
  } catch {
    return Object.prototype.toString.call(event);
  }
}
