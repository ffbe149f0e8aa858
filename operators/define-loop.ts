import { EMPTY, Subject, asyncScheduler, catchError, defer, merge, subscribeOn, tap } from 'rxjs';
import type { Observable, Subscription } from 'rxjs';
import { Backoff, InvalidArgumentError, createQueueControl, keyOf, noopLogger, safeLogger, toError } from '../src/index.js';
import type { Key, Logger, PassResult, QueueSnapshot, Request, Work, WorkQueueOptions } from '../src/index.js';
import { callerSource } from './describe-loops.js';
import { ignoreOwnWrites } from './ignore-own-writes.js';
import { instrument } from './instrument.js';
import { HealthTracker } from './loop/loop-health.js';
import type { LoopHealth } from './loop/loop-health.js';
import { LoopScope } from './loop/loop-context.js';
import type { LoopEnv } from './loop/loop-context.js';
import { QUEUE_OPTION_KEYS, checkLoopOptions } from './loop/loop-options.js';
import type { LoopOptions, LoopOptionsBase, PhaseLoopOptions, ReconcileLoopOptions } from './loop/loop-options.js';
import { passOf } from './loop/loop-pass.js';
import { recordParked } from './loop/record-parked.js';
import { resync } from './resync.js';
import { retryWithBackoff } from './retry-with-backoff.js';
import { triggerOwners } from './trigger-owners.js';
import { triggerWith } from './trigger-with.js';
import { supervisedWatch } from './watch-events.js';
import { watchRequests } from './watch-requests.js';
import { workQueue } from './work-queue.js';

export type { LoopContext } from './loop/loop-context.js';
export type { LoopHealth, LoopState, SourceHealth } from './loop/loop-health.js';
export type {
  Dependency,
  LoopFinalizer,
  LoopOptions,
  LoopOptionsBase,
  LoopQueueOptions,
  PhaseLoopOptions,
  ReconcileLoopOptions,
} from './loop/loop-options.js';

/** A running loop. */
export interface Loop {
  readonly name: string;
  /** Where the loop was defined (`file:line`), for `describeLoops`; undefined when the runtime gives no stack. */
  readonly source: string | undefined;
  /** The options the loop was defined with (for `describeLoops`). */
  readonly options: LoopOptionsBase<unknown, unknown> & { readonly style: 'reconcile' | 'phases' };
  /**
   * One result per finished pass (hot). Completes when the loop stops — or dies, after logging why at
   * `error` (see `health()`): it never errors, so a subscriber without an error handler is safe.
   */
  readonly results$: Observable<PassResult>;
  /** Queue snapshots after changes, starting with the current one. */
  readonly state$: Observable<QueueSnapshot>;
  /** The queue right now: depth, in flight, backoff, quarantine (key, last error, attempts), hot keys, counters. */
  snapshot(): QueueSnapshot;
  /** Alive, ready (first full list done), paused, and what the trigger sources went through. */
  health(): LoopHealth;
  /** Runs `key` now, even in backoff or quarantine (the manual force). False once stopped. */
  trigger(key: Key): boolean;
  /** Releases a quarantined or terminal key and runs it once. False when it was not parked. */
  release(key: Key): boolean;
  /** Starts no new pass until `resume()` (running passes finish; triggers are collected). False once stopped. */
  pause(): boolean;
  /** Starts passes again after `pause()`. False once stopped. */
  resume(): boolean;
  /** Resolves when nothing is queued, running or delayed. */
  whenIdle(): Promise<void>;
  /**
   * Graceful stop: no new passes; in-flight passes finish or are aborted after `deadline` ms. A later
   * call with an earlier deadline brings it forward. A bad deadline is refused (thrown) before
   * anything changes. Never rejects.
   */
  stop(options?: { readonly deadline?: number }): Promise<void>;
}

