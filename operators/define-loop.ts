import { Subject, asyncScheduler, defer, filter, map, merge, mergeMap, of, subscribeOn } from 'rxjs';
import type { Observable, SchedulerLike, Subscription } from 'rxjs';
import { InvalidArgumentError, createQueueControl, keyOf, noopLogger, produceStatus, stampObservedGeneration } from '../src/index.js';
import type {
  BackoffPolicy,
  Classifier,
  Correction,
  Key,
  Logger,
  MaybeAsync,
  Metrics,
  Outcome,
  PassContext,
  PassResult,
  PassVerdict,
  QueueHooks,
  QueueSnapshot,
  RateLimit,
  Request,
  Resource,
  ResourceEvent,
  Store,
  Work,
  WorkQueueOptions,
} from '../src/index.js';
import type { Draft } from 'immer';
import { compare } from './compare.js';
import type { CorrectionInput } from './compare.js';
import { correct } from './correct.js';
import { ignoreOwnWrites } from './ignore-own-writes.js';
import { callerSource } from './describe-loops.js';
import { instrument } from './instrument.js';
import { observe } from './observe.js';
import { resync } from './resync.js';
import { triggerOwners } from './trigger-owners.js';
import { triggerWith } from './trigger-with.js';
import { verify } from './verify.js';
import { isWellFormedEvent as isResourceEvent, watchRequests } from './watch-requests.js';
import { withConditions } from './with-conditions.js';
import { withFinalizer } from './with-finalizer.js';
import { withSchema } from './with-schema.js';
import type { SpecSchema } from './with-schema.js';
import { workQueue } from './work-queue.js';

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
   * `Math.random` for jitter, generated names or sampling, so a seeded run (the testing kit's
   * simulations seed it) replays exactly.
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

/** A child kind whose changes trigger their owners, or a mapped relation. */
export type Dependency =
  | string
  | { readonly kind: string; readonly controllerOnly?: boolean }
  | { readonly kind: string; readonly map: (event: ResourceEvent) => Iterable<Key> };

/** The `finalizer` option of {@link defineLoop}; see `withFinalizer` for the flow and caveats. */
export interface LoopFinalizer<Spec, Status> {
  /** The finalizer, unique to this loop, e.g. `todo.example.com/file`. */
  readonly name: string;
  /**
   * Removes from the world what the loop made for a deleted resource; idempotent, safe when nothing
   * was ever applied. Retried like any pass. Required for `reconcile` loops; phase loops default to
   * running their phases against an absent desired state (`compare(undefined, current)`).
   */
  readonly cleanup?: (resource: Resource<Spec, Status>, context: LoopContext<Spec, Status>) => MaybeAsync<Outcome | undefined | void>;
}

/** The work-queue options a loop passes through unchanged (documented on `WorkQueueOptions`). */
export type LoopQueueOptions = Pick<
  WorkQueueOptions,
  'workers' | 'scheduler' | 'backoff' | 'rateLimit' | 'classify' | 'conflictRetries' | 'dependencyInterval' | 'timeout' | 'random'
>;

const QUEUE_OPTION_KEYS = [
  'workers',
  'scheduler',
  'backoff',
  'rateLimit',
  'classify',
  'conflictRetries',
  'dependencyInterval',
  'timeout',
  'random',
  'convergenceDeadline',
] as const satisfies readonly (keyof WorkQueueOptions)[];

/**
 * Options shared by both styles of {@link defineLoop}. Besides its own, a loop takes the work
 * queue's `workers` (default 4), `scheduler` (default `asyncScheduler`, for all time in the loop),
 * `backoff` (default `Backoff.defaultPolicy`: 1 s ×2, 5 steps, cap 60 s; `steps` retries before
 * quarantine), `rateLimit`, `classify`, `conflictRetries`, `dependencyInterval`, `timeout` and
 * `random`, with the meaning `WorkQueueOptions` gives them.
 */
