/**
 * What every easy-mode loop shares, whatever its desired state comes from (a store, or `desired$` /
 * `current$` streams): the logger, health, the queue control, supervised trigger sources, the
 * observability hooks, and the running `Loop` itself — the queue fed by the merged sources, a
 * `results$` that never errors, stop, pause, trigger and release.
 *
 * @module
 */
import { EMPTY, Subject, asyncScheduler, catchError, defer, merge, subscribeOn, tap } from 'rxjs';
import type { Observable, SchedulerLike, Subscription } from 'rxjs';
import { Backoff, InvalidArgumentError, createQueueControl, noopLogger, safeLogger, toError } from '../../src/index.js';
import type { BackoffPolicy, Key, Logger, Metrics, PassResult, QueueControl, QueueHooks, ReconcileRequest, Work, WorkQueueOptions } from '../../src/index.js';
import { instrument } from '../instrument.js';
import { holdSource } from './held-source.js';
import { retryWithBackoff } from '../retry-with-backoff.js';
import { workQueue } from '../work-queue.js';
import type { LoopUsage } from './loop-context.js';
import { HealthTracker } from './loop-health.js';
import { QUEUE_OPTION_KEYS } from './loop-options.js';
import type { Loop } from './loop.js';

/** The options every loop shares, as the runtime reads them. */
export interface RuntimeOptions {
  readonly name: string;
  readonly scheduler?: SchedulerLike;
  readonly logger?: Logger;
  readonly backoff?: BackoffPolicy;
  readonly random?: () => number;
  readonly metrics?: Metrics;
  readonly hooks?: QueueHooks;
  readonly convergenceDeadline?: number;
  readonly triggers?: readonly Observable<Key | ReconcileRequest>[];
}

/** The shared machinery of one loop; see the module. */
export class LoopRuntime {
  readonly name: string;
  readonly scheduler: SchedulerLike;
  readonly logger: Logger;
  readonly control: QueueControl;
  readonly health: HealthTracker;
  readonly random: () => number;
  readonly backoff: BackoffPolicy;
  private readonly options: RuntimeOptions;
  private hooks: QueueHooks | undefined;
  /** Releases the user sources held since the loop was defined (for a loop stopped before its first tick). */
  private readonly releases: (() => void)[] = [];

  constructor(options: RuntimeOptions) {
    this.options = options;
    this.name = options.name;
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.logger = safeLogger(options.logger ?? noopLogger).child({ loop: options.name });
    this.control = createQueueControl({ scheduler: this.scheduler });
    this.health = new HealthTracker(this.scheduler);
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? Backoff.defaultPolicy;
  }

  /** Options for the supervised watches of a loop (`watchEvents`, `watchRequests`). */
  get watchOptions(): { logger: Logger; backoff: BackoffPolicy; scheduler: SchedulerLike; random: () => number } {
    return { logger: this.logger, backoff: this.backoff, scheduler: this.scheduler, random: this.random };
  }

  /** The callback a source calls when it failed: counted in health, told to metrics, logged for skipped rounds. */
  failed(source: string): (error: Error, retryInMs?: number) => void {
    return (error, retryInMs) => {
      this.flawed(source, error);
      if (retryInMs === undefined) this.logger.warn({ source, err: error }, 'Trigger source failed: this round is skipped');
    };
  }

  /** A source delivered something partly unusable (it goes on): counted in health and told to metrics; the caller logs it. */
  flawed(source: string, error: Error): void {
    this.health.failed(source, error);
    this.hooks?.onSourceError?.(source, error);
  }

  /** `source$` restarted with the loop's backoff whenever it errors, forever. */
  supervise<V>(source: string, source$: Observable<V>): Observable<V> {
    return source$.pipe(
      retryWithBackoff<V>(this.backoff, {
        forever: true,
        scheduler: this.scheduler,
        random: this.random,
        onRetry: (error, attempt, delay) => {
          this.health.failed(source, error);
          this.hooks?.onSourceError?.(source, error);
          this.logger.warn({ source, err: error, attempt, retryIn: delay }, 'Trigger source failed: restarting');
        },
      }),
      catchError((error: unknown) => {
        // Unreachable with `forever`; kept so that no source can ever end the loop.
        this.health.failed(source, toError(error));
        return EMPTY;
      }),
    );
  }

