/**
 * Loop definitions for the checkers: what `defineLoop` takes, minus the store and the scheduler a
 * run provides, plus what the checkers need to know about the loop's world.
 *
 * @module
 */
import type { SchedulerLike } from 'rxjs';
import type { Key, KindOptions, MemoryStore, NewResource, Resource, Store } from '../src/index.js';
import type { LoopOptions } from '../operators/define-loop.js';
import type { Items, World } from './world.js';

/**
 * What a run hands a loop definition: the store, the clock and the world the loop must use.
 *
 * Under `checkConvergence` the store and the world inject faults; under every check the scheduler is
 * virtual. Build everything time- or world-dependent from these, never from globals.
 *
 * ## Example
 * ```ts
 * const loop = ({ world }: LoopEnv<string>) => ({ name: 'files', kind: 'File', reconcile: ... });
 * ```
 */
export interface LoopEnv<V> {
  readonly store: Store;
  readonly scheduler: SchedulerLike;
  readonly world: World<V>;
}

/**
 * `Omit` applied to each member of a union.
 *
 * ## Example
 * ```ts
 * type NoStore = DistributiveOmit<LoopOptions<Spec, Status>, 'store'>; // still a union of both loop styles
 * ```
 */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * The options of `defineLoop` without `store` and `scheduler`: a loop as the checkers take it.
 * Either style works (Halo's `reconcile`, or the `observe`/`compare`/`correct`/`verify` phases).
 *
 * ## Example
 * ```ts
 * const spec: LoopSpec<{ size: number }, { phase?: string }> = { name: 'app', kind: 'App', reconcile: async () => undefined };
 * ```
 */
export type LoopSpec<Spec, Status, C = unknown, T = unknown> = DistributiveOmit<LoopOptions<Spec, Status, C, T>, 'store' | 'scheduler'>;

/**
 * A resource to put in the store before a run: what `store.create` takes, plus `deleted` to delete
 * it right away (with finalizers it stays, being deleted; without, it is gone before the loop starts).
 *
 * ## Example
 * ```ts
 * const todo: DesiredResource<{ title: string }, never> = { metadata: { name: 'a', finalizers: ['f'] }, spec: { title: 'a' }, deleted: true };
 * ```
 */
export interface DesiredResource<Spec, Status = unknown> extends NewResource<Spec, Status> {
  readonly deleted?: boolean;
}

/**
 * What a definition's `store` opener is given: the run's clock, and the store it opened before (on
 * a restart), to close and open again on the same data.
 *
 * ## Example
 * ```ts
 * const open = ({ previous }: StoreEnv) => { previous?.close(); return createSqliteStore({ path }); };
 * ```
 */
export interface StoreEnv<S extends Store = Store> {
  readonly scheduler: SchedulerLike;
  /** The store of the run before this restart; `undefined` when the run starts (open it empty). */
  readonly previous: S | undefined;
}

/**
 * A loop as the checkers and `simulate` take it: a factory of its options (given the run's store,
 * scheduler and world), the world it acts on, and what "in the desired state" means.
 *
 * Write one next to each loop you ship: the same options object your production code passes to
 * `defineLoop` (with `store` and `scheduler` added) is what `loop` returns here. Only `loop` is
 * required; `expected` is required by `checkConvergence`.
 *
 * ## Example
 * ```ts
 * import { setDiff } from 'rx-reconcile';
 * import { loopDefinition, memoryWorld } from 'rx-reconcile/testing';
 *
 * // Keeps one world item per `Item` resource, equal to its spec.
 * export const mirror = loopDefinition<{ size: number }, unknown, { size: number }>({
 *   loop: ({ world }) => ({
 *     name: 'mirror', kind: 'Item', resync: 30_000,
 *     observe: (key) => world.get(key),
 *     compare: (desired, current, key) =>
 *       setDiff(desired && !desired.metadata.deletionTimestamp ? { [key]: desired.spec } : {}, current ? { [key]: current } : {}),
 *     correct: (c) => world.apply(c),
 *   }),
 *   world: (initial) => memoryWorld(initial),
 *   expected: (items) => Object.fromEntries(items.map((r) => [r.metadata.name, r.spec])),
 * });
 * ```
 */
export interface LoopDefinition<Spec, Status, V, C = unknown, T = unknown, S extends Store = MemoryStore> {
  /** Builds the loop's options for one run. Called once per run, with that run's store, clock and world. */
  readonly loop: (env: LoopEnv<V>) => LoopSpec<Spec, Status, C, T>;
  /** Makes the world a run starts from, holding `initial`. Default: `memoryWorld(initial)` (strict). */
  readonly world?: (initial: Items<V>) => World<V>;
  /** Kinds to register in the run's memory store (e.g. zod schemas of specs). */
  readonly kinds?: Readonly<Record<string, KindOptions<unknown>>>;
  /**
   * The world state the store's resources call for, given the resources at the end of a run (those
   * still being deleted included) and `initial`: the world as others left it — the start state with
   * every change someone else made during the run (steps `change`, `remove`, `add`), i.e. what the
   * world would hold had the loop never acted. `checkConvergence` compares the world's snapshot with
   * it. Use `initial` to say "leave what you do not own alone" (keep its items that no resource
   * calls for); declaring it also turns on the `add` steps (someone else adds items).
   */
  readonly expected?: (resources: readonly Resource<Spec, Status>[], initial: Items<V>) => Items<V>;
  /**
   * Whether one resource is done on the store side (e.g. its status shows the current generation).
   * Returns `true`, or a reason it is not. Default: a resource is done unless it is still being
   * deleted (so finalizers must be removed).
   */
  readonly ready?: (resource: Resource<Spec, Status>) => true | string;
  /**
   * Keys that exist only in the world (e.g. orphans a loop must clean up): the second pass of
   * `checkIdempotent` triggers them too. Default: none besides the store's and the desired keys.
   */
  readonly keys?: (world: Items<V>) => Iterable<Key>;
  /**
   * Opens the store a run uses instead of a fresh memory store — a durable one (e.g. a SQLite file
   * per run) — and opens it again on a restart step (`previous` is the one to close): so a check
   * restarts the loop on the same data, as a real process restart would. The run writes its desired
   * state into the store it opens first; open it empty. The simulation closes the last one it
   * opened when it stops (if it has `close()`). Default: one memory store per run, kept across
   * restarts (as a store server outlives the loop's process).
   */
  readonly store?: (env: StoreEnv<S>) => S | Promise<S>;
}

/**
 * Declares a {@link LoopDefinition} with its types inferred: an identity function for type checking.
 *
 * Use it to write a definition once and pass it to `checkIdempotent`, `checkConvergence` and
 * `simulate`.
 *
 * ## Example
 * ```ts
 * import { Outcome } from 'rx-reconcile';
 * import { loopDefinition, memoryWorld } from 'rx-reconcile/testing';
 *
 * // Keeps one world item per `N` resource: its spec's n.
 * const def = loopDefinition<{ n: number }, unknown, number>({
 *   loop: ({ world }) => ({
 *     name: 'n', kind: 'N',
 *     async reconcile(request, ctx) {
 *       const desired = await ctx.get();
 *       if (desired === undefined) await world.apply({ action: 'delete', target: request.key, idempotencyKey: `delete:${request.key}` });
 *       else await world.apply({ action: 'update', target: request.key, value: desired.spec.n, idempotencyKey: `${request.key}:${desired.spec.n}` });
 *       return Outcome.converged();
 *     },
 *   }),
 *   world: (initial) => memoryWorld(initial, { onUpdateMissing: 'create', onDeleteMissing: 'ignore' }),
 *   expected: (rs) => Object.fromEntries(rs.map((r) => [r.metadata.name, r.spec.n])),
 * });
 * ```
 */
export function loopDefinition<Spec, Status, V, C = unknown, T = unknown, S extends Store = MemoryStore>(
  definition: LoopDefinition<Spec, Status, V, C, T, S>,
): LoopDefinition<Spec, Status, V, C, T, S> {
  return definition;
}
