import { asyncScheduler, catchError, defer, filter, finalize, from, map, merge, mergeMap, of, retry, switchMap, throwError, timer } from 'rxjs';
import type { MonoTypeOperatorFunction, SchedulerLike } from 'rxjs';
import { FencedError, InvalidArgumentError, Outcome, keyOf, noopLogger } from '../src/index.js';
import type { Coordinator, Fence, Key, Logger, PassContext, PassVerdict, ReconcileRequest, Store, Work } from '../src/index.js';
import { toObservable } from './read.js';
import { revisionOf } from './watch-requests.js';

/** Options of {@link withOwnership}. */
export interface OwnershipOptions {
  /** Which keys this replica owns, and their fences (e.g. `etcdCoordinator`). */
  readonly coordinator: Coordinator;
  /** The loop's store: re-listed on gains, and fenced (`store.fenced`) for the writes of each pass. */
  readonly store: Store;
  /** The kind the loop reconciles. */
  readonly kind: string;
  /** Where skipped passes, re-lists and an unfenceable store are logged. Default: silent. */
  readonly logger?: Logger;
  /** Time source of re-list retries. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/** The pass context under ownership: the queue's, plus the pass's fence and fenced store. */
export interface OwnedPassContext extends PassContext {
  /** The fence this pass runs under (see `Fence`): hand its `token` to world adapters. */
  readonly fence: Fence;
  /** The store whose writes are fenced by `fence` (the plain store when it cannot fence). */
  readonly store: Store;
}

/** What {@link withOwnership} gives a loop. */
export interface Ownership {
  /** Keeps the triggers of keys this replica owns and adds the keys of every gain (a re-list). */
  readonly triggers: MonoTypeOperatorFunction<Key | ReconcileRequest>;
  /** Runs a pass only under a hold of its key; see the guarantees of {@link withOwnership}. */
  work(work: Work<OwnedPassContext>): Work;
  /**
   * The store for the loop's own writes about a key (conditions, finalizer): each write goes through
   * the fence of the pass running for that key.
   */
  readonly store: Store;
}

/**
 * Runs a loop's passes only for the keys this replica owns, each under its fence: the operator behind
 * `defineLoop({ coordinator })`, usable in a hand-written loop as well.
 *
 * ## Example
 * ```ts
 * import { watchRequests, withOwnership, workQueue } from 'rx-reconcile/operators';
 * import type { Coordinator, Store } from 'rx-reconcile';
 *
 * declare const coordinator: Coordinator; // e.g. etcdCoordinator from rx-reconcile/etcd
 * declare const store: Store;
 * declare const world: { apply(key: string, options: { fencingToken: number }): Promise<void> };
 * const owned = withOwnership({ coordinator, store, kind: 'Todo' });
 * watchRequests(store, 'Todo')
 *   .pipe(owned.triggers, workQueue(owned.work(async (request, ctx) => {
 *     await world.apply(request.key, { fencingToken: ctx.fence.token }); // the world refuses older tokens
 *     const todo = await ctx.store.get('Todo', request.key);
 *     if (todo) await ctx.store.updateStatus({ ...todo, status: { phase: 'Done' } }); // refused once deposed
 *   })))
 *   .subscribe();
 * ```
 *
 * ## Expected flow
 * 1. Triggers of keys this replica does not own are dropped (`coordinator.owns`).
 * 2. When the coordinator reports a gain, the kind is listed again and its owned keys are queued at
 *    low priority (`initial`), as a fresh loop's list would be.
 * 3. A pass starts under `coordinator.hold(key)`: its context carries `fence` and `store` (the
 *    fenced view); the hold ends when the pass ends, so the coordinator hands the key over only then.
 *
 * ## Guarantees
 * - No pass starts for a key that is not owned (a key queued before it was lost ends at once, as
 *   `converged` for this replica, and is forgotten here: its new owner reconciles it).
 * - Every store write of the pass made through `ctx.store` or the loop's own writes carries the
 *   fence: once another replica owns the key, those writes fail with `FencedError` and write nothing.
 * - A pass whose ownership ends while it runs sees `ctx.signal` abort (with the fence's reason); its
 *   outcome is dropped for this replica (`converged`: no retry, no requeue here).
 *
 * ## Caveats
 * - A store without `fenced` cannot refuse a deposed owner's writes: passes still run only for owned
 *   keys, but one that was running when its replica was paused or cut off can write after another
 *   took over. It is logged once at `warn`. World side effects need the token either way.
 */
export function withOwnership(options: OwnershipOptions): Ownership {
  const { coordinator, store, kind } = options;
  const c = coordinator as Partial<Coordinator> | undefined;
  if (typeof c?.owns !== 'function' || typeof c.hold !== 'function' || typeof c.fence !== 'function' || typeof c.changes$?.subscribe !== 'function') {
    throw new InvalidArgumentError('coordinator must be a Coordinator (owns, fence, hold, changes$, ready), e.g. etcdCoordinator(...) from rx-reconcile/etcd');
  }
  const logger = options.logger ?? noopLogger;
  const scheduler = options.scheduler ?? asyncScheduler;
  const canFence = typeof store.fenced === 'function';
  if (!canFence) {
    logger.warn({ kind }, 'Writes are not fenced: the store has no fenced()');
  }
  const fencedStore = (fence: Fence): Store => (canFence ? (store.fenced as (fence: Fence) => Store).call(store, fence) : store);
  /** The fence of the running pass of each key (one at a time per key: G1). */
  const running = new Map<Key, Fence>();
  const owns = (item: Key | ReconcileRequest): boolean => coordinator.owns(typeof item === 'string' ? item : item.key);

  const relist = coordinator.changes$.pipe(
    filter((change) => change.gained.length > 0),
    switchMap(() =>
      defer(() => from(store.list(kind))).pipe(
        retry({ count: 10, delay: (error: unknown, attempt) => {
          logger.warn({ kind, err: error, attempt }, 'Re-list after an ownership gain failed; trying again');
          return timer(Math.min(5000, 100 * 2 ** attempt), scheduler);
        } }),
      ),
    ),
    mergeMap((resources) => {
      const owned = resources.filter((resource) => coordinator.owns(keyOf(resource)));
      logger.info({ kind, keys: owned.length }, 'Listed again after gaining keys');
      return owned.map(
        (object): ReconcileRequest => ({ key: keyOf(object), reason: 'initial', priority: 'low', revision: revisionOf({ type: 'added', object, initial: true }) }),
      );
    }),
  );

  return {
    triggers: (source) => merge(source.pipe(filter(owns)), relist),

    work: (work) => (request, pass) => {
      const hold = coordinator.hold(request.key);
      if (hold === undefined) {
        logger.debug({ kind, key: request.key }, 'Pass skipped: another replica owns the key');
        return undefined;
      }
      const { fence } = hold;
      running.set(request.key, fence);
      const lostDuring = (error: unknown): boolean => fence.signal.aborted || error instanceof FencedError;
      const dropped = (): Outcome => {
        logger.info({ kind, key: request.key, token: fence.token }, 'Pass ended without ownership; the new owner reconciles the key');
        return Outcome.converged();
      };
      return defer(() => toObservable(work(request, new OwnedPass(pass, fence, fencedStore(fence))))).pipe(
        map((outcome) => (lostDuring(Outcome.is(outcome) && 'error' in outcome ? outcome.error : undefined) ? dropped() : outcome)),
        catchError((error: unknown) => (lostDuring(error) ? of(dropped()) : throwError(() => error))),
        finalize(() => {
          if (running.get(request.key) === fence) running.delete(request.key);
          hold.release();
        }),
      );
    },

    store: ownStore(store, kind, (key) => running.get(key) ?? coordinator.fence(key), fencedStore),
  };
}

/** `store` whose writes go through the fence `fenceOf` gives for the written key of `kind`. */
function ownStore(store: Store, kind: string, fenceOf: (key: Key) => Fence | undefined, fenced: (fence: Fence) => Store): Store {
  const through = (writtenKind: string, key: Key): Store => {
    if (writtenKind !== kind) return store;
    const fence = fenceOf(key);
    if (fence === undefined) throw new FencedError(key, 'none', `the write for "${key}" was refused: this replica does not own the key; nothing was written.`);
    return fenced(fence);
  };
  return {
    get: (k, key) => store.get(k, key),
    list: (k, options) => store.list(k, options),
    watch: (k, options) => store.watch(k, options),
    create: (k, resource) => through(k, keyOf(resource)).create(k, resource),
    update: (resource) => through(resource.kind, keyOf(resource)).update(resource),
    updateStatus: (resource) => through(resource.kind, keyOf(resource)).updateStatus(resource),
    delete: (k, key) => through(k, key).delete(k, key),
  };
}

/** The queue's pass context, with the fence and the fenced store; `signal` also aborts when the fence does. */
class OwnedPass implements OwnedPassContext {
  readonly fence: Fence;
  readonly store: Store;
  private readonly pass: PassContext;
  private combined: AbortSignal | undefined;

