import { defer, map, mergeMap, of } from 'rxjs';
import type { Observable } from 'rxjs';
import { InvalidArgumentError, Outcome } from '../src/index.js';
import type { MaybeAsync, PassContext, ReconcileRequest, Resource, Store, Work } from '../src/index.js';
import { passOutcome } from './with-conditions.js';

/** A pass over a live resource (never deleting): it gets the resource read at the start of the pass. */
export type LiveWork<Spec, Status, Ctx extends PassContext = PassContext> = (
  resource: Resource<Spec, Status>,
  request: ReconcileRequest,
  context: Ctx,
) => MaybeAsync<Outcome | undefined | void>;

/** Reads the key's resource for a pass (default: `store.get(kind, key)`). */
export type PassReader<Spec, Status, Ctx extends PassContext = PassContext> = (
  request: ReconcileRequest,
  context: Ctx,
) => PromiseLike<Resource<Spec, Status> | undefined>;

/** Options of {@link withFinalizer}. */
export interface FinalizerOptions<Spec, Status, Ctx extends PassContext = PassContext> {
  /** Where the resources live; the finalizer is added and removed with `update`. */
  readonly store: Store;
  /** The kind of the resources. */
  readonly kind: string;
  /** The finalizer, unique to this loop, e.g. `todo.example.com/file`. */
  readonly name: string;
  /**
   * Removes from the world what the loop made for `resource`. Runs once the resource is being deleted;
   * may run more than once and for a resource whose corrections never ran: it must be idempotent.
   * Throw (or return a failure `Outcome`) to have it retried with the loop's backoff; return nothing
   * or `Outcome.converged()` when the world is clean. Any other outcome (`requeueAfter`, `waiting`)
   * keeps the finalizer and comes back later.
   */
  readonly cleanup: (resource: Resource<Spec, Status>, context: Ctx) => MaybeAsync<Outcome | undefined | void>;
  /** How a pass reads the resource. Default `store.get(kind, key)`; `defineLoop` shares one read per pass. */
  readonly read?: PassReader<Spec, Status, Ctx>;
}

/**
 * Wraps a loop's pass with a finalizer, so a deleted resource disappears only after its cleanup
 * succeeded once (G8). The wrapped pass only ever sees live resources.
 *
 * `withFinalizer(options)` takes the pass for live resources (`(resource, request, ctx) => Outcome`)
 * and returns a pass for `workQueue` (or for the next wrapper, e.g. `withConditions`). `defineLoop`
 * uses it for its `finalizer` option.
 *
 * ## Example
 * ```ts
 * import { rm, writeFile } from 'node:fs/promises';
 * import { createMemoryStore } from 'rx-reconcile';
 * import type { Resource } from 'rx-reconcile';
 * import { ignoreOwnWrites, watchRequests, withFinalizer, workQueue } from 'rx-reconcile/operators';
 *
 * interface TodoSpec { title: string }
 * const fileOf = (todo: Resource<TodoSpec>) => `${todo.metadata.name}.md`;
 * const own = ignoreOwnWrites(createMemoryStore());
 * const pass = withFinalizer<TodoSpec, unknown>({
 *   store: own, kind: 'Todo', name: 'todo.example.com/file',
 *   cleanup: (todo) => rm(fileOf(todo), { force: true }),
 * })((todo) => writeFile(fileOf(todo), `# ${todo.spec.title}\n`));
 * watchRequests(own, 'Todo').pipe(workQueue(pass)).subscribe();
 * ```
 *
 * ## Expected flow
 * 1. A pass reads the resource. Gone: nothing to do (`converged`).
 * 2. Live without the finalizer: the finalizer is added (one `update`), then the wrapped pass runs with
 *    the updated resource — so the finalizer is always in place before the first correction.
 * 3. Live with the finalizer: the wrapped pass runs.
 * 4. Being deleted (`deletionTimestamp` set) with the finalizer: `cleanup` runs. When it succeeds, the
 *    finalizer is removed (on a fresh read, so a status write in between is no conflict) and the store
 *    finishes the delete. When it fails, the pass fails like any other: retried with backoff,
 *    quarantined after the policy's steps, released by hand — and the resource stays.
 * 5. Being deleted without the finalizer (already cleaned up, or deleted before the first pass):
 *    nothing to do.
 *
 * ## Guarantees
 * - A resource this loop ever corrected is removed from the store only after `cleanup` succeeded once.
 * - The wrapped pass never sees a deleting or absent resource.
 * - Cleanup failures are classified like any failure (a `DependencyNotReadyError` waits, a
 *   `PermanentError` parks the key until someone releases it, anything else backs off).
 * - Adding or removing the finalizer is a compare-and-set `update`: a concurrent write makes it a
 *   conflict, retried at once on a fresh read.
 *
 * ## Caveats
 * - `cleanup` must be idempotent and safe when nothing was ever applied: it runs again if removing
 *   the finalizer fails after it, and a resource deleted right after its finalizer was added reaches
 *   `cleanup` without any correction having run.
 * - Deletes stall while the loop is not running, or while `cleanup` keeps failing (a quarantined
 *   cleanup holds the resource until `loop.release(key)` or a manual trigger).
 * - Retiring a loop leaves its finalizer on every resource: remove it by hand (or run the loop once
 *   more with a cleanup) or those resources can never be deleted.
 * - The finalizer name must be unique to this loop: two loops sharing it would each think the other's
 *   cleanup was theirs.
 */
export function withFinalizer<Spec, Status, Ctx extends PassContext = PassContext>(
  options: FinalizerOptions<Spec, Status, Ctx>,
): (live: LiveWork<Spec, Status, Ctx>) => Work<Ctx> {
  const { store, kind, name, cleanup } = options;
  if (typeof name !== 'string' || name === '') {
    throw new InvalidArgumentError(`withFinalizer: name must be a non-empty string such as "example.com/cleanup", got ${String(name)}`);
  }
  const read: PassReader<Spec, Status, Ctx> = options.read ?? ((request) => store.get<Spec, Status>(kind, request.key));

  const setFinalizers = (resource: Resource<Spec, Status>, finalizers: readonly string[]): Resource<Spec, Status> => ({
    ...resource,
    metadata: { ...resource.metadata, finalizers },
  });

  /** Removes the finalizer from a fresh copy, so writes made during cleanup cause no conflict. */
  const release = async (key: string): Promise<void> => {
    const fresh = await store.get<Spec, Status>(kind, key);
    if (fresh === undefined || !fresh.metadata.finalizers.includes(name)) return;
    await store.update(setFinalizers(fresh, fresh.metadata.finalizers.filter((f) => f !== name)));
  };

  return (live) =>
    (request, context): Observable<Outcome> =>
      defer(() => read(request, context)).pipe(
        mergeMap((resource): Observable<Outcome> => {
          if (resource === undefined) return of(Outcome.converged());
          const finalizers = resource.metadata.finalizers;
          if (resource.metadata.deletionTimestamp !== undefined) {
            if (!finalizers.includes(name)) return of(Outcome.converged());
            return passOutcome(() => cleanup(resource, context)).pipe(
              mergeMap((outcome) =>
                outcome.type === 'converged' ? defer(() => release(request.key)).pipe(map(() => outcome)) : of(outcome),
              ),
            );
          }
          const ready$ = finalizers.includes(name)
            ? of(resource)
            : defer(() => store.update(setFinalizers(resource, [...finalizers, name])));
          return ready$.pipe(mergeMap((current) => passOutcome(() => live(current, request, context))));
        }),
      );
}
