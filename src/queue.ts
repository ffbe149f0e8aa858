/**
 * The keyed work queue: the imperative heart behind the `workQueue` operator.
 *
 * A slot table of per-key records, two head-indexed FIFOs (a high lane for real changes, a low lane
 * for resync and start-up floods, with aging so the low lane always drains), one min-heap and one
 * timer for every delayed key, and at most `workers` passes at once. RxJS is only at the edges.
 *
 * Promises it keeps (docs/design.md):
 * - G1: a key is never processed by two passes at once;
 * - G2: a trigger while a key runs gives exactly one more pass afterwards;
 * - G3: triggers for a waiting key collapse; of two delays the earlier wins;
 * - G4: FIFO within a lane, real changes ahead of floods, no starvation, a slow key holds one worker only;
 * - G6/G11/G12: per-key backoff reset on success, failure classes, quarantine after `steps` retries
 *   (the pure failure model in `failure-model.ts`);
 * - G7: a pass that throws, rejects, returns a broken thenable or hangs past `timeout` becomes an outcome;
 * - G15: passes that do no real I/O yield to the event loop after a time slice; keys that run again
 *   and again without a desired change are reported hot and spaced out;
 * - G16: delays of any length (chained timers), a clock that never goes back, bad values refused.
 *
 * Idle keys with no failure history keep no record at all.
 *
 * @module
 */
import { asyncScheduler } from 'rxjs';
import type { SchedulerLike, Subscription } from 'rxjs';
import { delayFor, steps as backoffSteps, defaultPolicy } from './backoff.js';
import type { BackoffPolicy } from './backoff.js';
import { ConvergenceClocks } from './convergence-clocks.js';
import { DelayTimer } from './delay-timer.js';
import { InvalidArgumentError, StoppedError, TimeoutError, toError } from './errors.js';
import { decideInto, newDecision } from './failure-model.js';
import type { FailurePolicy } from './failure-model.js';
import type { FailureClass } from './outcome.js';
import { HotKeys } from './hot-keys.js';
import {
  DELAYED,
  DEPENDENCY_BIT,
  DIRTY_BIT,
  FAST_FORGET_BLOCKERS,
  FORCED_BIT,
  HOLD_BACKOFF,
  HOLD_REQUEUE,
  HOLD_WAITING,
  IDLE,
  LANE_HIGH,
  LANE_LOW,
  PARKED,
  PARK_QUARANTINED,
  PARK_TERMINAL,
  QUEUED,
  RUNNING,
  STATUS_MASK,
} from './key-state.js';
import type { KeyState } from './key-state.js';
import { Outcome } from './outcome.js';
import { Lanes } from './lanes.js';
import { FinishedPass, Pass, PassExtras } from './pass.js';
import type { PassOwner } from './pass.js';
import { zeroCounters } from './queue-control.js';
import { checkWorkQueueOptions, defaultHotKeys, defaultTimeSlice } from './queue-options.js';
import { TokenBucket } from './rate-limit.js';
import { SlotTable } from './slot-table.js';
import { TimeSlice } from './time-slice.js';
import { listKeys } from './key-views.js';
import { settleResult } from './settle-result.js';
import { containHooks } from './contain-hooks.js';
import { scheduleAfter } from './timer.js';
import type {
  ParkReason,
  PassResult,
  PassVerdict,
  QueueHooks,
  QueueSnapshot,
  QueueStats,
  Work,
  WorkQueueOptions,
} from './queue-types.js';
import type { Key, ReconcileRequest, TriggerReason } from './types.js';

export type * from './queue-types.js';
export { QueueControl, createQueueControl } from './queue-control.js';

/** A timer firing this much before the clock says it is due proves the clock stepped back. */
const CLOCK_TOLERANCE = 1000;

const CONVERGED = Outcome.converged();
/** `Promise.prototype.then` as the queue found it: a Promise whose `then` is this one is awaited directly. */
const nativeThen = Promise.prototype.then;

const LOW_REASONS: ReadonlySet<TriggerReason> = new Set<TriggerReason>(['resync', 'initial']);
const KNOWN_REASONS: ReadonlySet<string> = new Set<TriggerReason>(['watch', 'resync', 'manual', 'dependency', 'requeue', 'retry', 'initial']);

