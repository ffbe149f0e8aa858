/**
 * `QueueControl`: a handle on a running work queue, to trigger and release keys, read its state,
 * wait for idle and stop it from outside the stream.
 *
 * @module
 */
import { Observable, Subject, auditTime, asyncScheduler } from 'rxjs';
import type { SchedulerLike } from 'rxjs';
import { InvalidArgumentError } from './errors.js';
import type { QueueCounters, QueueSnapshot, QueueStats } from './queue-snapshot.js';
import type { Key, ReconcileRequest, TriggerReason } from './types.js';

/**
 * What a control needs of the queue it is attached to (the work queue engine implements it). Kept
 * here, not imported from the engine, so the engine and its control do not import each other.
 */
export interface ControlledQueue {
  add(item: Key | ReconcileRequest): void;
  release(key: Key): boolean;
  pause(): void;
  resume(): void;
  snapshot(): QueueSnapshot;
  stats(): QueueStats;
  whenIdle(): Promise<void>;
  stop(options?: { readonly deadline?: number }): Promise<void>;
  /** Called after each finished pass while set (the control sets it while `state$` is watched). */
  onPassed: (() => void) | undefined;
}

/**
 * A handle on a running work queue: trigger and release keys, read its state, wait for idle, stop.
 * Pass it as `control` to `workQueue`; it attaches while the queue is subscribed.
 */
export class QueueControl {
  private queue: ControlledQueue | undefined;
  private readonly changes = new Subject<void>();
  /** Subscribers of `state$`: while there are none, the queue does not call back after each pass. */
  private watchers = 0;
  private readonly notifyAfterPass = (): void => this.notify();
  private readonly throttleMs: number;
  private readonly scheduler: SchedulerLike;

  constructor(options: { readonly stateThrottleMs?: number; readonly scheduler?: SchedulerLike } = {}) {
    this.throttleMs = options.stateThrottleMs ?? 0;
    this.scheduler = options.scheduler ?? asyncScheduler;
  }

  /** True while a queue is attached (its `workQueue` is subscribed). */
  get attached(): boolean {
    return this.queue !== undefined;
  }

  /**
   * Runs `key` now, even in backoff or parked (a `manual` trigger). False when not attached, or when
   * `key` is not a key (a non-empty string): nothing is queued then.
   */
  trigger(key: Key, reason: TriggerReason = 'manual'): boolean {
    if (!this.queue || typeof key !== 'string' || key === '') return false;
    this.queue.add({ key, reason });
    this.notify();
    return true;
  }

  /** Releases a quarantined or terminal key and runs it once. False when it was not parked. */
  release(key: Key): boolean {
    const released = this.queue?.release(key) ?? false;
    if (released) this.notify();
    return released;
  }

  /** Stops starting passes (running ones finish; triggers are still collected). False when not attached. */
  pause(): boolean {
    if (!this.queue) return false;
    this.queue.pause();
    this.notify();
    return true;
  }

  /** Starts passes again after {@link pause}. False when not attached. */
  resume(): boolean {
    if (!this.queue) return false;
    this.queue.resume();
    this.notify();
    return true;
  }

  /** The current state; an empty snapshot when not attached. */
  snapshot(): QueueSnapshot {
    if (this.queue) return this.queue.snapshot();
    return {
      at: this.scheduler.now(),
      workers: 0,
      stopping: false,
      paused: false,
      depth: 0,
      running: 0,
      inFlight: [],
      delayed: [],
      parked: [],
      hot: [],
      counters: zeroCounters(),
    };
  }

  /** Cheap gauges of the attached queue (undefined when not attached). */
  stats(): QueueStats | undefined {
    return this.queue?.stats();
  }

  /** Snapshots after changes (throttled with `auditTime(stateThrottleMs)`), starting with the current one. */
  readonly state$: Observable<QueueSnapshot> = new Observable<QueueSnapshot>((subscriber) => {
    subscriber.next(this.snapshot());
    if (this.watchers++ === 0 && this.queue !== undefined) this.queue.onPassed = this.notifyAfterPass;
    const subscription = this.changes.pipe(auditTime(this.throttleMs, this.scheduler)).subscribe(() => subscriber.next(this.snapshot()));
    return () => {
      subscription.unsubscribe();
      if (--this.watchers === 0 && this.queue !== undefined && this.queue.onPassed === this.notifyAfterPass) this.queue.onPassed = undefined;
    };
  });

  /** Resolves when the attached queue has nothing queued, running or delayed. */
  whenIdle(): Promise<void> {
    return this.queue ? this.queue.whenIdle() : Promise.resolve();
  }

  /** Graceful stop of the attached queue; see `KeyedQueue.stop`. */
  stop(options: { readonly deadline?: number } = {}): Promise<void> {
    return this.queue ? this.queue.stop(options) : Promise.resolve();
  }

  /** @internal Called by `workQueue`. */
  attach(queue: ControlledQueue): void {
    if (this.queue && this.queue !== queue) {
      throw new InvalidArgumentError('this QueueControl is already attached to a running workQueue: create one control per queue');
    }
    this.queue = queue;
    if (this.watchers > 0) queue.onPassed = this.notifyAfterPass;
  }

  /** @internal Called by `workQueue` on teardown. */
  detach(queue: ControlledQueue): void {
    if (this.queue === queue) {
      if (queue.onPassed === this.notifyAfterPass) queue.onPassed = undefined;
      this.queue = undefined;
    }
  }

  /** @internal Tells `state$` subscribers that something changed. */
  notify(): void {
    if (this.changes.observed) this.changes.next();
  }
}

/**
 * Creates a {@link QueueControl}: pass it as `control` to `workQueue` to trigger, release, read the
 * state of, and stop the queue from outside its stream.
 *
 * ## Example
 * ```ts
 * import { Subject } from 'rxjs';
 * import { Outcome } from 'rx-reconcile';
 * import { createQueueControl, workQueue } from 'rx-reconcile/operators';
 *
 * const keys$ = new Subject<string>();
 * const control = createQueueControl();
 * const running = keys$.pipe(workQueue(() => Outcome.converged(), { control })).subscribe();
 * control.trigger('web');                 // the manual force, even in backoff
 * console.log(control.snapshot().depth);  // the queue right now
 * await control.stop({ deadline: 5000 }); // no new pass; running ones aborted after 5 s
 * running.unsubscribe();
 * ```
 */
export function createQueueControl(options?: { readonly stateThrottleMs?: number; readonly scheduler?: SchedulerLike }): QueueControl {
  return new QueueControl(options);
}


/** Counters of a queue that has done nothing yet (a fresh, mutable object). */
export function zeroCounters(): { -readonly [K in keyof QueueCounters]: QueueCounters[K] } & {
  errorsByClass: { transient: number; conflict: number; permanent: number; dependency: number };
} {
  return {
    adds: 0,
    passes: 0,
    converged: 0,
    requeueAfter: 0,
    retry: 0,
    terminal: 0,
    waiting: 0,
    quarantined: 0,
    released: 0,
    overdue: 0,
    hot: 0,
    yields: 0,
    callbackErrors: 0,
    errorsByClass: { transient: 0, conflict: 0, permanent: 0, dependency: 0 },
  };
}
