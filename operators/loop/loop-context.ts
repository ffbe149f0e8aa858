/**
 * The context of one pass of an easy-mode loop ({@link LoopContext}), and its implementation
 * ({@link LoopScope}): the pass's resource snapshot, the store, a child logger, the clock and the
 * loop's seeded random source.
 *
 * @module
 */
import type { SchedulerLike } from 'rxjs';
import type { Draft } from 'immer';
import {
  addFinalizer,
  apply,
  deleteIfExists,
  ensureChildren,
  keyOf,
  once,
  removeFinalizer,
} from '../../src/index.js';
import { AlreadyExistsError } from '../../src/errors.js';
import { merged } from '../../src/apply.js';
import { isoTime } from '../../src/iso-time.js';
import { draftStampedStatus } from '../../src/status.js';
import type { Peek } from '../../src/peek.js';
import { ownershipOf } from '../with-ownership.js';
import type {
  Applied,
  ChildrenReport,
  Delivery,
  Fence,
  Key,
  Logger,
  NewResource,
  OnceResult,
  Outcome,
  PassContext,
  PassVerdict,
  ReconcileStatus,
  ReconcileRequest,
  Resource,
  Store,
} from '../../src/index.js';

/** What a pass of an easy-mode loop can use besides its request. */
export interface LoopContext<Spec, Status> extends PassContext {
  readonly loop: string;
  readonly key: Key;
  readonly kind: string;
  /**
   * The store. A write of this pass's own key through it that keeps the generation (status, labels,
   * finalizers) does not come back as a trigger: one pass per change. A spec change does.
   */
  readonly store: Store;
  readonly request: ReconcileRequest;
  /** A child logger with `loop`, `key` and a fresh `reconcileId`. */
  readonly logger: Logger;
  /** A fresh id for this pass, also in every log line of the pass. */
  readonly reconcileId: string;
  /**
   * With a `coordinator`: the fence of this pass (its `token` grows with every new owner of the key).
   * `store` is then fenced by it; give `fence.token` to world adapters so they refuse a deposed
   * owner's writes (keep the largest token seen per target, refuse smaller ones). Undefined without.
   */
  readonly fence: Fence | undefined;
  /** The scheduler's time as an ISO string (for timestamps in status). */
  now(): string;
  /**
   * A number in [0, 1) from the loop's `random` option (default `Math.random`): use it instead of
   * `Math.random` in reconcile code, so a simulation seeded by the testing kit replays it exactly.
   */
  random(): number;
  /**
   * This key's resource (undefined once it is gone): read once at the start of the pass and shared
   * with the loop's own steps (finalizer, schema, conditions), then the copy returned by the loop's
   * own writes (adding the finalizer, `updateStatus`). With a `finalizer`, never a deleting resource.
   * Its status type includes the conditions the loop writes. For a fresh read, use `store.get(kind, key)`.
   */
  get(): Promise<Resource<Spec, Status & ReconcileStatus> | undefined>;
  /**
   * Changes the status with an immer recipe, stamps `observedGeneration`, and writes it only when
   * something changed (G9): a converged loop makes no status writes, and the write does not come back
   * as a trigger. Resolves to the stored resource.
   */
  updateStatus(resource: Resource<Spec, Status>, recipe: (draft: Draft<Status>) => void): Promise<Resource<Spec, Status & ReconcileStatus>>;
  /**
   * Create-or-update (see `apply`): makes the resource of `resource.kind` carry this spec (and the
   * labels, annotations, owner references given), a no-op when it already does.
   */
  apply<S = unknown, St = unknown>(resource: NewResource<S, St> & { readonly kind: string }): Promise<Applied<S, St>>;
  /** Deletes `kind`/`key` if it exists; absent is done (see `deleteIfExists`). */
  deleteIfExists(kind: string, key: Key): Promise<Resource | undefined>;
  /**
   * Makes this key's owned children of `kind` exactly `children` (see `ensureChildren`): created or
   * updated with this resource as controller owner, the ones no longer wanted deleted, never touching
   * what it does not own. The kind joins the loop's cascade: the children go when the owner goes.
   */
  ensureChildren(kind: string, children: readonly NewResource[]): Promise<ChildrenReport>;
  /** Adds `finalizer` to this key's resource unless it has it; resolves to the stored resource (see `addFinalizer`). */
  addFinalizer(resource: Resource<Spec, Status>, finalizer: string): Promise<Resource<Spec, Status>>;
  /** Removes `finalizer`; resolves to the stored resource, or `undefined` once it is gone (see `removeFinalizer`). */
  removeFinalizer(resource: Resource<Spec, Status>, finalizer: string): Promise<Resource<Spec, Status> | undefined>;
  /**
   * Runs `effect` once per `id` for this key, recorded in the loop's ledger (its store, or `ledger`):
   * `delivery` says whether the record comes before the effect (`at-most-once`) or after it
   * (`at-least-once`); see `once`.
   */
  once<T>(id: string, effect: () => T | PromiseLike<T>, options: { readonly delivery: Delivery }): Promise<OnceResult<T>>;
}