/**
 * Defines and starts a reconcile loop over one kind of a store — the easy mode.
 *
 * Two styles: Halo's `reconcile(request, ctx)` returning an `Outcome` (or nothing = converged), or
 * the four phases `observe` / `compare` / `correct` / `verify`. Triggers are the store's watch of the
 * kind (the list first, at low priority), an optional periodic `resync`, `dependencies` (child kinds
 * through owner references or a mapping), external `triggers`, and `loop.trigger(key)`.
 *
 * It is a thin composition of the public operators:
 * `merge(watchRequests, resync, watchEvents → triggerOwners / triggerWith, triggers)` → `workQueue(pass)`,
 * where the pass is `withConditions(withSchema(withFinalizer(reconcile or observe → compare → correct
 * → verify)))`, each wrapper present only when its option is, and every source is supervised
 * (`retryWithBackoff`). The loop's own condition and finalizer writes go through `ignoreOwnWrites`, so
 * they do not come back as triggers. The first pass starts on the scheduler's next tick, so subscribe
 * to `results$` right away. Options are checked (zod) before anything starts: a loop that cannot run
 * is refused, naming the option and what to do.
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
 * 1. The watch replays the kind's list: each key is queued (low lane) and reconciled once; once the
 *    list is complete the loop is `ready`.
 * 2. Each change queues its key (high lane); a change during a pass gives one more pass after it.
 * 3. An `Outcome` decides what comes next: forget, requeue later, back off, park, or wait; the
 *    conditions on the resource's status say which.
 * 4. A source that fails (the watch, a resync listing, a dependency, a user trigger source) is logged
 *    and restarted with the loop's backoff; the watch resumes where it stopped.
 * 5. `stop()` lets passes finish (or aborts them at the deadline), then `results$` completes.
 *
 * ## Guarantees
 * G1–G4 of the work queue; a throwing pass never stops the loop (it becomes `retry`); failure classes,
 * backoff, quarantine and release (G6, G11, G12), quarantine visible on status even when the pass timed
 * out; finalizers (G8); status conditions written only when they change (G9); bad specs are parked and
 * reported, never retried, and lose nothing (G13); sources and user callbacks (filter, dependency
 * maps, classify, logger, metrics, hooks) never end the loop (G14); the process is never starved (G15).
 * A loop that ends for any other reason logs why at `error`, says so in `health()`, and completes
 * `results$`.
 *
 * ## Caveats
 * - A write through `ctx.store` or `ctx.updateStatus` is a watch event like any other: it causes one
 *   more pass, which writes nothing and converges. Filter events with `filter` if that pass is costly.
 * - With `conditions` (the default), each pass reads the resource once more at its end.
 */