  constructor(pass: PassContext, fence: Fence, store: Store) {
    this.pass = pass;
    this.fence = fence;
    this.store = store;
  }
  get key(): Key {
    return this.pass.key;
  }
  get reconcileId(): string {
    return this.pass.reconcileId;
  }
  get failures(): number {
    return this.pass.failures;
  }
  get signal(): AbortSignal {
    this.combined ??= AbortSignal.any([this.pass.signal, this.fence.signal]);
    return this.combined;
  }
  get aborted(): boolean {
    return this.pass.aborted || this.fence.signal.aborted;
  }
  onAbort(callback: () => void): void {
    let called = false;
    const once = (): void => {
      if (called) return;
      called = true;
      callback();
    };
    this.pass.onAbort(once);
    if (this.fence.signal.aborted) once();
    else this.fence.signal.addEventListener('abort', once, { once: true });
  }
  get startedAt(): number {
    return this.pass.startedAt;
  }
  get convergingSince(): number | undefined {
    return this.pass.convergingSince;
  }
  get overdue(): boolean {
    return this.pass.overdue;
  }
  assess(outcome: Outcome): PassVerdict {
    return this.pass.assess(outcome);
  }
}

/** The fence and fenced store a pass context carries, when it runs under {@link withOwnership}. */
export function ownershipOf(pass: PassContext): { readonly fence: Fence; readonly store: Store } | undefined {
  return pass instanceof OwnedPass ? { fence: pass.fence, store: pass.store } : undefined;
}