/** What `assess` says of a converged pass, whatever the key's counts: success, nothing parked. */
const CONVERGED_VERDICT: PassVerdict = Object.freeze({
  outcome: Outcome.converged(),
  failureClass: undefined,
  failures: 0,
  parked: undefined,
  immediate: false,
});

/**
 * The keyed work queue engine. Use it through the `workQueue` operator; it is exported for engines
 * and tests that need it without RxJS.
 */
export class KeyedQueue implements PassOwner {
  readonly workers: number;
  private readonly scheduler: SchedulerLike;
  private readonly backoff: BackoffPolicy;
  private readonly bucket: TokenBucket | undefined;
  private readonly policy: FailurePolicy;
  private readonly random: () => number;
  private readonly timeout: number | undefined;
  private readonly hooks: QueueHooks | undefined;
  /** Pass ids: a random prefix per queue (drawn from `random`, so a seeded run replays its ids), then a count. */
  private readonly idPrefix: string;
  private passSeq = 0;
  private startSeq = 0;

  private readonly table = new SlotTable();
  /** Running passes, unordered: added at the end, removed by swapping in the last one (O(1), no hashing). */
  private runningPasses: Pass[] = [];
  private readonly lanes: Lanes;
  private readonly delayed: DelayTimer;
  private queued = 0;
  private running = 0;
  private parkedCount = 0;
  private pumping = false;
  private paused = false;
  private stopping = false;
  private disposed = false;
  private idleWaiters: (() => void)[] = [];
  private stopWaiters: (() => void)[] = [];
  private stopTimer: Subscription | undefined;
  private stopDeadlineAt = Infinity;
  private readonly clocks: ConvergenceClocks | undefined;
  private readonly decision = newDecision();
  private readonly counts = zeroCounters();

  // A clock that never goes back: a step back of the scheduler's clock is absorbed by an offset.
  private lastNow = -Infinity;
  private clockOffset = 0;

  private readonly slice: TimeSlice;
  private readonly hotKeys: HotKeys;

  private readonly work: Work;
  /** Where results go; undefined with `results: false`. */
  private readonly emit: ((result: PassResult) => void) | undefined;
  /** The `results` option when it is a function: asked at each finished pass. */
  private readonly wantsResults: (() => boolean) | undefined;

  /**
   * `emit` receives one `PassResult` per finished pass, as the `results` option says (default: all);
   * `undefined` is the same as `results: false`.
   */
  constructor(work: Work, emit: ((result: PassResult) => void) | undefined, options: WorkQueueOptions = {}) {
    if (typeof work !== 'function') throw new InvalidArgumentError(`workQueue: work must be a function (request, context) => outcome (got ${typeof work})`);
    checkWorkQueueOptions(options);
    this.work = work;
    const results = options.results;
    this.emit = results === false ? undefined : emit;
    this.wantsResults = typeof results === 'function' ? results : undefined;
    this.workers = options.workers ?? 4;
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.backoff = options.backoff ?? defaultPolicy;
    this.bucket = options.rateLimit ? new TokenBucket(options.rateLimit, this.scheduler.now()) : undefined;
    this.policy = {
      steps: backoffSteps(this.backoff),
      conflictRetries: options.conflictRetries ?? 3,
      dependencyInterval: options.dependencyInterval ?? 5000,
      classify: options.classify,
    };
    this.timeout = options.timeout;
    this.lanes = new Lanes(options.agingEvery ?? 4);
    this.delayed = new DelayTimer(
      this.scheduler,
      (atLeast) => this.now(atLeast),
      (st) => {
        st.reason = st.hold === HOLD_BACKOFF ? 'retry' : 'requeue';
        this.enqueue(st, LANE_HIGH);
      },
      () => this.pump(),
    );
    // A user's `random` that throws or answers outside [0, 1) reads as 0.5 (no jitter): never a lost
    // key or a NaN delay.
    const random = options.random;
    this.random = random === undefined ? Math.random : () => readRandom(random);
    this.hooks = containHooks(options.hooks, this.counts);
    this.slice = new TimeSlice(
      options.timeSlice ?? defaultTimeSlice,
      this.scheduler,
      () => this.pump(),
      () => this.counts.yields++,
    );
    this.hotKeys = new HotKeys(options.hotKeys?.after ?? defaultHotKeys.after, options.hotKeys?.perSecond ?? defaultHotKeys.perSecond, (st, perSecond) => {
      this.counts.hot++;
      this.hooks?.onHot?.(st.key, perSecond);
    });
    this.idPrefix = `${Math.floor(readRandom(this.random) * 0x100000000).toString(16).padStart(8, '0')}-`;
    const deadline = options.convergenceDeadline;
    this.clocks =
      deadline === undefined
        ? undefined
        : new ConvergenceClocks(deadline, this.scheduler, () => this.now(), (st, since) => {
            this.counts.overdue++;
            this.hooks?.onOverdue?.(st.key, since, st.generation);
          });
  }