export interface LoopOptionsBase<Spec, Status> extends LoopQueueOptions {
  /** Name of the loop, in logs, metrics and descriptions. */
  readonly name: string;
  /** Where the loop is defined, as `file:line`, for `describeLoops`. Default: the caller of `defineLoop`, from the stack. */
  readonly source?: string;
  /** Where desired state lives. */
  readonly store: Store;
  /** The kind this loop reconciles. */
  readonly kind: string;
  /** Resync period in ms: every key is reconciled again at this period (low priority). Default off. */
  readonly resync?: number;
  /** Keep only the watch events this returns true for (Halo's event matchers). Default: all. */
  readonly filter?: (event: ResourceEvent<Spec, Status>) => boolean;
  /** Kinds whose changes trigger the owning key (via ownerReferences or a mapping function). */
  readonly dependencies?: readonly Dependency[];
  /**
   * Convergence deadline in ms: a key whose desired generation has not converged this long after the
   * loop first saw it is logged at `error` (`Convergence deadline exceeded`) and marked
   * `Degraded=True` (`ConvergenceDeadlineExceeded`) by its next failed pass; it keeps being
   * reconciled. Default off.
   */
  readonly convergenceDeadline?: number;
  /**
   * Write `Ready` / `Progressing` / `Degraded` conditions and `observedGeneration` to the status after
   * every pass (see `withConditions`), skipping writes that change nothing. Default `true`: failures,
   * bad specs and quarantine are visible on the resource itself. `false` leaves status to you.
   */
  readonly conditions?: boolean;
  /**
   * The spec schema (zod): a pass whose resource fails it is not run; the key gets `Degraded=True`
   * (`InvalidSpec`, naming the field) and no retries until its spec changes (see `withSchema`).
   */
  readonly schema?: SpecSchema;
  /** Add a finalizer; cleanup runs on deletion, before the resource disappears (see `withFinalizer`). */
  readonly finalizer?: LoopFinalizer<Spec, Status>;
  /** A pino-compatible logger. Default: silent. */
  readonly logger?: Logger;
  /** Metrics port (e.g. `prometheusMetrics(...)`). Default: records nothing. */
  readonly metrics?: Metrics;
  /** Extra queue hooks, called after the library's own. */
  readonly hooks?: QueueHooks;
}

/** Halo style: one `reconcile(request)` returning an `Outcome` or nothing. */
export interface ReconcileLoopOptions<Spec, Status> extends LoopOptionsBase<Spec, Status> {
  /** With a `finalizer`, runs for live resources only. */
  readonly reconcile: (request: Request, context: LoopContext<Spec, Status>) => MaybeAsync<Outcome | undefined | void>;
  readonly finalizer?: LoopFinalizer<Spec, Status> & Required<Pick<LoopFinalizer<Spec, Status>, 'cleanup'>>;
}

/** The four phases: observe the world, compare with the resource, correct, verify. */
export interface PhaseLoopOptions<Spec, Status, C, T> extends LoopOptionsBase<Spec, Status> {
  /** Reads the current state of the world for a key. */
  readonly observe: (key: Key, context: LoopContext<Spec, Status>) => MaybeAsync<C>;
  /**
   * Pure: the corrections that move `current` to what `desired` asks (`undefined` once deleted, or
   * during a finalizer's default cleanup). `desired` is the resource read at the start of the pass.
   */
  readonly compare: (desired: Resource<Spec, Status> | undefined, current: C, key: Key) => readonly CorrectionInput<T>[];
  /** Applies one correction; must be idempotent for its `idempotencyKey`. */
  readonly correct: (correction: Correction<T>, context: LoopContext<Spec, Status>) => MaybeAsync<unknown>;
  /** After corrections: observe and compare again (default), with the outcome when in sync. `false` skips. */
  readonly verify?: false | { readonly inSync?: () => Outcome };
}

/** Options of {@link defineLoop}. */
export type LoopOptions<Spec, Status, C = unknown, T = unknown> =
  | ReconcileLoopOptions<Spec, Status>
  | PhaseLoopOptions<Spec, Status, C, T>;

/** A running loop. */
export interface Loop {
  readonly name: string;
  /** Where the loop was defined (`file:line`), for `describeLoops`; undefined when the runtime gives no stack. */
  readonly source: string | undefined;
  /** The options the loop was defined with (for `describeLoops`). */
  readonly options: LoopOptionsBase<unknown, unknown> & { readonly style: 'reconcile' | 'phases' };
  /** One result per finished pass (hot; completes when the loop stops). */
  readonly results$: Observable<PassResult>;
  /** Queue snapshots after changes, starting with the current one. */
  readonly state$: Observable<QueueSnapshot>;
  /** The queue right now: depth, in flight, backoff, quarantine (key, last error, attempts), counters. */
  snapshot(): QueueSnapshot;
  /** Runs `key` now, even in backoff or quarantine. False once stopped. */
  trigger(key: Key): boolean;
  /** Releases a quarantined or terminal key and runs it once. False when it was not parked. */
  release(key: Key): boolean;
  /** Resolves when nothing is queued, running or delayed. */
  whenIdle(): Promise<void>;
  /** Graceful stop: no new passes; in-flight passes finish or are aborted after `deadline` ms. */
  stop(options?: { readonly deadline?: number }): Promise<void>;
}


