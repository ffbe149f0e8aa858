import { filter } from 'rxjs';
import type { Observable } from 'rxjs';
import { keyOf, statusEquals } from '../src/index.js';
import type { Resource, Store, WatchEvent, WatchOptions } from '../src/index.js';
import { isWellFormedEvent } from './watch-events.js';

/** Options of {@link ignoreOwnWrites}. */
export interface IgnoreOwnWritesOptions {
  /**
   * Also leave out the `deleted` event of an own write that removed the last finalizer of a resource
   * being deleted, while this returns true. Default: never (the removal comes back as a trigger).
   */
  readonly deletes?: () => boolean;
}

/**
 * A view of `store` whose `watch()` leaves out the events of the writes made through the view itself,
 * when those writes keep the generation (status writes, finalizer and label changes).
 *
 * Use it for the writes a loop makes *about* a key at the end of its own pass — status conditions,
 * adding or removing its finalizer — so they do not come back as a trigger and cost one more pass
 * that finds nothing to do. `defineLoop` gives it to `withConditions`, `withFinalizer` and
 * `watchRequests`; `ctx.store` and `ctx.updateStatus` stay on the plain store, so a user's own write
 * still triggers the next pass as it always did.
 *
 * ## Example
 * ```ts
 * import { Outcome, createMemoryStore } from 'rx-reconcile';
 * import { ignoreOwnWrites, watchRequests, withConditions, workQueue } from 'rx-reconcile/operators';
 *
 * const store = createMemoryStore();
 * const own = ignoreOwnWrites(store); // writes through `own` come back to its watchers as no event
 * watchRequests(own, 'Todo').pipe(workQueue(withConditions({ store: own, kind: 'Todo' })(() => Outcome.converged()))).subscribe();
 * ```
 *
 * ## Guarantees
 * - Only an event that is exactly one of the view's own writes is left out: the one whose version
 *   that write returned, or — for stores that tell watchers inside the write, as the memory store
 *   does — the event delivered during the write call that carries what was written.
 * - Spec changes (a new generation), creations and deletions always go through.
 *
 * ## Caveats
 * - One watcher per kind per view: the first watcher that sees an own event consumes it.
 * - An own write whose event never comes (a watch restart) leaves one small record for that key.
 */
export function ignoreOwnWrites(store: Store, options: IgnoreOwnWritesOptions = {}): Store {
  const deletes = options.deletes ?? (() => false);
  /** Writes in their synchronous call: their event, if delivered now, is theirs. */
  const writing = new Map<string, Resource>();
  /** Versions of own writes whose event has not been seen yet. */
  const expected = new Map<string, string>();
  const idOf = (resource: Resource): string => `${resource.kind}\u0000${keyOf(resource)}`;

  const isOwn = (event: WatchEvent): boolean => {
    // No own write under way or awaited (most events): nothing to look up.
    if (writing.size === 0 && expected.size === 0) return false;
    // Malformed events are not ours to judge: `watchRequests` drops them with a log line.
    if (!isWellFormedEvent(event)) return false;
    if (event.type !== 'modified' && !(event.type === 'deleted' && deletes())) return false;
    const id = idOf(event.object);
    const pending = writing.get(id);
    if (pending !== undefined && sameWrite(event.object, pending)) {
      writing.delete(id);
      return true;
    }
    const version = expected.get(id);
    if (version !== undefined && version === event.object.metadata.version) {
      expected.delete(id);
      return true;
    }
    return false;
  };

  async function write<R extends Resource>(resource: R, call: (resource: R) => Promise<R>): Promise<R> {
    const id = idOf(resource);
    writing.set(id, resource);
    let promise: Promise<R>;
    let seen: boolean;
    try {
      promise = call(resource);
    } finally {
      seen = !writing.has(id);
      writing.delete(id);
    }
    const written = await promise;
    const wrote = written.metadata.version !== resource.metadata.version;
    if (!seen && wrote && written.metadata.generation === resource.metadata.generation) {
      expected.set(id, written.metadata.version);
    }
    return written;
  }

  return {
    get: (kind, key) => store.get(kind, key),
    list: (kind, options) => store.list(kind, options),
    create: (kind, resource) => store.create(kind, resource),
    update: (resource) => write(resource, (r) => store.update(r)),
    updateStatus: (resource) => write(resource, (r) => store.updateStatus(r)),
    delete: (kind, key) => store.delete(kind, key),
    watch: <Spec, Status>(kind: string, options?: WatchOptions): Observable<WatchEvent<Spec, Status>> =>
      store.watch<Spec, Status>(kind, options).pipe(filter((event) => !isOwn(event as WatchEvent))),
  };
}

/** The event carries what this write wrote: same generation, status and metadata lists. */
function sameWrite(seen: Resource, written: Resource): boolean {
  const a = seen.metadata;
  const b = written.metadata;
  return (
    a.generation === b.generation &&
    statusEquals(seen.status, written.status) &&
    statusEquals(a.finalizers, b.finalizers) &&
    statusEquals(a.labels, b.labels) &&
    statusEquals(a.annotations, b.annotations)
  );
}