/** How often a loop's passes used each idempotent-write helper (for `describeLoops`' checklist). */
export interface LoopUsage {
  apply: number;
  deleteIfExists: number;
  ensureChildren: number;
  once: number;
  addFinalizer: number;
  removeFinalizer: number;
  updateStatus: number;
  /** Finalizers this loop added or removed, by name (a finalizer written inside `reconcile` included). */
  readonly finalizers: Set<string>;
  /** Kinds of children this loop manages (`owns`, and kinds passed to `ensureChildren`). */
  readonly ownedKinds: Set<string>;
}

/** A fresh usage record. */
export function newUsage(owns: readonly string[] = []): LoopUsage {
  return {
    apply: 0,
    deleteIfExists: 0,
    ensureChildren: 0,
    once: 0,
    addFinalizer: 0,
    removeFinalizer: 0,
    updateStatus: 0,
    finalizers: new Set(),
    ownedKinds: new Set(owns),
  };
}

/** What every pass of one loop shares. */
export interface LoopEnv {
  readonly loop: string;
  readonly kind: string;
  /** The store as given (reads, and writes of other keys). */
  readonly store: Store;
  /** The loop's own-writes view (`ignoreOwnWrites`): writes of a pass's own key go through it. */
  readonly own: Store;
  /** How many writes went through `own` so far (see `withConditions`' `writes`). */
  readonly ownWrites: () => number;
  /** The store's synchronous read, when the store as given has one (the memory store): the pass's snapshot then needs no promise. */
  readonly peek?: Peek | undefined;
  /** Where `once` records effects. */
  readonly ledger: Store;
  readonly scheduler: SchedulerLike;
  readonly logger: Logger;
  readonly random: () => number;
  readonly usage: LoopUsage;
  /**
   * With the loop's `schema`: the resource as passes see it, its spec the schema's output (coercions
   * and defaults applied, as the type inferred from the schema says); the stored resource itself
   * when the schema refuses it (`withSchema` parks it then).
   */
  readonly parsed?: ((stored: Resource) => Resource) | undefined;
  /** Records durably that the loop makes children of a kind (in the given ledger store), so a restarted loop cascades over it; absent with `orphan`. */
  readonly rememberChildKind?: ((ledger: Store, kind: string) => Promise<void>) | undefined;
}

/** The {@link LoopContext} of one pass, with the pass's resource snapshot. */
export class LoopScope<Spec, Status> implements LoopContext<Spec, Status> {
  readonly loop: string;
  readonly key: Key;
  readonly kind: string;
  readonly request: ReconcileRequest;
  readonly fence: Fence | undefined;
  private readonly env: LoopEnv;
  private scoped: Store | undefined;
  private readonly pass: PassContext;
  private snapshot: Promise<Resource<Spec, Status> | undefined> | undefined;
  /** The snapshot itself, when it was taken synchronously or remembered (see {@link LoopScope.snapshotNow}). */
  private held: { readonly value: Resource<Spec, Status> | undefined } | undefined;
  /** With a schema: the last stored resource seen and its parsed view, and `get()`'s answer. */
  private view: { readonly stored: Resource<Spec, Status>; readonly parsed: Resource<Spec, Status> } | undefined;
  private viewed: Promise<Resource<Spec, Status> | undefined> | undefined;
  private passLogger: Logger | undefined;

  constructor(env: LoopEnv, request: ReconcileRequest, pass: PassContext) {
    const owned = ownershipOf(pass); // coordinator: the pass's writes go through its fenced store
    if (owned !== undefined) env = { ...env, store: owned.store, ledger: env.ledger === env.store ? owned.store : env.ledger };
    this.fence = owned?.fence;
    this.env = env;
    this.pass = pass;
    this.loop = env.loop;
    this.key = request.key;
    this.kind = env.kind;
    this.request = request;
  }