/**
 * Defines and starts a reconcile loop over one kind of a store — the easy mode.
 *
 * Two styles: Halo's `reconcile(request, ctx)` returning an `Outcome` (or nothing = converged), or
 * the four phases `observe` / `compare` / `correct` / `verify`. Triggers are the store's watch of the
 * kind (the list first, at low priority), an optional periodic `resync`, `dependencies` (child kinds
 * through owner references or a mapping) and `loop.trigger(key)`.
 *
 * It is a thin composition of the public operators:
 * `merge(watchRequests, resync, triggerOwners / triggerWith)` → `workQueue(pass)`, where the pass is
 * `withConditions(withSchema(withFinalizer(reconcile or observe → compare → correct → verify)))`,
 * each wrapper present only when its option is. The loop's own condition and finalizer writes go
 * through `ignoreOwnWrites`, so they do not come back as triggers.
 * The first pass starts on the scheduler's next tick, so subscribe to `results$` right away.
 *
 * ## Example
 * ```ts
 * import { Outcome, createMemoryStore, defineLoop } from 'rx-reconcile';
 *
 * const store = createMemoryStore();
 * const loop = defineLoop<{ title: string }, { phase?: string }>({
 *   name: 'todo', store, kind: 'Todo', workers: 2,
 *   finalizer: { name: 'todo.example.com/file', cleanup: (todo) => removeFile(todo) },
 *   async reconcile(request, ctx) {
 *     const todo = await ctx.get(); // live: never deleting, the finalizer is in place
 *     if (!todo) return Outcome.converged();
 *     await writeFile(todo);
 *     return Outcome.converged(); // Ready=True is written to its status
 *   },
 * });
 * loop.results$.subscribe((r) => console.log(r.key, r.outcome.type));
 * ```
 *
 * ## Expected flow
 * 1. The watch replays the kind's list: each key is queued (low lane) and reconciled once.
 * 2. Each change queues its key (high lane); a change during a pass gives one more pass after it.
 * 3. An `Outcome` decides what comes next: forget, requeue later, back off, park, or wait; the
 *    conditions on the resource's status say which.
 * 4. `stop()` lets passes finish (or aborts them at the deadline), then `results$` completes.
 *
 * ## Guarantees
 * G1–G4 of the work queue; a throwing pass never stops the loop (it becomes `retry`); failure classes,
 * backoff, quarantine and release (G6, G11, G12); finalizers (G8); status conditions written only when
 * they change, so a converged loop makes no writes on resync (G9); bad specs are parked and reported,
 * never retried, and lose nothing (G13).
 *
 * ## Caveats
 * - A write through `ctx.store` or `ctx.updateStatus` is a watch event like any other: it causes one
 *   more pass, which writes nothing and converges. Filter events with `filter` if that pass is costly.
 * - With `conditions` (the default), each pass reads the resource once more at its end.
 */
