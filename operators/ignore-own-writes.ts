import { filter } from 'rxjs';
import type { Observable } from 'rxjs';
import { keyOf, statusEquals } from '../src/index.js';
import type { Resource, ResourceEvent, Store, WatchEvent, WatchOptions } from '../src/index.js';
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
 *   does — the event that arrives while the write is under way and changes the very version the
 *   write named (writes are compare-and-set, so only one change can follow a version; an event
 *   without its old object is compared with what was written).
 * - Spec changes (a new generation), creations and deletions always go through.
 *
 * ## Caveats
 * - One watcher per kind per view: the first watcher that sees an own event consumes it.
 * - An own write whose event never comes (a watch restart) leaves one small record for that key.
 */
export function ignoreOwnWrites(store: Store, options: IgnoreOwnWritesOptions = {}): Store {
  const deletes = options.deletes ?? (() => false);
  /**
   * Writes not yet settled (rarely more than one): an event of the same target that follows the very
   * version a write named is that write's. Matched by kind, namespace and name, with no key string
   * built per event.
   */
  const writing: { readonly resource: Resource; seen: boolean }[] = [];
  /** Versions of own writes whose event has not been seen yet. */
  const expected = new Map<string, string>();
  const idOf = (resource: Resource): string => `${resource.kind}\u0000${keyOf(resource)}`;

  const isOwn = (event: WatchEvent): boolean => {
    // No own write under way or awaited (most events): nothing to look up.
    if (writing.length === 0 && expected.size === 0) return false;
    // Malformed events are not ours to judge: `watchRequests` drops them with a log line.
    if (!isWellFormedEvent(event)) return false;
    if (event.type !== 'modified' && !(event.type === 'deleted' && deletes())) return false;
    for (let i = writing.length - 1; i >= 0; i--) {
      const pending = writing[i] as { readonly resource: Resource; seen: boolean };
      if (!pending.seen && sameTarget(pending.resource, event.object) && isTheWrite(event, pending.resource)) {
        pending.seen = true;
        return true;
      }
    }
    if (expected.size === 0) return false;
    const id = idOf(event.object);
    const version = expected.get(id);
    if (version !== undefined && version === event.object.metadata.version) {
      expected.delete(id);
      return true;
    }
    return false;
  };

  async function write<R extends Resource>(resource: R, call: (resource: R) => Promise<R>): Promise<R> {
    // Pending until the write settles: a store that tells watchers inside the call, or right after it
    // (a write made during another write's delivery is told once that delivery ends), is matched here.
    const pending = { resource: resource as Resource, seen: false };
    writing.push(pending);
    let written: R;
    try {
      written = await call(resource);
    } finally {
      const at = writing.lastIndexOf(pending);
      if (at >= 0) writing.splice(at, 1);
    }
    const wrote = written.metadata.version !== resource.metadata.version;
    if (!pending.seen && wrote && written.metadata.generation === resource.metadata.generation) {
      expected.set(idOf(resource), written.metadata.version);
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

/**
 * The event, arriving while the write is under way, is that write's and keeps the generation. A change
 * from the very version the write named is the write itself: every write is a compare-and-set on that
 * version, so only one change can follow it. Without the old object (a deletion), compare what was
 * written.
 */
function isTheWrite(event: ResourceEvent, written: Resource): boolean {
  const old: unknown = event.type === 'modified' ? event.old : undefined;
  const base = typeof old === 'object' && old !== null ? (old as { metadata?: { version?: unknown } }).metadata?.version : undefined;
  if (typeof base !== 'string') return sameWrite(event.object, written);
  // A spec change (a new generation) is never hidden.
  return base === written.metadata.version && event.object.metadata.generation === written.metadata.generation;
}

/** Same kind, namespace and name. */
function sameTarget(a: Resource, b: Resource): boolean {
  // `a` is what a caller asked to write, not checked yet by the store: it may have no metadata.
  const m = a.metadata as Resource['metadata'] | undefined;
  return a.kind === b.kind && m?.name === b.metadata.name && (m.namespace ?? '') === (b.metadata.namespace ?? '');
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
