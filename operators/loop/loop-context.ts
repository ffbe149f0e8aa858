/**
 * The context of one pass of an easy-mode loop ({@link LoopContext}), and its implementation
 * ({@link LoopScope}): the pass's resource snapshot, the store, a child logger, the clock and the
 * loop's seeded random source.
 *
 * @module
 */
import type { SchedulerLike } from 'rxjs';
import type { Draft } from 'immer';
import { produceStatus, stampObservedGeneration } from '../../src/index.js';
import type { Key, Logger, Outcome, PassContext, PassVerdict, Request, Resource, Store } from '../../src/index.js';

/** What a pass of an easy-mode loop can use besides its request. */
export interface LoopContext<Spec, Status> extends PassContext {
  readonly loop: string;
  readonly key: Key;
  readonly kind: string;
  /** The store, as given: a write through it is a watch event like any other (one more pass). */
  readonly store: Store;
  readonly request: Request;
  /** A child logger with `loop`, `key` and a fresh `reconcileId`. */
  readonly logger: Logger;
  /** A fresh id for this pass, also in every log line of the pass. */
  readonly reconcileId: string;
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
   * For a fresh read, use `store.get(kind, key)`.
   */
  get(): Promise<Resource<Spec, Status> | undefined>;
  /**
   * Changes the status with an immer recipe, stamps `observedGeneration`, and writes it only when
   * something changed (G9): a converged loop makes no status writes. Resolves to the stored resource.
   */
  updateStatus(resource: Resource<Spec, Status>, recipe: (draft: Draft<Status>) => void): Promise<Resource<Spec, Status>>;
}

/** What every pass of one loop shares. */
export interface LoopEnv {
  readonly loop: string;
  readonly kind: string;
  readonly store: Store;
  readonly scheduler: SchedulerLike;
  readonly logger: Logger;
  readonly random: () => number;
}

/** The {@link LoopContext} of one pass, with the pass's resource snapshot. */
export class LoopScope<Spec, Status> implements LoopContext<Spec, Status> {
  readonly loop: string;
  readonly key: Key;
  readonly kind: string;
  readonly store: Store;
  readonly request: Request;
  private readonly env: LoopEnv;
  private readonly pass: PassContext;
  private snapshot: Promise<Resource<Spec, Status> | undefined> | undefined;
  private passLogger: Logger | undefined;

  constructor(env: LoopEnv, request: Request, pass: PassContext) {
    this.env = env;
    this.pass = pass;
    this.loop = env.loop;
    this.key = request.key;
    this.kind = env.kind;
    this.store = env.store;
    this.request = request;
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
    return new Date(this.env.scheduler.now()).toISOString();
  }
  random(): number {
    return this.env.random();
  }
  get(): Promise<Resource<Spec, Status> | undefined> {
    this.snapshot ??= this.env.store.get<Spec, Status>(this.kind, this.key);
    return this.snapshot;
  }
  /** Makes `resource` the pass's snapshot (after one of the loop's own writes); returns this context. */
  remember(resource: Resource<Spec, Status>): this {
    this.snapshot = Promise.resolve(resource);
    return this;
  }
  async updateStatus(resource: Resource<Spec, Status>, recipe: (draft: Draft<Status>) => void): Promise<Resource<Spec, Status>> {
    const changed = produceStatus((resource.status ?? {}) as Status & object, recipe as (draft: Draft<Status & object>) => void);
    const stamped = stampObservedGeneration(changed, resource.metadata.generation) as Status;
    if (resource.status !== undefined && stamped === resource.status) return resource;
    const written = await this.store.updateStatus<Spec, Status>({ ...resource, status: stamped });
    this.remember(written);
    return written;
  }
}