export function defineLoop<Spec = unknown, Status = unknown, C = unknown, T = unknown>(
  options: LoopOptions<Spec, Status, C, T>,
): Loop {
  checkLoopOptions(options);
  const source = options.source ?? callerSource();
  const { name, store, kind } = options;
  const scheduler = options.scheduler ?? asyncScheduler;
  const logger = (options.logger ?? noopLogger).child({ loop: name });
  const control = createQueueControl({ scheduler });
  /** The loop's own writes (conditions, finalizer) through this view do not come back as triggers. */
  const own = ignoreOwnWrites(store);
  const env: LoopEnv = { loop: name, kind, store, scheduler, logger, random: options.random ?? Math.random };

  const pass = passOf(options, own, logger);
  const work: Work = (request, queuePass) => pass(request, new LoopScope<Spec, Status>(env, request, queuePass));

  const triggers: Observable<Key | Request>[] = [watchRequests<Spec, Status>(own, kind, { logger, ...(options.filter ? { filter: options.filter } : {}) })];
  if (options.resync !== undefined) {
    triggers.push(resync({ every: options.resync, scheduler, keys: async () => (await store.list(kind)).map(keyOf) }));
  }
  for (const dep of options.dependencies ?? []) {
    if (typeof dep === 'string') triggers.push(store.watch(dep).pipe(triggerOwners(kind)));
    else if ('map' in dep) triggers.push(store.watch(dep.kind).pipe(filter(isResourceEvent), triggerWith(dep.map)));
    else triggers.push(store.watch(dep.kind).pipe(triggerOwners(kind, { controllerOnly: dep.controllerOnly === true })));
  }

  const hooks = instrument({
    logger,
    probe: { name, stats: () => control.stats() },
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.hooks ? { hooks: options.hooks } : {}),
    ...(options.convergenceDeadline !== undefined ? { convergenceDeadline: options.convergenceDeadline } : {}),
  });

  const results = new Subject<PassResult>();
  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const subscription: Subscription = defer(() => {
    markStarted();
    return merge(...triggers);
  })
    .pipe(
      subscribeOn(scheduler),
      workQueue(work, { ...queueOptions(options), scheduler, control, hooks }),
    )
    .subscribe(results);

  let stopped: Promise<void> | undefined;
  const { reconcile: _r, observe: _o, compare: _c, correct: _k, verify: _v, ...base } = options as ReconcileLoopOptions<Spec, Status> &
    Partial<PhaseLoopOptions<Spec, Status, C, T>>;
  void [_r, _o, _c, _k, _v];

  return {
    name,
    source,
    options: { ...(base as LoopOptionsBase<unknown, unknown>), style: 'reconcile' in options ? 'reconcile' : 'phases' },
    results$: results.asObservable(),
    state$: control.state$,
    snapshot: () => control.snapshot(),
    trigger: (key) => stopped === undefined && control.trigger(key),
    release: (key) => stopped === undefined && control.release(key),
    whenIdle: () => started.then(() => control.whenIdle()),
    stop: (stopOptions = {}) => {
      stopped ??= control.stop(stopOptions).then(() => {
        subscription.unsubscribe();
        results.complete();
        logger.info({}, 'Loop stopped');
      });
      return stopped;
    },
  };
}

/** Refuses options a loop cannot run with, before anything starts, with what to do instead. */
function checkLoopOptions(options: unknown): void {
  const o = (typeof options === 'object' && options !== null ? options : {}) as Readonly<Record<string, unknown>>;
  const fail = (message: string): never => {
    throw new InvalidArgumentError(`defineLoop: ${message}`);
  };
  if (typeof o['name'] !== 'string' || o['name'] === '') fail('give the loop a name (a non-empty string), used in logs and metrics');
  const name = o['name'] as string;
  if (typeof o['kind'] !== 'string' || o['kind'] === '') fail(`loop "${name}" needs the kind it reconciles (a non-empty string)`);
  const store = o['store'] as Partial<Store> | undefined;
  if (typeof store?.get !== 'function' || typeof store.watch !== 'function') {
    fail(`loop "${name}" needs a store (e.g. createMemoryStore()) with get, list, watch and the write methods`);
  }
  const fn = (key: string): boolean => typeof o[key] === 'function';
  if (!fn('reconcile') && !(fn('observe') && fn('compare') && fn('correct'))) {
    const given = ['reconcile', 'observe', 'compare', 'correct'].filter(fn);
    fail(
      `loop "${name}" needs either reconcile(request, ctx), or all three of observe, compare and correct` +
        (given.length > 0 ? ` (got only ${given.join(', ')})` : ''),
    );
  }
  if (fn('reconcile') && (fn('observe') || fn('compare') || fn('correct'))) {
    fail(`loop "${name}" has both reconcile and phases: keep one style (reconcile, or observe/compare/correct)`);
  }
  const resync = o['resync'];
  if (resync !== undefined && (typeof resync !== 'number' || !Number.isFinite(resync) || resync <= 0)) {
    fail(`loop "${name}": resync must be a period in ms > 0 (got ${String(resync)}); leave it out for no resync`);
  }
}

