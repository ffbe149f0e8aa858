import { Subject, asyncScheduler, defer, map, merge, of, subscribeOn } from 'rxjs';
import type { Observable, SchedulerLike, Subscription } from 'rxjs';
import { createQueueControl, keyOf, noopLogger, produceStatus, stampObservedGeneration } from '../src/index.js';
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
  QueueHooks,
  QueueSnapshot,
  RateLimit,
  Request,
  Resource,
  Store,
  WatchEvent,
  Work,
} from '../src/index.js';
import type { Draft } from 'immer';
import { compare } from './compare.js';
import type { CorrectionInput } from './compare.js';
import { correct } from './correct.js';
import { instrument } from './instrument.js';
import { observe } from './observe.js';
import { resync } from './resync.js';
import { triggerOwners } from './trigger-owners.js';
import { triggerWith } from './trigger-with.js';
import { verify } from './verify.js';
import { watchRequests } from './watch-requests.js';
import { workQueue } from './work-queue.js';

/** What a pass of an easy-mode loop can use besides its request. */
export interface LoopContext<Spec, Status> {
  readonly loop: string;
  readonly key: Key;
  readonly kind: string;
  readonly store: Store;
  readonly request: Request;
  /** Consecutive failures before this pass. */
  readonly failures: number;
  /** Aborted when the pass times out or the loop stops at its deadline. */
  readonly signal: AbortSignal;
  /** A child logger with `loop`, `key` and a fresh `reconcileId`. */
  readonly logger: Logger;
  /** A fresh id for this pass, also in every log line of the pass. */
  readonly reconcileId: string;
  /** The scheduler's time as an ISO string (for timestamps in status). */
  now(): string;
  /** Reads this key's resource from the store (undefined once it is gone). */
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
  | { readonly kind: string; readonly map: (event: WatchEvent) => Iterable<Key> };

/** Options shared by both styles of {@link defineLoop}. */
export interface LoopOptionsBase<Spec, Status> {
  /** Name of the loop, in logs, metrics and descriptions. */
  readonly name: string;
  /** Where desired state lives. */
  readonly store: Store;
  /** The kind this loop reconciles. */
  readonly kind: string;
  /** Concurrent passes. Default 4. */
  readonly workers?: number;
  /** Resync period in ms: every key is reconciled again at this period (low priority). Default off. */
  readonly resync?: number;
  /** Keep only the watch events this returns true for (Halo's event matchers). Default: all. */
  readonly filter?: (event: WatchEvent<Spec, Status>) => boolean;
  /** Kinds whose changes trigger the owning key (via ownerReferences or a mapping function). */
  readonly dependencies?: readonly Dependency[];
  /** Time source for everything in the loop. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Per-key retry backoff. Default `Backoff.defaultPolicy` (1 s ×2, 5 steps, cap 60 s). */
  readonly backoff?: BackoffPolicy;
  /** A global rate limit on retries across keys. */
  readonly rateLimit?: RateLimit;
  /** Overrides the failure classes. */
  readonly classify?: Classifier;
  /** Per-pass timeout in ms. */
  readonly timeout?: number;
  /** A pino-compatible logger. Default: silent. */
  readonly logger?: Logger;
  /** Metrics port (e.g. `prometheusMetrics(...)`). Default: records nothing. */
  readonly metrics?: Metrics;
  /** Extra queue hooks, called after the library's own. */
  readonly hooks?: QueueHooks;
}

/** Halo style: one `reconcile(request)` returning an `Outcome` or nothing. */
export interface ReconcileLoopOptions<Spec, Status> extends LoopOptionsBase<Spec, Status> {
  readonly reconcile: (request: Request, context: LoopContext<Spec, Status>) => MaybeAsync<Outcome | undefined | void>;
}

/** The four phases: observe the world, compare with the resource, correct, verify. */
export interface PhaseLoopOptions<Spec, Status, C, T> extends LoopOptionsBase<Spec, Status> {
  /** Reads the current state of the world for a key. */
  readonly observe: (key: Key, context: LoopContext<Spec, Status>) => MaybeAsync<C>;
  /** Pure: the corrections that move `current` to what `desired` (undefined once deleted) asks. */
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
  /** The options the loop was defined with (for `describeLoops`). */
  readonly options: LoopOptionsBase<unknown, unknown> & { readonly style: 'reconcile' | 'phases' };
  /** One result per finished pass (hot; completes when the loop stops). */
  readonly results$: Observable<PassResult>;
  /** Queue snapshots after changes, starting with the current one. */
  readonly state$: Observable<QueueSnapshot>;
  /** The queue right now: depth, in flight, backoff, quarantine, counters. */
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

let loopSeq = 0;

/**
 * Defines and starts a reconcile loop over one kind of a store — the easy mode.
 *
 * Two styles: Halo's `reconcile(request, ctx)` returning an `Outcome` (or nothing = converged), or
 * the four phases `observe` / `compare` / `correct` / `verify`. Triggers are the store's watch of the
 * kind (the list first, at low priority), an optional periodic `resync`, `dependencies` (child kinds
 * through owner references or a mapping) and `loop.trigger(key)`.
 *
 * It is a thin composition of the public operators: `merge(watchRequests, resync, triggerOwners /
 * triggerWith)` → `workQueue(pass)`, where a phase pass is `observe → compare → correct → verify`.
 * The first pass starts on the scheduler's next tick, so subscribe to `results$` right away.
 *
 * ## Example
 * ```ts
 * import { Outcome, createMemoryStore, defineLoop } from 'rx-reconcile';
 *
 * const store = createMemoryStore();
 * const loop = defineLoop<{ title: string }, { phase?: string }>({
 *   name: 'todo', store, kind: 'Todo', workers: 2,
 *   async reconcile(request, ctx) {
 *     const todo = await ctx.get();
 *     if (!todo) return Outcome.converged();
 *     await ctx.updateStatus(todo, (s) => { s.phase = 'Ready'; });
 *     return Outcome.converged();
 *   },
 * });
 * loop.results$.subscribe((r) => console.log(r.key, r.outcome.type));
 * ```
 *
 * ## Expected flow
 * 1. The watch replays the kind's list: each key is queued (low lane) and reconciled once.
 * 2. Each change queues its key (high lane); a change during a pass gives one more pass after it.
 * 3. An `Outcome` decides what comes next: forget, requeue later, back off, park, or wait.
 * 4. `stop()` lets passes finish (or aborts them at the deadline), then `results$` completes.
 *
 * ## Guarantees
 * G1–G4 of the work queue; a throwing pass never stops the loop (it becomes `retry`); status written
 * through `ctx.updateStatus` is skipped when unchanged.
 *
 * ## Caveats
 * A change to the loop's own status is a watch event like any other: it causes one more pass, which
 * writes nothing and converges. Filter events with `filter` if that pass is costly.
 */
export function defineLoop<Spec = unknown, Status = unknown, C = unknown, T = unknown>(
  options: LoopOptions<Spec, Status, C, T>,
): Loop {
  const { name, store, kind } = options;
  const scheduler = options.scheduler ?? asyncScheduler;
  const logger = (options.logger ?? noopLogger).child({ loop: name });
  const control = createQueueControl({ scheduler });
  const seq = ++loopSeq;
  let passSeq = 0;

  const context = (request: Request, pass: PassContext): LoopContext<Spec, Status> => {
    const reconcileId = `${seq.toString(36)}-${(++passSeq).toString(36)}`;
    let passLogger: Logger | undefined;
    return {
      loop: name,
      key: request.key,
      kind,
      store,
      request,
      failures: pass.failures,
      get signal() {
        return pass.signal;
      },
      get logger() {
        passLogger ??= logger.child({ key: request.key, reconcileId });
        return passLogger;
      },
      reconcileId,
      now: () => new Date(scheduler.now()).toISOString(),
      get: () => store.get<Spec, Status>(kind, request.key),
      updateStatus: async (resource, recipe) => {
        const changed = produceStatus((resource.status ?? {}) as Status & object, recipe as (draft: Draft<Status & object>) => void);
        const stamped = stampObservedGeneration(changed, resource.metadata.generation) as Status;
        if (resource.status !== undefined && stamped === resource.status) return resource;
        return store.updateStatus<Spec, Status>({ ...resource, status: stamped });
      },
    };
  };

  let work: Work;
  if ('reconcile' in options) {
    const reconcile = options.reconcile;
    work = (request, pass) => reconcile(request, context(request, pass));
  } else {
    const phases = options;
    const readDesired = (key: Key) => store.get<Spec, Status>(kind, key);
    work = (request, pass) => {
      const ctx = context(request, pass);
      const readCurrent = (key: Key) => phases.observe(key, ctx);
      const plan = (desired: Resource<Spec, Status> | undefined, current: C | undefined, key: Key) =>
        phases.compare(desired, current as C, key);
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

  const triggers: Observable<Key | Request>[] = [watchRequests<Spec, Status>(store, kind, { logger, ...(options.filter ? { filter: options.filter } : {}) })];
  if (options.resync !== undefined) {
    triggers.push(resync({ every: options.resync, scheduler, keys: async () => (await store.list(kind)).map(keyOf) }));
  }
  for (const dep of options.dependencies ?? []) {
    if (typeof dep === 'string') triggers.push(store.watch(dep).pipe(triggerOwners(kind)));
    else if ('map' in dep) triggers.push(store.watch(dep.kind).pipe(triggerWith(dep.map)));
    else triggers.push(store.watch(dep.kind).pipe(triggerOwners(kind, { controllerOnly: dep.controllerOnly === true })));
  }

  const hooks = instrument({
    logger,
    probe: { name, stats: () => control.stats() },
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.hooks ? { hooks: options.hooks } : {}),
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
      workQueue(work, {
        scheduler,
        control,
        hooks,
        ...(options.workers !== undefined ? { workers: options.workers } : {}),
        ...(options.backoff ? { backoff: options.backoff } : {}),
        ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
        ...(options.classify ? { classify: options.classify } : {}),
        ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
      }),
    )
    .subscribe(results);

  let stopped: Promise<void> | undefined;
  const { reconcile: _r, observe: _o, compare: _c, correct: _k, verify: _v, ...base } = options as ReconcileLoopOptions<Spec, Status> &
    Partial<PhaseLoopOptions<Spec, Status, C, T>>;
  void [_r, _o, _c, _k, _v];

  return {
    name,
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