  /**
   * Scheduler time that never goes back: a backward step of the scheduler's clock (a wall clock set
   * back by NTP or by hand) becomes an offset, so due times keep their distance and no delayed key
   * stalls. Timers themselves are relative (a delay, not a date), so a forward step only makes keys
   * due early: one pass sooner, harmless for a level-triggered loop.
   */
  private now(atLeast?: number): number {
    let t = this.scheduler.now() + this.clockOffset;
    if (atLeast !== undefined && t < atLeast - CLOCK_TOLERANCE && Number.isFinite(atLeast)) {
      // A timer fired: at least its delay passed, whatever the clock says (the clock stepped back
      // meanwhile). Timers firing a few ms early are normal and left alone (no drift).
      this.clockOffset += atLeast - t;
      t = atLeast;
    }
    if (t >= this.lastNow) {
      this.lastNow = t;
      return t;
    }
    if (Number.isFinite(t)) this.clockOffset += this.lastNow - t;
    return this.lastNow === -Infinity ? 0 : this.lastNow;
  }

  /** Enqueues a key (a plain key counts as a `watch` trigger). */
  add(item: Key | ReconcileRequest): void {
    // Hot path, small enough to be inlined where the source delivers: a plain key that is already
    // waiting in the high lane collapses into its pass (G3) with nothing else to do.
    if (typeof item === 'string') {
      const table = this.table;
      const slot = table.slots.get(item);
      if (slot !== undefined && table.hot[slot] === 1 && !this.stopping) {
        this.counts.adds++;
        this.hooks?.onAdd?.(item, 'watch', undefined);
        return;
      }
      this.addSlow(item, slot === undefined ? undefined : table.records[slot]);
    } else this.addRequest(item);
  }

  /** A `ReconcileRequest` from a source: checked, since sources may be untyped JavaScript. */
  private addRequest(item: ReconcileRequest): void {
    const key: unknown = typeof item === 'object' && item !== null ? item.key : undefined;
    if (typeof key !== 'string' || key === '') {
      this.reportCallbackError(
        new InvalidArgumentError(`a trigger source emitted ${describe(item)}: emit a key (a non-empty string) or a ReconcileRequest { key, reason }`),
        'add',
      );
      return;
    }
    this.addSlow(item, this.table.get(key));
  }

