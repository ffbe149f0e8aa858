/**
 * What a work queue reports about itself: its snapshot (keys queued, running, delayed, parked, hot),
 * counters and cheap stats. Read through `QueueControl` and `Loop.snapshot()`.
 *
 * @module
 */
import type { FailureClass } from './outcome.js';
import type { Key, TriggerReason } from './types.js';

/** Why a key is parked (no automatic passes). */
export type ParkReason = 'terminal' | 'quarantined';

/** A key waiting for its next attempt. */
export interface DelayedKey {
  readonly key: Key;
  readonly nextAttemptAt: number;
  /** Consecutive failures so far. */
  readonly failures: number;
  readonly why: 'requeue' | 'backoff' | 'waiting';
  /** Message of the last failure (or of the dependency wait). */
  readonly lastError: string | undefined;
  /** Class of the last failure. */
  readonly failureClass: FailureClass | undefined;
  /** Past its convergence deadline. */
  readonly overdue: boolean;
}

/** A key the queue will not run by itself (dead-letter). */
export interface ParkedKey {
  readonly key: Key;
  readonly reason: ParkReason;
  /** Consecutive failed attempts, the last one included. */
  readonly failures: number;
  /** Message of the failure that parked the key. */
  readonly lastError: string | undefined;
  /** Class of that failure. */
  readonly failureClass: FailureClass | undefined;
  /** Scheduler time at which the key was parked. */
  readonly since: number;
  /** Past its convergence deadline. */
  readonly overdue: boolean;
}

/**
 * Counters since the queue started. Per-outcome counts follow the outcome acted on: a `dependency`
 * failure counts as `waiting`, a `permanent` retry as `terminal`; `retry` includes the pass that
 * quarantines a key; `released` counts `release`, a desired change and a manual trigger.
 */
export interface QueueCounters {
  /** Triggers received, before collapsing. */
  readonly adds: number;
  readonly passes: number;
  readonly converged: number;
  readonly requeueAfter: number;
  readonly retry: number;
  readonly terminal: number;
  readonly waiting: number;
  readonly quarantined: number;
  readonly released: number;
  /** Keys reported past their convergence deadline. */
  readonly overdue: number;
  /** Keys reported hot (see `WorkQueueOptions.hotKeys`). */
  readonly hot: number;
  /** Times the queue yielded to the event loop in the middle of a drain (see `timeSlice`). */
  readonly yields: number;
  /** Hooks and callbacks that threw (contained). */
  readonly callbackErrors: number;
  /** Failed passes (and dependency waits) by failure class. */
  readonly errorsByClass: Readonly<Record<FailureClass, number>>;
}

/**
 * Cheap gauges of a queue for metrics scrapes: O(running passes), never O(keys), no per-key lists.
 * `delayed` counts keys waiting for a requeue, a backoff or a dependency; `parked` terminal plus
 * quarantined keys. `counters` is the queue's live object: read it, never keep or mutate it.
 */
export interface QueueStats {
  readonly at: number;
  readonly workers: number;
  readonly depth: number;
  readonly running: number;
  readonly delayed: number;
  readonly parked: number;
  /** True while paused. */
  readonly paused: boolean;
  /** Start time of the longest-running pass, if any runs. */
  readonly oldestRunningSince: number | undefined;
  /** Start times of the running passes. */
  readonly runningSince: readonly number[];
  /** Live counters (do not mutate). */
  readonly counters: QueueCounters;
}

/**
 * A point-in-time view of the queue: the typed value behind `loop.snapshot()` and `loop.state$`, for
 * admin pages, CLIs and tests. A plain copy that can be turned into JSON; later changes do not show
 * through it. Costs O(keys with a record); for frequent scrapes use {@link QueueStats}.
 */
export interface QueueSnapshot {
  /** Scheduler time of the snapshot (ms). */
  readonly at: number;
  /** Concurrency limit; 0 when no queue is attached. */
  readonly workers: number;
  /** True once `stop()` was called. */
  readonly stopping: boolean;
  /** True while paused: no new pass starts (triggers are still collected). */
  readonly paused: boolean;
  /** Keys ready to run (both lanes). */
  readonly depth: number;
  /** Passes running now (`inFlight.length`). */
  readonly running: number;
  /** Key, start time and trigger reason of each running pass. */
  readonly inFlight: readonly InFlightKey[];
  /** Keys waiting for a requeue, a backoff or a dependency, soonest first. */
  readonly delayed: readonly DelayedKey[];
  /** Terminal and quarantined keys (dead-letter), in no particular order. */
  readonly parked: readonly ParkedKey[];
  /** Keys reported hot and not yet settled (see `WorkQueueOptions.hotKeys`). */
  readonly hot: readonly HotKey[];
  /** Counters since the queue started (a copy). */
  readonly counters: QueueCounters;
}

/** A running pass in a {@link QueueSnapshot}. */
export interface InFlightKey {
  readonly key: Key;
  /** Scheduler time at which the pass started. */
  readonly since: number;
  readonly reason: TriggerReason;
}


/** A key running again and again without a desired change, in a {@link QueueSnapshot}. */
export interface HotKey {
  readonly key: Key;
  /** Scheduler time at which its streak of immediate reruns began. */
  readonly since: number;
  /** Immediate reruns in a row so far (saturates at 63). */
  readonly reruns: number;
}
