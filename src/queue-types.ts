/**
 * The types of the keyed work queue: what a pass receives and returns, the queue's options, hooks
 * and the typed views of its state (`QueueSnapshot`, `QueueStats`) that admin pages and CLIs read.
 *
 * @module
 */
import type { SchedulerLike } from 'rxjs';
import type { BackoffPolicy } from './backoff.js';
import type { Classifier, FailureClass, Outcome } from './outcome.js';
import type { QueueControl } from './queue-control.js';
import type { RateLimit } from './rate-limit.js';
import type { Key, MaybeAsync, ReconcileRequest, TriggerReason } from './types.js';
import type { ParkReason } from './queue-snapshot.js';

export type { DelayedKey, HotKey, InFlightKey, ParkReason, ParkedKey, QueueCounters, QueueSnapshot, QueueStats } from './queue-snapshot.js';

/** What a pass's work function receives besides its request. */
export interface PassContext {
  readonly key: Key;
  /**
   * A fresh id for this pass, unique in the process: on the pass's log lines (`Reconciling`,
   * `Reconcile failed`, `ctx.logger`) and on its `PassResult`, to find every line of one pass.
   */
  readonly reconcileId: string;
  /** Consecutive failed passes of this key before this one (0 after a success). */
  readonly failures: number;
  /**
   * Aborted when the pass times out or the loop stops at its deadline (reason: the `TimeoutError` or
   * `StoppedError`). Created on first read; a read after the abort gives an aborted signal.
   */
  readonly signal: AbortSignal;
  /**
   * True once the pass was aborted: `signal.aborted` without building the signal. For the package's
   * wrappers on the hot path; user code reads `signal`, the one abort API of a pass.
   *
   * @internal
   */
  readonly aborted: boolean;
  /**
   * Calls `callback` when the pass is aborted (at once if it already was), without building the
   * `AbortController` behind `signal`. For the package's wrappers on the hot path; user code listens
   * to `signal`.
   *
   * @internal
   */
  onAbort(callback: () => void): void;
  /** Scheduler time at which this pass started. */
  readonly startedAt: number;
  /**
   * With `convergenceDeadline`: since when (scheduler time) the key's current desired revision has
   * been waiting to converge. `undefined` when the option is off.
   */
  readonly convergingSince: number | undefined;
  /** With `convergenceDeadline`: true once `convergingSince` is older than the deadline. */
  readonly overdue: boolean;
  /**
   * What the queue will do if this pass ends with `outcome` (and no trigger arrives meanwhile): its
   * failure class, the failure count after it, whether it parks the key. Pure: changes nothing.
   * Used to write status conditions that say what happens next.
   */
  assess(outcome: Outcome): PassVerdict;
}

/** What the queue makes of a pass's outcome; see {@link PassContext.assess}. */
export interface PassVerdict {
  /** The outcome acted on: a `dependency` failure becomes `waiting`, a `permanent` one `terminal`. */
  readonly outcome: Outcome;
  /** Set for failures and dependency waits. */
  readonly failureClass: FailureClass | undefined;
  /** Consecutive failures of the key after the pass. */
  readonly failures: number;
  /** Set when the pass parks the key. */
  readonly parked: ParkReason | undefined;
  /** True when the key runs again at once (a bounded conflict retry, or `requeueAfter(0)`). */
  readonly immediate: boolean;
}

/**
 * The work done for one key: returns an `Outcome` (or nothing = converged), sync or async.
 * `Ctx` lets wrappers (`withFinalizer`, `withConditions`, `defineLoop`) pass a richer context.
 */
export type Work<Ctx extends PassContext = PassContext> = (
  request: ReconcileRequest,
  context: Ctx,
) => MaybeAsync<Outcome | undefined | void>;


/** One finished pass, emitted by `workQueue`. Per-key failures are items, never stream errors. */
export interface PassResult {
  readonly key: Key;
  /** The pass's id (see `PassContext.reconcileId`). */
  readonly reconcileId: string;
  readonly request: ReconcileRequest;
  readonly outcome: Outcome;
  /** Set when the outcome is a failure (retry/terminal) or a dependency wait. */
  readonly failureClass: FailureClass | undefined;
  /** Consecutive failures of the key after this pass. */
  readonly failures: number;
  readonly startedAt: number;
  readonly finishedAt: number;
  /** When the queue will look at this key again by itself, if it will. */
  readonly nextAttemptAt: number | undefined;
  /** Set when this pass parked the key. */
  readonly parked: ParkReason | undefined;
  /**
   * True when the pass was aborted (its timeout, or the stop deadline) before it ended by itself:
   * whatever it meant to write at its end (status conditions) was not written.
   */
  readonly aborted: boolean;
}