  /** The general case; `found` is the key's record as `add` already looked it up. */
  private addSlow(item: Key | ReconcileRequest, found: KeyState | undefined): void {
    if (this.stopping || this.disposed) return;
    let key: Key;
    let reason: TriggerReason;
    let gen: number | undefined;
    let lane = LANE_HIGH;
    if (typeof item === 'string') {
      if (item === '') {
        this.reportCallbackError(new InvalidArgumentError('a trigger source emitted an empty key: emit "name" or "namespace/name"'), 'add');
        return;
      }
      key = item;
      reason = 'watch';
    } else {
      key = item.key;
      reason = KNOWN_REASONS.has(item.reason) ? item.reason : 'watch';
      gen = typeof item.revision === 'number' && Number.isFinite(item.revision) ? item.revision : undefined;
      if (item.priority === 'low' || (item.priority !== 'high' && LOW_REASONS.has(reason))) lane = LANE_LOW;
    }
    this.counts.adds++;
    this.hooks?.onAdd?.(key, reason, gen);
    let st = found;
    if (st === undefined) {
      st = this.table.add(key, reason, gen);
      if (this.clocks !== undefined) this.clocks.start(st, this.now());
      this.enqueue(st, lane);
      this.pump();
      return;
    }
    const newGeneration = gen !== undefined && gen !== st.generation;
    if (gen !== undefined) st.generation = gen;
    if (newGeneration) {
      this.hotKeys.end(st);
      if (this.clocks !== undefined) this.clocks.start(st, this.now());
    }
    switch (st.status) {
      case QUEUED:
        if (lane === LANE_HIGH && st.lane === LANE_LOW) {
          // Promote: the stale low-lane entry is skipped when popped.
          st.lane = LANE_HIGH;
          this.table.hot[st.slot] = 1;
          st.reason = reason;
          this.lanes.push(st);
          this.pump();
        }
        if (newGeneration) this.resetFailures(st);
        return;
      case RUNNING:
        if (!st.dirty) {
          st.dirty = true;
          st.reason = reason;
          st.lane = lane;
        } else if (lane === LANE_HIGH) st.lane = LANE_HIGH;
        if (newGeneration) this.resetFailures(st);
        if (reason === 'manual' || newGeneration) st.forced = true;
        if (reason === 'dependency') st.dependencyTrigger = true;
        return;
      case DELAYED:
        if (st.hold === HOLD_REQUEUE || reason === 'manual' || newGeneration || (st.hold === HOLD_WAITING && reason === 'dependency')) {
          if (newGeneration) this.resetFailures(st);
          this.delayed.remove(st);
          st.reason = reason;
          this.enqueue(st, lane);
          this.pump();
        }
        return;
      case PARKED:
        if (reason === 'manual' || newGeneration) {
          this.unpark(st, reason === 'manual' ? 'trigger' : 'change');
          st.reason = reason;
          this.enqueue(st, lane);
          this.pump();
        }
        return;
      default:
        return;
    }
  }

  /**
   * Releases a parked (quarantined or terminal) key: resets its failures and runs it once now.
   * Returns false when the key is not parked.
   */
  release(key: Key): boolean {
    const st = this.table.get(key);
    if (st === undefined || st.status !== PARKED || this.stopping) return false;
    this.unpark(st, 'release');
    st.reason = 'manual';
    this.enqueue(st, LANE_HIGH);
    this.pump();
    return true;
  }

  /** Stops starting passes (running ones finish; triggers are still collected). */
  pause(): void {
    this.paused = true;
  }