export function defineLoop<Spec = unknown, Status = unknown, C = unknown, T = unknown>(options: LoopOptions<Spec, Status, C, T>): Loop {
  checkLoopOptions(options);
  const source = options.source ?? callerSource();
  const { name, store, kind } = options;
  const scheduler = options.scheduler ?? asyncScheduler;
  const logger: Logger = safeLogger(options.logger ?? noopLogger).child({ loop: name });
  const control = createQueueControl({ scheduler });
  const health = new HealthTracker(scheduler);
  /** The loop's own writes (conditions, finalizer) through this view do not come back as triggers. */
  const own = ignoreOwnWrites(store);
  const random = options.random ?? Math.random;
  const env: LoopEnv = { loop: name, kind, store, scheduler, logger, random };

  const pass = passOf(options, own, logger);
  const work: Work = (request, queuePass) => pass(request, new LoopScope<Spec, Status>(env, request, queuePass));

  // ---- trigger sources, each supervised: a failure is logged, counted, and restarted with backoff --
  const backoff = options.backoff ?? Backoff.defaultPolicy;
  const failed = (source: string) => (error: Error, retryInMs?: number) => {
    health.failed(source, error);
    hooks.onSourceError?.(source, error);
    if (retryInMs === undefined) logger.warn({ source, err: error }, 'Trigger source failed: this round is skipped');
  };
  const supervise = <V>(source: string, source$: Observable<V>): Observable<V> =>
    source$.pipe(
      retryWithBackoff<V>(backoff, {
        forever: true,
        scheduler,
        random,
        onRetry: (error, attempt, delay) => {
          health.failed(source, error);
          hooks.onSourceError?.(source, error);
          logger.warn({ source, err: error, attempt, retryIn: delay }, 'Trigger source failed: restarting');
        },
      }),
      catchError((error: unknown) => {
        // Unreachable with `forever`; kept so that no source can ever end the loop.
        health.failed(source, toError(error));
        return EMPTY;
      }),
    );
  const watchOptions = { logger, backoff, scheduler, random };
  const triggers: Observable<Key | Request>[] = [];
  const own$ = `watch ${kind}`;
  health.source(own$, true);
  triggers.push(
    watchRequests<Spec, Status>(own, kind, {
      ...watchOptions,
      ...(options.filter ? { filter: options.filter } : {}),
      onSynced: () => health.listed(own$),
      onError: failed(own$),
    }),
  );
  if (options.resync !== undefined) {
    health.source('resync', false);
    triggers.push(resync({ every: options.resync, scheduler, logger, onError: failed('resync'), keys: async () => (await store.list(kind)).map(keyOf) }));
  }
  for (const dep of options.dependencies ?? []) {
    const depKind = typeof dep === 'string' ? dep : dep.kind;
    const label = `dependency ${depKind}`;
    health.source(label, false);
    const events$ = supervisedWatch(store, depKind, { ...watchOptions, onError: failed(label) });
    if (typeof dep === 'string') triggers.push(events$.pipe(triggerOwners(kind, { logger })));
    else if ('map' in dep) triggers.push(events$.pipe(triggerWith(dep.map, { logger })));
    else triggers.push(events$.pipe(triggerOwners(kind, { controllerOnly: dep.controllerOnly === true, logger })));
  }
  (options.triggers ?? []).forEach((trigger$, i) => {
    const label = `triggers[${i}]`;
    health.source(label, false);
    triggers.push(supervise(label, trigger$.pipe(tap({ complete: () => logger.info({ source: label }, 'Trigger source completed') }))));
  });

  const hooks = instrument({
    logger,
    probe: { name, stats: () => control.stats() },
    ...(options.metrics ? { metrics: options.metrics } : {}),
    hooks: {
      onFinish: (result) => {
        if (options.conditions !== false) recordParked(result, { store: own, kind, scheduler, logger });
        options.hooks?.onFinish?.(result);
      },
      ...(options.hooks ? withoutFinish(options.hooks) : {}),
    },
    ...(options.convergenceDeadline !== undefined ? { convergenceDeadline: options.convergenceDeadline } : {}),
  });

  const results = new Subject<PassResult>();
  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  let stopped: Promise<void> | undefined;
  const end = (): void => {
    if (!results.closed) results.complete();
  };
  const subscription: Subscription = defer(() => {
    markStarted();
    health.running();
    return merge(...triggers);
  })
    .pipe(subscribeOn(scheduler), workQueue(work, { ...queueOptions(options), scheduler, control, hooks }))
    .subscribe({
      next: (result) => results.next(result),
      error: (thrown: unknown) => {
        // Nothing in the loop should get here (sources are supervised, passes become outcomes): if
        // something does, the loop says so loudly and ends cleanly instead of throwing at subscribers.
        const error = toError(thrown);
        health.died(error.message);
        logger.error({ err: error }, 'Loop died');
        markStarted();
        end();
      },
      complete: () => {
        if (!health.isStopping && !health.isDead) {
          health.died('the trigger sources completed');
          logger.error({}, 'Loop died');
        }
        end();
      },
    });

  const { reconcile: _r, observe: _o, compare: _c, correct: _k, verify: _v, ...base } = options as ReconcileLoopOptions<Spec, Status> &
    Partial<PhaseLoopOptions<Spec, Status, C, T>>;
  void [_r, _o, _c, _k, _v];
  const running = (): boolean => stopped === undefined && !health.isDead;

  return {
    name,
    source,
    options: { ...(base as LoopOptionsBase<unknown, unknown>), style: 'reconcile' in options ? 'reconcile' : 'phases' },
    results$: results.asObservable(),
    state$: control.state$,
    snapshot: () => control.snapshot(),
    health: () => health.read(control.stats()?.paused ?? false),
    trigger: (key) => running() && control.trigger(key),
    release: (key) => running() && control.release(key),
    pause: () => running() && control.pause(),
    resume: () => running() && control.resume(),
    whenIdle: () => started.then(() => control.whenIdle()),
    stop: (stopOptions = {}) => {
      const deadline = (stopOptions as { deadline?: unknown } | null)?.deadline;
      if (deadline !== undefined && (typeof deadline !== 'number' || !Number.isFinite(deadline) || deadline < 0)) {
        throw new InvalidArgumentError(`loop "${name}" stop: deadline must be a finite number of ms ≥ 0 (got ${String(deadline)}); leave it out to wait for running passes`);
      }
      health.stopping();
      // Every call goes to the queue, so that a later, earlier deadline applies.
      const drained = control.stop(deadline === undefined ? {} : { deadline });
      stopped ??= drained
        .catch(() => undefined)
        .then(() => {
          subscription.unsubscribe();
          health.stopped();
          end();
          logger.info({}, 'Loop stopped');
        });
      return stopped;
    },
  };
}

/** The options of `options` that go to `workQueue` as they are (only those that are set). */
function queueOptions(options: object): WorkQueueOptions {
  const given = options as Readonly<Record<string, unknown>>;
  const picked: Record<string, unknown> = {};
  for (const key of QUEUE_OPTION_KEYS) if (given[key] !== undefined) picked[key] = given[key];
  return picked as WorkQueueOptions;
}

function withoutFinish(hooks: NonNullable<LoopOptionsBase<unknown, unknown>['hooks']>): Omit<typeof hooks, 'onFinish'> {
  const { onFinish: _f, ...rest } = hooks;
  void _f;
  return rest;
}