  /**
   * A user's `Subject` (hot: it does not wait for subscribers), subscribed to now and held until the
   * loop subscribes on its scheduler, so that what the app emits right after `defineLoop` is not lost.
   * Other Observables are subscribed on the loop's first tick as before (a cold source then starts
   * there, and its first values come after whatever subscribed to `results$` meanwhile).
   */
  /** Runs `release` when the loop stops (every stop, once the queue has drained). */
  onStop(release: () => void): void {
    this.releases.push(release);
  }

  hold<V>(source$: Observable<V>): Observable<V> {
    if (!(source$ instanceof Subject)) return source$;
    const held = holdSource(source$);
    this.releases.push(held.release);
    return held.observable;
  }

  /** The user's `triggers`, each held from now and supervised, as sources of the loop. */
  userTriggers(): Observable<Key | ReconcileRequest>[] {
    return (this.options.triggers ?? []).map((trigger$, i) => {
      const label = `triggers[${i}]`;
      this.health.source(label, false);
      return this.supervise(label, this.hold(trigger$).pipe(tap({ complete: () => this.logger.info({ source: label }, 'Trigger source completed') })));
    });
  }

  /**
   * Starts the loop: the merged `triggers` feed the queue running `work`. `onFinish` runs for each
   * pass before the user's own hooks.
   */
  start(args: {
    readonly triggers: readonly Observable<Key | ReconcileRequest>[];
    readonly work: Work;
    readonly queueOptions: object;
    readonly onFinish?: (result: PassResult) => void;
    readonly describe: Loop['options'];
    readonly source: string | undefined;
    readonly usage: LoopUsage;
    /**
     * True when the loop's sources may end by design (a stream loop over a finite `desired$`): the loop
     * then completes (logged at info) instead of dying.
     */
    readonly mayComplete?: boolean;
  }): Loop {
    const { name, scheduler, logger, control, health, releases } = this;
    // The user's hooks go to `instrument` as given: their getters are read there, inside a guard
    // (a hooks object whose getters throw stops nothing; each throw is logged).
    const observed = instrument({
      logger,
      probe: { name, stats: () => control.stats() },
      ...(this.options.metrics ? { metrics: this.options.metrics } : {}),
      ...(this.options.hooks ? { hooks: this.options.hooks } : {}),
      ...(this.options.convergenceDeadline !== undefined ? { convergenceDeadline: this.options.convergenceDeadline } : {}),
    });
    // The loop's own `onFinish` first (conditions of a parked, aborted pass), then the observers'. A
    // quiet loop without conditions has no `onFinish` at all: no result is built per pass.
    const own = args.onFinish;
    const theirs = observed.onFinish;
    const hooks: QueueHooks =
      own === undefined
        ? observed
        : {
            ...observed,
            onFinish: (result) => {
              try {
                own(result);
              } finally {
                theirs?.(result); // a throw of `own` is then the queue's to contain and report
              }
            },
          };
    this.hooks = hooks;

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
      return merge(...args.triggers);
    })
      // A result goes through `results$` only while someone subscribes to it (the hooks above see
      // every pass either way): a loop nobody watches pass by pass does not emit through RxJS.
      .pipe(subscribeOn(scheduler), workQueue(args.work, { ...pickQueueOptions(args.queueOptions), scheduler, control, hooks, results: () => results.observed }))
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
            if (args.mayComplete === true) {
              health.completed('its sources completed and every key was reconciled');
              logger.info({}, 'Loop completed');
            } else {
              health.died('the trigger sources completed');
              logger.error({}, 'Loop died');
            }
          }
          end();
        },
      });

    const running = (): boolean => stopped === undefined && !health.isDead;
    const usage = args.usage;
    return {
      name,
      source: args.source,
      options: args.describe,
      results$: results.asObservable(),
      state$: control.state$,
      snapshot: () => control.snapshot(),
      health: () => health.read(control.stats()?.paused ?? false),
      usage: () => ({ ...usage, finalizers: new Set(usage.finalizers), ownedKinds: new Set(usage.ownedKinds) }),
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
            for (const release of releases) release(); // sources held by a loop stopped before its first tick
            health.stopped();
            end();
            logger.info({}, 'Loop stopped');
          });
        return stopped;
      },
    };
  }
}

/** The options of `options` that go to `workQueue` as they are (only those that are set). */
function pickQueueOptions(options: object): WorkQueueOptions {
  const given = options as Readonly<Record<string, unknown>>;
  const picked: Record<string, unknown> = {};
  for (const key of QUEUE_OPTION_KEYS) if (given[key] !== undefined) picked[key] = given[key];
  return picked as WorkQueueOptions;
}