  /** Starts passes again after {@link pause}. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.pump();
  }

  /** True while paused. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Resolves when nothing is queued, running or delayed (parked keys do not count). */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => this.onIdle(resolve));
  }

  /** Calls `callback` synchronously as soon as the queue is idle (now, if it is). */
  onIdle(callback: () => void): void {
    if (this.isIdle()) callback();
    else this.idleWaiters.push(callback);
  }

  /** Called once when a `stop` has drained (no pass runs any more). */
  onStopped: (() => void) | undefined = undefined;

  /** Called after each finished pass, results or not (a `QueueControl` whose `state$` is watched). */
  onPassed: (() => void) | undefined = undefined;

  /** True when nothing is queued, running or delayed. */
  isIdle(): boolean {
    return this.queued === 0 && this.running === 0 && this.delayed.size === 0;
  }

  /**
   * Graceful stop (G10): no new pass starts and new triggers are ignored; in-flight passes finish, or
   * are aborted with a `StoppedError` when `deadline` ms have passed. A later call with an earlier
   * deadline brings it forward. A bad deadline is refused before anything changes. Resolves when no
   * pass runs any more.
   */
  stop(options: { readonly deadline?: number } = {}): Promise<void> {
    const deadline = typeof options === 'object' && options !== null ? options.deadline : undefined;
    if (deadline !== undefined && (typeof deadline !== 'number' || !(deadline >= 0) || !Number.isFinite(deadline))) {
      throw new InvalidArgumentError(`stop: deadline must be a finite number of ms ≥ 0 (got ${String(deadline)}); leave it out to wait for running passes`);
    }
    if (!this.stopping) {
      this.stopping = true;
      this.delayed.halt();
      this.clocks?.halt();
    }
    if (deadline !== undefined && this.running > 0) {
      const at = this.now() + deadline;
      if (at < this.stopDeadlineAt) {
        this.stopDeadlineAt = at;
        this.stopTimer?.unsubscribe();
        this.stopTimer = scheduleAfter(this.scheduler, deadline, () => {
          this.stopTimer = undefined;
          for (const pass of this.runningPasses.slice()) {
            const error = new StoppedError();
            pass.abort(error);
            this.finish(pass, Outcome.retry(error));
          }
        });
      }
    }
    return new Promise((resolve) => {
      this.stopWaiters.push(resolve);
      if (this.running === 0) this.drained();
    });
  }

  private drained(): void {
    // Passes ended before the deadline: its timer must not keep the process (or virtual time) busy.
    this.stopTimer?.unsubscribe();
    this.stopTimer = undefined;
    this.slice.cancel();
    for (const resolve of this.stopWaiters.splice(0)) resolve();
    const onStopped = this.onStopped;
    this.onStopped = undefined;
    if (onStopped !== undefined) {
      try {
        onStopped();
      } catch (error) {
        this.reportCallbackError(error, 'onStopped');
      }
    }
  }

  /** Drops everything in O(1) per key; running passes are aborted and their results discarded. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stopping = true;
    this.slice.cancel();
    this.clocks?.clear();
    this.stopTimer?.unsubscribe();
    this.stopTimer = undefined;
    for (const pass of this.runningPasses) {
      pass.slot = -1;
      pass.extras?.timer?.unsubscribe();
      pass.abort(new StoppedError());
    }
    this.runningPasses = [];
    this.table.clear();
    this.hotKeys.clear();
    this.lanes.clear();
    this.delayed.clear();
    this.queued = this.running = this.parkedCount = 0;
    for (const resolve of this.stopWaiters.splice(0)) resolve();
  }

  /** A point-in-time view; O(keys with a record). */
  snapshot(): QueueSnapshot {
    const inFlight = this.runningPasses
      .slice()
      .sort((a, b) => a.seq - b.seq)
      .map((pass) => ({ key: pass.state.key, since: pass.startedAt, reason: pass.request.reason }));
    const { delayed, parked } = listKeys(this.table, (st) => this.isOverdue(st));
    const hot = this.hotKeys.list();
    const c = this.counts;
    return {
      at: this.now(),
      workers: this.workers,
      stopping: this.stopping,
      paused: this.paused,
      depth: this.queued,
      running: this.running,
      inFlight,
      delayed,
      parked,
      hot,
      counters: { ...c, errorsByClass: { ...c.errorsByClass } },
    };
  }

  /** Cheap counters for gauges: O(running passes), never O(keys). */
  stats(): QueueStats {
    let oldest: number | undefined;
    for (const pass of this.runningPasses) if (oldest === undefined || pass.startedAt < oldest) oldest = pass.startedAt;
    return {
      at: this.now(),
      workers: this.workers,
      depth: this.queued,
      running: this.running,
      delayed: this.delayed.size,
      parked: this.parkedCount,
      paused: this.paused,
      oldestRunningSince: oldest,
      runningSince: this.runningPasses.map((pass) => pass.startedAt).sort((a, b) => a - b),
      counters: this.counts,
    };
  }

  /** The next pass id (read lazily by `Pass.reconcileId`). */
  nextReconcileId(): string {
    return this.idPrefix + (++this.passSeq).toString(36);
  }

  /** Number of keys holding a record (queued, running, delayed, parked or failing). */
  get trackedKeys(): number {
    return this.table.size;
  }

  /** Backs `PassContext.assess`. */
  assess(st: KeyState, outcome: Outcome): PassVerdict {
    if (outcome === CONVERGED_VERDICT.outcome) return CONVERGED_VERDICT; // the same for every key and count
    const d = newDecision();
    decideInto(d, Outcome.from(outcome), st.failures, st.conflicts, this.policy);
    return Object.freeze({
      outcome: d.outcome,
      failureClass: d.failureClass,
      failures: d.failures,
      parked: d.parked,
      immediate: d.hold === 'requeue' && d.delay <= 0,
    });
  }

  /** Backs `PassContext.convergingSince`. */
  convergingSince(st: KeyState): number | undefined {
    return this.clocks?.since(st);
  }

  /** Backs `PassContext.overdue`. */
  isOverdue(st: KeyState): boolean {
    return this.clocks?.isOverdue(st) ?? false;
  }

  // ---- lanes and starting passes ------------------------------------------------------------------

  private enqueue(st: KeyState, lane: number): void {
    st.status = QUEUED;
    st.lane = lane;
    this.table.hot[st.slot] = lane === LANE_HIGH ? 1 : 0;
    st.dueAt = this.hooks?.onStart ? this.now() : 0;
    this.queued++;
    this.lanes.push(st);
  }

  private resetFailures(st: KeyState): void {
    st.failures = 0;
    st.conflicts = 0;
    st.lastError = undefined;
    st.lastClass = undefined;
  }

  private unpark(st: KeyState, by: 'release' | 'change' | 'trigger'): void {
    this.parkedCount--;
    this.resetFailures(st);
    st.status = IDLE;
    this.counts.released++;
    this.hooks?.onRelease?.(st.key, by);
  }

  /** Forgets an idle key's record (and its streak). */
  private forget(st: KeyState): void {
    this.hotKeys.end(st);
    this.clocks?.stop(st);
    this.table.remove(st);
  }

  /** Starts ready keys while workers are free; `now`, when the caller has just read the clock. */
  private pump(now?: number): void {
    if (this.pumping || this.paused || this.slice.yielded) return;
    this.pumping = true;
    try {
      let t = now;
      while (this.running < this.workers && this.queued > 0 && !this.stopping) {
        t ??= this.now();
        if (this.slice.spent(t)) break;
        const st = this.lanes.next();
        if (st === undefined) break;
        this.queued--;
        this.start(st, t);
        t = undefined; // the pass may have run synchronously: read the clock again for the next one
      }
    } finally {
      this.pumping = false;
    }
    if (this.idleWaiters.length > 0 && this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private start(st: KeyState, now: number): void {
    const key = st.key;
    const generation = st.generation;
    const reason = st.reason;
    const request: ReconcileRequest = generation === undefined ? { key, reason } : { key, reason, revision: generation };
    const queuedMs = now - st.dueAt;
    this.table.hot[st.slot] = 0;
    st.flags = (st.flags & ~(STATUS_MASK | DIRTY_BIT | FORCED_BIT | DEPENDENCY_BIT)) | RUNNING;
    st.dueAt = now;
    this.running++;
    // A pass after a success (a requeue) starts a new convergence clock.
    if (this.clocks !== undefined && !this.clocks.has(st)) this.clocks.start(st, now);
    const pass = new Pass(this, st, request, st.failures, now, this.startSeq++);
    pass.slot = this.runningPasses.push(pass) - 1;
    this.hooks?.onStart?.(key, request, queuedMs, pass);
    if (this.timeout !== undefined) this.armTimeout(pass, this.timeout);
    let result: unknown;
    let native: boolean;
    try {
      result = this.work(request, pass);
      // The common results first: nothing (converged at once), then a native Promise. Both tests
      // may throw for a hostile result (a Proxy's getPrototypeOf trap, a `then` getter).
      native = result instanceof Promise && result.then === nativeThen;
    } catch (thrown) {
      this.finish(pass, Outcome.retry(thrown));
      return;
    }
    if (result === undefined) this.finish(pass, CONVERGED);
    else if (native) this.await(pass, result as Promise<unknown>);
    else this.settle(pass, result);
  }

  /** Ends the pass with a `TimeoutError` after `timeout` ms. */
  private armTimeout(pass: Pass, timeout: number): void {
    (pass.extras ??= new PassExtras()).timer = scheduleAfter(this.scheduler, timeout, () => {
      if (pass.done) return;
      const error = new TimeoutError(timeout);
      pass.abort(error);
      this.finish(pass, Outcome.retry(error));
    });
  }

  /** Waits for a native Promise: two handlers, no generic dispatch (the drain's hot path). */
  private await(pass: Pass, promise: Promise<unknown>): void {
    nativeThen.call(
      promise,
      (value: unknown) => this.finish(pass, value === undefined ? CONVERGED : Outcome.from(value)),
      (thrown: unknown) => this.finish(pass, Outcome.retry(thrown)),
    );
  }

  /** Waits for a pass's result, whatever it is (see `settleResult`). */
  private settle(pass: Pass, result: unknown): void {
    const subscription = settleResult(result, (outcome) => this.finish(pass, outcome));
    if (subscription !== undefined && !pass.done) (pass.extras ??= new PassExtras()).subscription = subscription;
  }

  // ---- finishing passes --------------------------------------------------------------------------------

  private finish(pass: Pass, outcome: Outcome): void {
    if (pass.slot < 0 || this.disposed) return;
    const extras = pass.extras;
    if (extras !== undefined && extras.timer !== undefined) extras.timer.unsubscribe();
    const st = pass.state;
    this.running--;
    this.removeRunning(pass);
    const now = this.now();
    // The common case of a drain, decided here without the failure model: a converged pass of a key
    // with no failure history, no streak and no trigger while it ran is forgotten. The general path
    // (`settleKey`) gives the same answer for it.
    if (
      outcome.type === 'converged' &&
      (st.flags & FAST_FORGET_BLOCKERS) === 0 &&
      st.failures === 0 &&
      st.lastError === undefined &&
      this.clocks === undefined
    ) {
      this.counts.passes++;
      this.counts.converged++;
      st.flags &= ~STATUS_MASK; // IDLE
      this.table.remove(st);
      this.passed(pass, outcome, undefined, st, now, undefined, undefined);
      return;
    }
    this.settleKey(pass, st, outcome, now);
  }

  /** What the pass's outcome means for its key (the failure model), then `passed`. */
  private settleKey(pass: Pass, st: KeyState, outcome: Outcome, now: number): void {
    const d = this.decision;
    decideInto(d, outcome, st.failures, st.conflicts, this.policy);
    const effective = d.outcome;
    const failureClass = d.failureClass;
    const counts = this.counts;
    counts.passes++;
    switch (effective.type) {
      case 'converged':
        counts.converged++;
        break;
      case 'requeueAfter':
        counts.requeueAfter++;
        break;
      case 'retry':
        counts.retry++;
        break;
      case 'terminal':
        counts.terminal++;
        break;
      case 'waiting':
        counts.waiting++;
        break;
    }
    if (failureClass !== undefined) counts.errorsByClass[failureClass]++;
    if (outcome.type === 'retry' || outcome.type === 'terminal') {
      st.lastError = outcome.error;
      st.lastClass = failureClass;
    }
    st.failures = d.failures;
    st.conflicts = d.conflicts;
    let parked = d.parked;
    const hold = d.hold;
    if (hold === 'none' && parked === undefined && st.lastError !== undefined) {
      st.lastError = undefined;
      st.lastClass = undefined;
    }
    if (this.clocks !== undefined) {
      if (effective.type === 'converged' || effective.type === 'requeueAfter') this.clocks.stop(st);
      else this.clocks.check(st, now);
    }

    // G2: a trigger that arrived while running gives one more pass now, when it would have woken the
    // key from where this outcome puts it (the same rules as `add` for a waiting or parked key).
    let rerun = false;
    if (st.dirty) {
      if (st.forced) rerun = true;
      else if (parked !== undefined || hold === 'backoff') rerun = false;
      else if (hold === 'waiting') rerun = st.dependencyTrigger;
      else rerun = true;
    }

    // G15: a key that runs again at once, again and again, without a desired change is hot.
    // Coming back sooner than a hot key's spacing (`requeueAfter(1)`, `waiting(dep, 0)`) counts too.
    const immediate = rerun ? !st.forced : parked === undefined && (hold === 'requeue' || hold === 'waiting') && d.delay < this.hotKeys.spacing;
    let spacing = 0;
    if (immediate) spacing = this.hotKeys.rerun(st, now);
    else this.hotKeys.end(st);

    let nextAttemptAt: number | undefined;
    if (rerun && spacing === 0) {
      if (parked !== undefined) this.resetFailures(st); // a forcing trigger releases, as it would a parked key
      parked = undefined;
      st.status = IDLE;
      this.enqueue(st, st.lane);
    } else if (parked !== undefined) {
      st.status = PARKED;
      st.hold = parked === 'quarantined' ? PARK_QUARANTINED : PARK_TERMINAL;
      st.dueAt = now;
      this.parkedCount++;
      if (parked === 'quarantined') this.counts.quarantined++;
    } else if (hold !== 'none' || rerun) {
      let delay = rerun ? spacing : Math.max(d.delay, spacing);
      const why = rerun ? HOLD_REQUEUE : hold === 'backoff' ? HOLD_BACKOFF : hold === 'waiting' ? HOLD_WAITING : HOLD_REQUEUE;
      if (hold === 'backoff' && !rerun) delay = d.after ?? delayFor(this.backoff, Math.max(1, st.failures), this.random);
      if (this.bucket !== undefined && (why === HOLD_BACKOFF || immediate)) delay = Math.max(delay, this.bucket.reserve(now));
      if (delay <= 0 && why === HOLD_REQUEUE) {
        st.status = IDLE;
        if (!rerun) st.reason = 'requeue';
        this.enqueue(st, rerun ? st.lane : LANE_HIGH);
      } else {
        st.status = DELAYED;
        st.hold = why;
        if (rerun) st.reason = 'requeue';
        nextAttemptAt = now + delay;
        this.delayed.schedule(st, nextAttemptAt);
      }
    } else {
      st.status = IDLE;
      this.forget(st);
    }

    this.passed(pass, effective, failureClass, st, now, st.status === DELAYED ? nextAttemptAt : st.status === QUEUED ? now : undefined, parked);
  }

  /** After a pass: its result (for whoever reads it), the control, then the next passes. */
  private passed(
    pass: Pass,
    outcome: Outcome,
    failureClass: FailureClass | undefined,
    st: KeyState,
    now: number,
    nextAttemptAt: number | undefined,
    parked: ParkReason | undefined,
  ): void {
    // A result is built only for someone who reads it: an `onFinish` hook or the results output.
    const onFinish = this.hooks?.onFinish;
    const emit = this.emit;
    const wanted = emit !== undefined && (this.wantsResults === undefined || this.askResults());
    if (onFinish !== undefined || wanted) {
      const result = new FinishedPass(pass, outcome, failureClass, st.failures, now, nextAttemptAt, parked);
      if (onFinish !== undefined) onFinish(result);
      if (wanted) {
        try {
          emit(result);
        } catch (error) {
          this.reportCallbackError(error, 'results');
        }
      }
    }
    if (this.onPassed !== undefined) this.onPassed();
    if (this.stopping) {
      if (this.running === 0 && !this.disposed) this.drained();
      return;
    }
    this.pump(now);
  }

  /** The `results` function's answer; one that throws is reported and counts as yes. */
  private askResults(): boolean {
    try {
      return (this.wantsResults as () => boolean)() !== false;
    } catch (error) {
      this.reportCallbackError(error, 'results');
      return true;
    }
  }

  private removeRunning(pass: Pass): void {
    const list = this.runningPasses;
    const last = list.pop() as Pass;
    if (last !== pass) {
      list[pass.slot] = last;
      last.slot = pass.slot;
    }
    pass.slot = -1;
  }

  private reportCallbackError(thrown: unknown, where: string): void {
    this.counts.callbackErrors++;
    try {
      this.hooks?.onCallbackError?.(toError(thrown), where);
    } catch {
      // The error reporter failed too: nothing left to tell.
    }
  }
}

function readRandom(random: () => number): number {
  try {
    const value = random();
    return typeof value === 'number' && value >= 0 && value < 1 ? value : 0.5;
  } catch {
    return 0.5;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return `${typeof value} ${String(value)}`;
  try {
    return String(JSON.stringify(value)).slice(0, 80);
  } catch {
    return 'an object';
  }
}

export type { ParkReason };