/** Callbacks for observability (metrics, logs). Each is optional and called synchronously. */
export interface QueueHooks {
  /** A trigger arrived (before collapsing); `revision` is the desired-state token, when known. */
  onAdd?(key: Key, reason: TriggerReason, revision: number | undefined): void;
  /** A pass starts; `queuedMs` is the time the key waited ready in a lane. */
  onStart?(key: Key, request: ReconcileRequest, queuedMs: number, pass?: PassContext): void;
  /** A pass finished (before the result is emitted). */
  onFinish?(result: PassResult): void;
  /** A key was released from quarantine or terminal parking. */
  onRelease?(key: Key, by: 'release' | 'change' | 'trigger'): void;
  /**
   * With `convergenceDeadline`: the key's desired revision did not converge within the deadline.
   * `since` is when its convergence clock started. Called once per revision; the key keeps running.
   */
  onOverdue?(key: Key, since: number, revision: number | undefined): void;
  /**
   * The key ran again at once (`requeueAfter(0)`, conflicts, its own writes) more than
   * `hotKeys.after` times in a row at over `hotKeys.perSecond` passes a second without a desired
   * change: it is reported once per streak, and its immediate reruns are spaced out from now on.
   */
  onHot?(key: Key, passesPerSecond: number): void;
  /**
   * A hook or callback threw (the error is contained: the queue goes on). `where` names it, e.g.
   * `hooks.onFinish`. Called at most once per failing call; if it throws too, that is dropped.
   */
  onCallbackError?(error: Error, where: string): void;
  /**
   * A trigger source of the loop failed (`source`: e.g. `watch Todo`, `resync`, `triggers[0]`) and
   * restarts by itself. Called by `defineLoop`, not by the queue.
   */
  onSourceError?(source: string, error: Error): void;
}

/** Options of the work queue. */
export interface WorkQueueOptions {
  /** Concurrent passes across keys. Default 4. */
  readonly workers?: number;
  /** All time (delays, timeouts, deadlines) goes through it. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Per-key failure backoff; its `steps` is the number of retries before quarantine. */
  readonly backoff?: BackoffPolicy;
  /** A global token bucket applied to every failure retry, across keys. */
  readonly rateLimit?: RateLimit;
  /** Overrides the default failure classes. */
  readonly classify?: Classifier;
  /**
   * Conflicts retried at once, in a row, before conflicts count as transient failures (backoff)
   * until the key succeeds again. Default 3.
   */
  readonly conflictRetries?: number;
  /** Wait after a `DependencyNotReadyError` without its own delay. Default 5000 ms. */
  readonly dependencyInterval?: number;
  /** Per-pass timeout in ms; the pass is aborted and counts as transient. Default none. */
  readonly timeout?: number;
  /**
   * Convergence deadline in ms: a key whose desired revision has not converged (a pass ending in
   * `converged` or `requeueAfter`) this long after the queue first saw it is reported once through
   * `hooks.onOverdue`, flagged `overdue` in its passes and in snapshots, and keeps being reconciled.
   * Default none (no clock, no cost).
   */
  readonly convergenceDeadline?: number;
  /** After this many high-lane starts in a row, one low-lane key starts (aging). Default 4. */
  readonly agingEvery?: number;
  /** Random source for backoff jitter and the prefix of pass ids (`reconcileId`). Default `Math.random`. */
  readonly random?: () => number;
  /**
   * Passes that end without real I/O (a Promise that is already resolved) chain on microtasks and
   * would starve the event loop: after `timeSlice` ms of scheduler time without a macrotask, the
   * queue continues on the next macrotask (through the scheduler). Timers, I/O, health checks and
   * stop deadlines keep running during a drain. In virtual time the slice never expires. Default 5.
   */
  readonly timeSlice?: number;
  /**
   * Hot keys: a key that runs again at once (`requeueAfter(0)`, conflict retries, a write of its own
   * that comes back as a trigger) more than `after` times in a row (default 10), faster than
   * `perSecond` passes a second (default 20), without a desired change, is reported as hot (hook,
   * log, metric, `snapshot().hot`), and its immediate reruns are spaced `1000 / perSecond` ms apart
   * until it settles or its desired state changes.
   */
  readonly hotKeys?: { readonly after?: number; readonly perSecond?: number };
  /**
   * Which finished passes the output emits as a `PassResult`: `true` (default) every one; `false`
   * none — the output only completes or errors, and a pass builds no result object unless a hook's
   * `onFinish` reads it; or a function asked after each pass (`() => results$.observed`: only while
   * someone watches). A loop nobody watches pass by pass then pays nothing for results.
   */
  readonly results?: boolean | (() => boolean);
  /** Observability callbacks. */
  readonly hooks?: QueueHooks;
  /** Handle to trigger, release, inspect and stop the running queue. */
  readonly control?: QueueControl;
}