  /** Built on first use: most passes never touch `ctx.store`, and it is ten closures. */
  get store(): Store {
    this.scoped ??= scopedStore(this.env, this.key);
    return this.scoped;
  }

  get reconcileId(): string {
    return this.pass.reconcileId;
  }
  get failures(): number {
    return this.pass.failures;
  }
  get signal(): AbortSignal {
    return this.pass.signal;
  }
  get aborted(): boolean {
    return this.pass.aborted;
  }
  onAbort(callback: () => void): void {
    this.pass.onAbort(callback);
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
  get logger(): Logger {
    this.passLogger ??= this.env.logger.child({ key: this.key, reconcileId: this.reconcileId });
    return this.passLogger;
  }
  assess(outcome: Outcome): PassVerdict {
    return this.pass.assess(outcome);
  }
  now(): string {
    return isoTime(this.env.scheduler.now());
  }
  random(): number {
    return this.env.random();
  }
  get(): Promise<Resource<Spec, Status & ReconcileStatus> | undefined> {
    const stored = this.stored();
    if (this.env.parsed === undefined) return stored;
    this.viewed ??= stored.then((resource) => this.viewOf(resource));
    return this.viewed as Promise<Resource<Spec, Status & ReconcileStatus> | undefined>;
  }
  /** The pass's snapshot as stored (with a schema, `get()` gives its parsed view). */
  stored(): Promise<Resource<Spec, Status & ReconcileStatus> | undefined> {
    if (this.snapshot === undefined) {
      const peek = this.env.peek;
      // Coordinated passes read through their fenced store (`env.store`), never around it.
      if (peek !== undefined && this.fence === undefined) {
        const value = peek(this.kind, this.key) as Resource<Spec, Status> | undefined;
        this.held = { value };
        this.snapshot = Promise.resolve(value);
      } else this.snapshot = this.env.store.get<Spec, Status>(this.kind, this.key);
    }
    return this.snapshot as Promise<Resource<Spec, Status & ReconcileStatus> | undefined>;
  }
  /**
   * The pass's snapshot as `get()` resolves it, when that is known without waiting (taken with the
   * store's synchronous read, or remembered after an own write); `undefined` otherwise. Starts the read.
   */
  snapshotNow(): { readonly value: Resource<Spec, Status & ReconcileStatus> | undefined } | undefined {
    const held = this.storedNow();
    if (held === undefined || this.env.parsed === undefined) return held;
    return { value: this.viewOf(held.value) as Resource<Spec, Status & ReconcileStatus> | undefined };
  }
  /** {@link snapshotNow} as stored (no parsed view). */
  storedNow(): { readonly value: Resource<Spec, Status & ReconcileStatus> | undefined } | undefined {
    if (this.snapshot === undefined) void this.stored();
    return this.held as { readonly value: Resource<Spec, Status & ReconcileStatus> | undefined } | undefined;
  }
  /** `resource` as the pass sees it: with a schema, its spec parsed (see `LoopEnv.parsed`); else itself. */
  viewOf<R extends Resource<Spec, Status> | undefined>(resource: R): R {
    const parse = this.env.parsed;
    if (parse === undefined || resource === undefined) return resource;
    if (this.view?.stored !== resource) this.view = { stored: resource, parsed: parse(resource) as Resource<Spec, Status> };
    return this.view.parsed as R;
  }
  /** Makes `resource` the pass's snapshot (after one of the loop's own writes); returns this context. */
  remember(resource: Resource<Spec, Status>): this {
    this.held = { value: resource };
    this.snapshot = Promise.resolve(resource);
    this.viewed = undefined;
    return this;
  }
  async updateStatus(resource: Resource<Spec, Status>, recipe: (draft: Draft<Status>) => void): Promise<Resource<Spec, Status & ReconcileStatus>> {
    const stamped = draftStampedStatus(
      (resource.status ?? {}) as Status & object,
      recipe as (draft: Draft<Status & object>) => void,
      resource.metadata.generation,
    ) as Status;
    if (resource.status !== undefined && stamped === resource.status) return resource as Resource<Spec, Status & ReconcileStatus>;
    this.env.usage.updateStatus += 1;
    const written = await this.writer(resource).updateStatus<Spec, Status>({ ...resource, status: stamped });
    this.remember(written);
    return this.viewOf(written) as Resource<Spec, Status & ReconcileStatus>;
  }
  apply<S = unknown, St = unknown>(resource: NewResource<S, St> & { readonly kind: string }): Promise<Applied<S, St>> {
    this.env.usage.apply += 1;
    const { kind, ...rest } = resource;
    return apply<S, St>(this.writerFor(kind, keyOf({ metadata: rest.metadata })), kind, rest);
  }
  deleteIfExists(kind: string, key: Key): Promise<Resource | undefined> {
    this.env.usage.deleteIfExists += 1;
    return deleteIfExists(this.writerFor(kind, key), kind, key);
  }
  async ensureChildren(kind: string, children: readonly NewResource[]): Promise<ChildrenReport> {
    this.env.usage.ensureChildren += 1;
    if (typeof kind === 'string' && kind !== '') {
      this.env.usage.ownedKinds.add(kind);
      // Before the first child exists: a restart after this pass still knows to cascade over the kind.
      await this.env.rememberChildKind?.(this.env.ledger, kind);
    }
    const owner = await this.get();
    if (owner === undefined) {
      throw new Error(`ensureChildren: ${this.kind} "${this.key}" is gone; children are removed by the cascade, not by its pass`);
    }
    return ensureChildren(this.env.store, owner, kind, children);
  }
  async addFinalizer(resource: Resource<Spec, Status>, finalizer: string): Promise<Resource<Spec, Status>> {
    this.env.usage.addFinalizer += 1;
    this.env.usage.finalizers.add(finalizer);
    const written = await addFinalizer(this.writer(resource), resource, finalizer);
    this.remember(written);
    return this.viewOf(written);
  }
  async removeFinalizer(resource: Resource<Spec, Status>, finalizer: string): Promise<Resource<Spec, Status> | undefined> {
    this.env.usage.removeFinalizer += 1;
    this.env.usage.finalizers.add(finalizer);
    const written = await removeFinalizer(this.writer(resource), resource, finalizer);
    if (written !== undefined) this.remember(written);
    return this.viewOf(written);
  }
  once<T>(id: string, effect: () => T | PromiseLike<T>, options: { readonly delivery: Delivery }): Promise<OnceResult<T>> {
    this.env.usage.once += 1;
    return once(this.env.ledger, { loop: this.loop, key: this.key }, id, options?.delivery, effect);
  }
  /** The store to write `resource` through: the own-writes view for this pass's key. */
  private writer(resource: Resource): Store {
    return this.writerFor(resource.kind, keyOf(resource));
  }
  private writerFor(kind: string, key: Key): Store {
    return kind === this.kind && key === this.key ? this.env.own : this.env.store;
  }
}

/**
 * The store a pass sees as `ctx.store`: writes of its own key go through the loop's own-writes view
 * (so they do not come back as a trigger unless they change the spec), everything else goes to the
 * store as given. Finalizers the pass writes are noted for `describeLoops`.
 */
function scopedStore(env: LoopEnv, key: Key): Store {
  const mine = (kind: string, k: Key): boolean => kind === env.kind && k === key;
  const noteFinalizers = (resource: Resource): void => {
    for (const finalizer of resource?.metadata?.finalizers ?? []) env.usage.finalizers.add(finalizer);
  };
  return {
    get: (kind, k) => env.store.get(kind, k),
    list: (kind, options) => env.store.list(kind, options),
    watch: (kind, options) => env.store.watch(kind, options),
    create: (kind, resource) => repeatable(env.store, kind, resource),
    update: (resource) => {
      if (!mine(resource.kind, keyOf(resource))) return env.store.update(resource);
      noteFinalizers(resource as Resource);
      return env.own.update(resource);
    },
    updateStatus: (resource) => (mine(resource.kind, keyOf(resource)) ? env.own : env.store).updateStatus(resource),
    // A delete that finds nothing: done (a repeat is a no-op, the template's idempotency table).
    delete: (kind, k) => deleteIfExists(env.store, kind, k),
  };
}

/**
 * A create that may run again (a pass runs again after a failure, a lost acknowledgement): one that
 * finds the same resource already there — the same spec, and the labels, annotations and owner
 * references it gives — resolves to it, a no-op, as the template's idempotency table asks. A
 * different resource under that name is still an `AlreadyExistsError` (a conflict: read again).
 */
async function repeatable<Spec, Status>(store: Store, kind: string, resource: NewResource<Spec, Status>): Promise<Resource<Spec, Status>> {
  try {
    return await store.create<Spec, Status>(kind, resource);
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
    const there = await store.get<Spec, Status>(kind, keyOf({ metadata: resource.metadata }));
    if (there !== undefined && there.metadata.deletionTimestamp === undefined && merged(there, resource) === undefined) return there;
    throw error;
  }
}