/** The options of `options` that go to `workQueue` as they are (only those that are set). */
function queueOptions(options: object): WorkQueueOptions {
  const given = options as Readonly<Record<string, unknown>>;
  const picked: Record<string, unknown> = {};
  for (const key of QUEUE_OPTION_KEYS) if (given[key] !== undefined) picked[key] = given[key];
  return picked as WorkQueueOptions;
}

// ---- the pass: the user's reconcile or phases, wrapped by finalizer, schema and conditions --------

/** Builds a loop's pass: `withConditions(withSchema(withFinalizer(user pass)))`, each when enabled. */
function passOf<Spec, Status, C, T>(options: LoopOptions<Spec, Status, C, T>, own: Store, logger: Logger): Work<LoopScope<Spec, Status>> {
  type Scope = LoopScope<Spec, Status>;
  const { kind, store } = options;
  /** Every step reads the pass's one snapshot. */
  const read = (_request: Request, ctx: Scope) => ctx.get();

  let pass: Work<Scope>;
  if ('reconcile' in options) {
    const { reconcile, finalizer } = options;
    pass = finalizer
      ? withFinalizer<Spec, Status, Scope>({ store: own, kind, name: finalizer.name, cleanup: finalizer.cleanup, read })(
          (resource, request, ctx) => reconcile(request, ctx.remember(resource)),
        )
      : (request, ctx) => reconcile(request, ctx);
  } else {
    const phases = phasesOf(options);
    const { finalizer } = options;
    pass = finalizer
      ? withFinalizer<Spec, Status, Scope>({
          store: own,
          kind,
          name: finalizer.name,
          cleanup: finalizer.cleanup ?? ((_resource, ctx) => phases(undefined, ctx.request, ctx)),
          read,
        })((resource, request, ctx) => phases(resource, request, ctx.remember(resource)))
      : (request, ctx) => defer(() => ctx.get()).pipe(mergeMap((desired) => phases(desired, request, ctx)));
  }
  if (options.schema) pass = withSchema<Scope>({ schema: options.schema, store, kind, read })(pass);
  if (options.conditions !== false) {
    const scheduler = options.scheduler ?? asyncScheduler;
    pass = withConditions<Scope>({ store: own, kind, scheduler, read, logger })(pass);
  }
  return pass;
}

/** The four phases as a pass against one desired state (`undefined`: make the world absent). */
function phasesOf<Spec, Status, C, T>(phases: PhaseLoopOptions<Spec, Status, C, T>) {
  return (desired: Resource<Spec, Status> | undefined, request: Request, ctx: LoopScope<Spec, Status>): Observable<Outcome | undefined> => {
    const readDesired = () => desired;
    const readCurrent = (key: Key) => phases.observe(key, ctx);
    const plan = (d: Resource<Spec, Status> | undefined, current: C | undefined, key: Key) => phases.compare(d, current as C, key);
    const steps = of(request).pipe(
      observe<Resource<Spec, Status>, C>({ desired: readDesired, current: readCurrent }),
      compare(plan),
      correct<Resource<Spec, Status> | undefined, C | undefined, T>((c) => phases.correct(c, ctx), {
        onApplied: (c) => ctx.logger.debug({ action: c.action, target: c.target, idempotencyKey: c.idempotencyKey }, 'Correction applied'),
      }),
    );
    if (phases.verify === false) return steps.pipe(map(() => undefined));
    return steps.pipe(
      verify<Resource<Spec, Status>, C, T>({
        desired: readDesired,
        current: readCurrent,
        compare: plan,
        ...(phases.verify?.inSync ? { inSync: phases.verify.inSync } : {}),
      }),
    );
  };
}

// ---- the pass context -----------------------------------------------------------------------------

/** What every pass of one loop shares. */
interface LoopEnv {
  readonly loop: string;
  readonly kind: string;
  readonly store: Store;
  readonly scheduler: SchedulerLike;
  readonly logger: Logger;
  readonly random: () => number;
}

/** The {@link LoopContext} of one pass, with the pass's resource snapshot. */
class LoopScope<Spec, Status> implements LoopContext<Spec, Status> {
  readonly loop: string;
  readonly key: Key;
  readonly kind: string;
  readonly store: Store;
  readonly request: Request;
  readonly reconcileId: string;
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
    this.reconcileId = pass.reconcileId;
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
