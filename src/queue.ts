/**
 * The keyed work queue: the imperative heart behind the `workQueue` operator.
 *
 * One `Map` of per-key records, two head-indexed FIFOs (a high lane for real changes, a low lane for
 * resync and start-up floods, with aging so the low lane always drains), one min-heap and one timer
 * for every delayed key, and at most `workers` passes at once. RxJS is only at the edges.
 *
 * Promises it keeps (DESIGN.md):
 * - G1: a key is never processed by two passes at once;
 * - G2: a trigger while a key runs gives exactly one more pass afterwards;
 * - G3: triggers for a waiting key collapse; of two delays the earlier wins;
 * - G4: FIFO within a lane, real changes ahead of floods, no starvation, a slow key holds one worker only;
 * - G6/G11/G12: per-key backoff reset on success, failure classes, quarantine after `steps` retries;
 * - G7: a pass that throws, rejects or hangs past `timeout` becomes an outcome; a convergence clock per
 *   key (`convergenceDeadline`) reports keys whose desired revision does not converge in time.
 *
 * The failure model, in one place ({@link KeyedQueue} `judge`, also behind `PassContext.assess`):
 *
 * | class        | what the queue does                                                              |
 * |--------------|----------------------------------------------------------------------------------|
 * | `transient`  | counts a failure; retries after `delayFor(backoff, failures)` (and the rate limit) |
 * | `conflict`   | retries at once, `conflictRetries` times in a row; then like `transient`         |
 * | `permanent`  | counts a failure; parks the key (`terminal`) until a new revision or a release   |
 * | `dependency` | waits a fixed interval; no failure counted, no backoff growth                    |
 *
 * A success (`converged`, `requeueAfter`) resets the failure and conflict counts. A failure that
 * would need retry number `steps + 1` quarantines the key instead: after `steps` retries (all the
 * delays of the policy) the key stops, until a new desired revision, `release` or a manual trigger.
 *
 * Idle keys with no failure history keep no record at all.
 *
 * @module
 */
import { asyncScheduler, isObservable } from 'rxjs';
import type { SchedulerLike, Subscription } from 'rxjs';
import { delayFor, steps as backoffSteps, defaultPolicy } from './backoff.js';
import type { BackoffPolicy } from './backoff.js';
import { DelayHeap } from './delay-heap.js';
import type { HeapEntry } from './delay-heap.js';
import { DependencyNotReadyError, InvalidArgumentError, StoppedError, TimeoutError } from './errors.js';
import { Fifo } from './fifo.js';
import { zeroCounters } from './queue-control.js';
import { Outcome, classifyError } from './outcome.js';
import type { Classifier, FailureClass } from './outcome.js';
import { TokenBucket } from './rate-limit.js';
import type { RateLimit } from './rate-limit.js';
import type {
  DelayedKey,
  ParkReason,
  ParkedKey,
  PassContext,
  PassResult,
  PassVerdict,
  QueueHooks,
  QueueSnapshot,
  QueueStats,
  Work,
  WorkQueueOptions,
} from './queue-types.js';
import type { Key, Request, TriggerReason } from './types.js';

export type * from './queue-types.js';
export { QueueControl, createQueueControl } from './queue-control.js';

const IDLE = 0;
const QUEUED = 1;
const RUNNING = 2;
const DELAYED = 3;
const PARKED = 4;

const HOLD_NONE = -1;
const HOLD_REQUEUE = 0;
const HOLD_BACKOFF = 1;
const HOLD_WAITING = 2;

/** `hold` of a PARKED key. */
const PARK_TERMINAL = 0;
const PARK_QUARANTINED = 1;

const LANE_HIGH = 0;
const LANE_LOW = 1;

const FAILURE_CLASSES: readonly (FailureClass | undefined)[] = [undefined, 'transient', 'conflict', 'permanent', 'dependency'];

// Bit layout of `KeyState.flags` (one small integer instead of ten fields: a key in backoff must
// stay small, see BENCHMARKS.md #11).
const STATUS_MASK = 0b111; // bits 0-2
const HOLD_SHIFT = 3; // bits 3-4
const LANE_BIT = 1 << 5;
const DIRTY_BIT = 1 << 6;
const FORCED_BIT = 1 << 7;
const DEPENDENCY_BIT = 1 << 8;
const OVERDUE_BIT = 1 << 9;
const CLASS_SHIFT = 10; // bits 10-12: index in FAILURE_CLASSES
const CONFLICTS_SHIFT = 13; // bits 13-20: conflicts in a row (saturates at 255)

const REASON_SHIFT = 21; // bits 21-23: index in REASONS

const REASONS: readonly TriggerReason[] = ['watch', 'resync', 'manual', 'dependency', 'requeue', 'retry', 'initial'];
const REASON_INDEX: Readonly<Record<TriggerReason, number>> = {
  watch: 0,
  resync: 1,
  manual: 2,
  dependency: 3,
  requeue: 4,
  retry: 5,
  initial: 6,
};

/**
 * Per-key record: exists only while the key is queued, running, delayed, parked or failing.
 * Eight fields; the small states (and the trigger reason) live in the bits of `flags`, behind
 * accessors. `slot` is the record's index in the queue's slot table (see `KeyedQueue.slots`).
 */
class KeyState implements HeapEntry {
  flags = 0;
  generation: number | undefined;
  failures = 0;
  /** Due time while DELAYED; ready time while QUEUED; start time while RUNNING; park time while PARKED. */
  dueAt = 0;
  heapIndex = -1;
  lastError: Error | undefined = undefined;
  readonly key: Key;
  readonly slot: number;
  constructor(key: Key, slot: number, reason: TriggerReason, generation: number | undefined) {
    this.key = key;
    this.slot = slot;
    this.reason = reason;
    this.generation = generation;
  }
  get reason(): TriggerReason {
    return REASONS[(this.flags >> REASON_SHIFT) & 0b111] as TriggerReason;
  }
  set reason(value: TriggerReason) {
    // `?? 0`: a reason outside TriggerReason (untyped callers) is kept as 'watch', never lost.
    this.flags = (this.flags & ~(0b111 << REASON_SHIFT)) | ((REASON_INDEX[value] ?? 0) << REASON_SHIFT);
  }
  get status(): number {
    return this.flags & STATUS_MASK;
  }
  set status(value: number) {
    this.flags = (this.flags & ~STATUS_MASK) | value;
  }
  /** For DELAYED: why; for PARKED: 0 terminal, 1 quarantined. */
  get hold(): number {
    return (this.flags >> HOLD_SHIFT) & 0b11;
  }
  set hold(value: number) {
    this.flags = (this.flags & ~(0b11 << HOLD_SHIFT)) | ((value & 0b11) << HOLD_SHIFT);
  }
  get lane(): number {
    return this.flags & LANE_BIT ? LANE_LOW : LANE_HIGH;
  }
  set lane(value: number) {
    this.flags = value === LANE_LOW ? this.flags | LANE_BIT : this.flags & ~LANE_BIT;
  }
  /** A trigger arrived while running. */
  get dirty(): boolean {
    return (this.flags & DIRTY_BIT) !== 0;
  }
  set dirty(value: boolean) {
    this.flags = value ? this.flags | DIRTY_BIT : this.flags & ~DIRTY_BIT;
  }
  /** That trigger must bypass a backoff hold (manual or a new desired generation). */
  get forced(): boolean {
    return (this.flags & FORCED_BIT) !== 0;
  }
  set forced(value: boolean) {
    this.flags = value ? this.flags | FORCED_BIT : this.flags & ~FORCED_BIT;
  }
  /** A `dependency` trigger arrived while running: it ends a dependency wait. */
  get dependencyTrigger(): boolean {
    return (this.flags & DEPENDENCY_BIT) !== 0;
  }
  set dependencyTrigger(value: boolean) {
    this.flags = value ? this.flags | DEPENDENCY_BIT : this.flags & ~DEPENDENCY_BIT;
  }
  get overdue(): boolean {
    return (this.flags & OVERDUE_BIT) !== 0;
  }
  set overdue(value: boolean) {
    this.flags = value ? this.flags | OVERDUE_BIT : this.flags & ~OVERDUE_BIT;
  }
  get lastClass(): FailureClass | undefined {
    return FAILURE_CLASSES[(this.flags >> CLASS_SHIFT) & 0b111];
  }
  set lastClass(value: FailureClass | undefined) {
    this.flags = (this.flags & ~(0b111 << CLASS_SHIFT)) | (FAILURE_CLASSES.indexOf(value) << CLASS_SHIFT);
  }
  get conflicts(): number {
    return (this.flags >> CONFLICTS_SHIFT) & 0xff;
  }
  set conflicts(value: number) {
    this.flags = (this.flags & ~(0xff << CONFLICTS_SHIFT)) | (Math.min(value, 0xff) << CONFLICTS_SHIFT);
  }
}

/** What `judge` decides for an outcome; one scratch instance per queue, so `finish` allocates nothing. */
interface Judgement {
  effective: Outcome;
  failureClass: FailureClass | undefined;
  failures: number;
  conflicts: number;
  parked: ParkReason | undefined;
  /** HOLD_NONE (forget the key), HOLD_REQUEUE, HOLD_WAITING (after `delay`) or HOLD_BACKOFF. */
  hold: number;
  /** For HOLD_REQUEUE and HOLD_WAITING; HOLD_BACKOFF delays are drawn by `finish`. */
  delay: number;
}

const newJudgement = (): Judgement => ({
  effective: Outcome.converged(),
  failureClass: undefined,
  failures: 0,
  conflicts: 0,
  parked: undefined,
  hold: HOLD_NONE,
  delay: 0,
});

/** A finished pass; its `reconcileId` is made only when someone reads it (no cost on the hot path). */
class FinishedPass implements PassResult {
  readonly key: Key;
  readonly request: Request;
  readonly startedAt: number;
  readonly outcome: Outcome;
  readonly failureClass: FailureClass | undefined;
  readonly failures: number;
  readonly finishedAt: number;
  readonly nextAttemptAt: number | undefined;
  readonly parked: ParkReason | undefined;
  private readonly pass: Pass;
  constructor(
    pass: Pass,
    outcome: Outcome,
    failureClass: FailureClass | undefined,
    failures: number,
    finishedAt: number,
    nextAttemptAt: number | undefined,
    parked: ParkReason | undefined,
  ) {
    this.pass = pass;
    this.outcome = outcome;
    this.failureClass = failureClass;
    this.failures = failures;
    this.finishedAt = finishedAt;
    this.nextAttemptAt = nextAttemptAt;
    this.parked = parked;
    this.key = pass.state.key;
    this.request = pass.request;
    this.startedAt = pass.startedAt;
  }
  get reconcileId(): string {
    return this.pass.reconcileId;
  }
  toJSON(): Omit<PassResult, 'outcome'> & { outcome: unknown } {
    const { key, reconcileId, request, outcome, failureClass, failures, startedAt, finishedAt, nextAttemptAt, parked } = this;
    return { key, reconcileId, request, outcome, failureClass, failures, startedAt, finishedAt, nextAttemptAt, parked };
  }
}

/** One running pass; doubles as the work function's context. */
class Pass implements PassContext {
  private controller: AbortController | undefined;
  private abortReason: Error | undefined;
  private id: string | undefined;
  subscription: Subscription | undefined;
  timer: Subscription | undefined;
  done = false;
  /** Index in the queue's list of running passes (swap-removed on finish). */
  slot = -1;
  readonly owner: KeyedQueue;
  readonly state: KeyState;
  readonly request: Request;
  readonly failures: number;
  readonly startedAt: number;
  /** Start order, to list running passes in the order they started. */
  readonly seq: number;
  constructor(owner: KeyedQueue, state: KeyState, request: Request, failures: number, startedAt: number, seq: number) {
    this.owner = owner;
    this.seq = seq;
    this.state = state;
    this.request = request;
    this.failures = failures;
    this.startedAt = startedAt;
  }
  get key(): Key {
    return this.state.key;
  }
  get reconcileId(): string {
    return (this.id ??= this.owner.nextReconcileId());
  }
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      // Aborted before anyone looked: the signal must still say so.
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }
  get aborted(): boolean {
    return this.abortReason !== undefined;
  }
  private abortCallbacks: (() => void)[] | undefined;
  onAbort(callback: () => void): void {
    if (this.abortReason !== undefined) callback();
    else (this.abortCallbacks ??= []).push(callback);
  }
  get convergingSince(): number | undefined {
    return this.owner.convergingSince(this.state);
  }
  get overdue(): boolean {
    return this.owner.isOverdue(this.state);
  }
  assess(outcome: Outcome): PassVerdict {
    return this.owner.assess(this.state, outcome);
  }
  abort(reason: Error): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
    this.subscription?.unsubscribe();
    const callbacks = this.abortCallbacks;
    this.abortCallbacks = undefined;
    if (callbacks) for (const callback of callbacks) callback();
  }
}

const LOW_REASONS: ReadonlySet<TriggerReason> = new Set<TriggerReason>(['resync', 'initial']);

/**
 * The keyed work queue engine. Use it through the `workQueue` operator; it is exported for engines
 * and tests that need it without RxJS.
 */
export class KeyedQueue {
  readonly workers: number;
  private readonly scheduler: SchedulerLike;
  private readonly backoff: BackoffPolicy;
  private readonly maxRetries: number;
  private readonly bucket: TokenBucket | undefined;
  private readonly classify: Classifier | undefined;
  private readonly conflictRetries: number;
  private readonly dependencyInterval: number;
  private readonly timeout: number | undefined;
  private readonly deadline: number | undefined;
  private readonly agingEvery: number;
  private readonly random: () => number;
  private readonly hooks: QueueHooks | undefined;
  /** Pass ids: a random prefix per queue (drawn from `random`, so a seeded run replays its ids), then a count. */
  private readonly idPrefix: string;
  private passSeq = 0;
  private startSeq = 0;

  /**
   * The key → record table, split so that the hottest check needs no record: `slots` maps a key to a
   * small integer, `records[slot]` is its record, and `hot[slot]` is 1 while the key waits in the high
   * lane. A repeated trigger for a queued key (the common case of a burst or a resync storm) is then
   * one `Map.get` and one byte read, like a hand-written queue's `Map<key, bits>`, instead of a read of
   * a record object scattered in the heap. Slots are reused; the tables are dropped when no key is
   * left, so idle keys hold nothing.
   */
  private slots = new Map<Key, number>();
  private records: (KeyState | undefined)[] = [];
  private hot = new Uint8Array(64);
  private freeSlots: number[] = [];
  /** Running passes, unordered: added at the end, removed by swapping in the last one (O(1), no hashing). */
  private runningPasses: Pass[] = [];
  private high = new Fifo<KeyState>();
  private low = new Fifo<KeyState>();
  private heap = new DelayHeap<KeyState>();
  private timer: Subscription | undefined;
  private timerAt = Infinity;
  private queued = 0;
  private running = 0;
  private parkedCount = 0;
  private highStreak = 0;
  private pumping = false;
  private stopping = false;
  private disposed = false;
  private idleWaiters: (() => void)[] = [];
  private stopWaiters: (() => void)[] = [];
  private stopTimer: Subscription | undefined;
  /** Running convergence clocks in deadline order (insertion order = start time); only with a deadline. */
  private clocks: Map<KeyState, number> | undefined;
  /** Deadline of every key whose clock runs or ran out (overdue); only with a deadline. */
  private deadlines: Map<KeyState, number> | undefined;
  private clockTimer: Subscription | undefined;
  private readonly judgement = newJudgement();
  private readonly counts = zeroCounters();

  private readonly work: Work;
  private readonly emit: (result: PassResult) => void;

  constructor(work: Work, emit: (result: PassResult) => void, options: WorkQueueOptions = {}) {
    this.work = work;
    this.emit = emit;
    const workers = options.workers ?? 4;
    if (!Number.isInteger(workers) || workers < 1) {
      throw new InvalidArgumentError(`workQueue: workers must be an integer ≥ 1, got ${String(workers)}`);
    }
    this.workers = workers;
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.backoff = options.backoff ?? defaultPolicy;
    this.maxRetries = backoffSteps(this.backoff);
    this.bucket = options.rateLimit ? new TokenBucket(options.rateLimit, this.scheduler.now()) : undefined;
    this.classify = options.classify;
    this.conflictRetries = options.conflictRetries ?? 3;
    this.dependencyInterval = options.dependencyInterval ?? 5000;
    this.timeout = checkMs('timeout', options.timeout);
    this.deadline = checkMs('convergenceDeadline', options.convergenceDeadline);
    if (this.deadline !== undefined) {
      this.clocks = new Map();
      this.deadlines = new Map();
    }
    this.agingEvery = options.agingEvery ?? 4;
    this.random = options.random ?? Math.random;
    this.idPrefix = `${Math.floor(this.random() * 0x100000000).toString(16).padStart(8, '0')}-`;
    this.hooks = options.hooks;
  }

  /** Enqueues a key (a plain key counts as a `watch` trigger). */
  add(item: Key | Request): void {
    // Hot path, small enough to be inlined where the source delivers: a plain key that is already
    // waiting in the high lane collapses into its pass (G3) with nothing else to do.
    if (typeof item === 'string') {
      const slot = this.slots.get(item);
      if (slot !== undefined && this.hot[slot] === 1 && !this.stopping) {
        this.counts.adds++;
        this.hooks?.onAdd?.(item, 'watch', undefined);
        return;
      }
      this.addSlow(item, slot === undefined ? undefined : this.records[slot]);
    } else this.addSlow(item, this.recordOf(item.key));
  }

  private recordOf(key: Key): KeyState | undefined {
    const slot = this.slots.get(key);
    return slot === undefined ? undefined : this.records[slot];
  }

  /** A new record for `key`, in a free slot. */
  private newRecord(key: Key, reason: TriggerReason, generation: number | undefined): KeyState {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      slot = this.records.length;
      if (slot >= this.hot.length) {
        const grown = new Uint8Array(this.hot.length * 2);
        grown.set(this.hot);
        this.hot = grown;
      }
    }
    const st = new KeyState(key, slot, reason, generation);
    this.records[slot] = st;
    this.slots.set(key, slot);
    return st;
  }

  /** Drops the slot tables whole (no key holds a slot any more). */
  private dropTables(): void {
    this.records = [];
    this.hot = new Uint8Array(64);
    this.freeSlots = [];
  }

  /** Forgets an idle key's record; with no record left, drops the tables (idle keys hold nothing). */
  private forget(st: KeyState): void {
    this.slots.delete(st.key);
    if (this.slots.size === 0) {
      this.dropTables();
      return;
    }
    this.records[st.slot] = undefined;
    this.hot[st.slot] = 0;
    this.freeSlots.push(st.slot);
  }

  /** The general case; `found` is the key's record as `add` already looked it up. */
  private addSlow(item: Key | Request, found: KeyState | undefined): void {
    if (this.stopping || this.disposed) return;
    let key: Key;
    let reason: TriggerReason;
    let gen: number | undefined;
    let lane = LANE_HIGH;
    if (typeof item === 'string') {
      key = item;
      reason = 'watch';
    } else {
      key = item.key;
      reason = item.reason;
      gen = item.revision;
      if (item.priority === 'low' || (item.priority === undefined && LOW_REASONS.has(reason))) lane = LANE_LOW;
    }
    this.counts.adds++;
    this.hooks?.onAdd?.(key, reason, gen);
    let st = found;
    if (st === undefined) {
      st = this.newRecord(key, reason, gen);
      if (this.clocks !== undefined) this.startClock(st, this.scheduler.now());
      this.enqueue(st, lane);
      this.pump();
      return;
    }
    const newGeneration = gen !== undefined && gen !== st.generation;
    if (gen !== undefined) st.generation = gen;
    if (newGeneration && this.clocks !== undefined) this.startClock(st, this.scheduler.now());
    switch (st.status) {
      case QUEUED:
        if (lane === LANE_HIGH && st.lane === LANE_LOW) {
          // Promote: the stale low-lane entry is skipped when popped.
          st.lane = LANE_HIGH;
          this.hot[st.slot] = 1;
          st.reason = reason;
          this.high.push(st);
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
        if (
          st.hold === HOLD_REQUEUE ||
          reason === 'manual' ||
          newGeneration ||
          (st.hold === HOLD_WAITING && reason === 'dependency')
        ) {
          if (newGeneration) this.resetFailures(st);
          this.heap.remove(st);
          st.reason = reason;
          this.enqueue(st, lane);
          this.rearm();
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
    const st = this.recordOf(key);
    if (st === undefined || st.status !== PARKED || this.stopping) return false;
    this.unpark(st, 'release');
    st.reason = 'manual';
    this.enqueue(st, LANE_HIGH);
    this.pump();
    return true;
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

  /** True when nothing is queued, running or delayed. */
  isIdle(): boolean {
    return this.queued === 0 && this.running === 0 && this.heap.size === 0;
  }

  /**
   * Graceful stop (G10): no new pass starts and new triggers are ignored; in-flight passes finish,
   * or are aborted with a `StoppedError` when `deadline` ms have passed. Resolves when none runs.
   */
  stop(options: { readonly deadline?: number } = {}): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.clearTimer();
      this.clearClockTimer();
      if (options.deadline !== undefined && this.running > 0) {
        this.stopTimer = this.scheduler.schedule(() => {
          this.stopTimer = undefined;
          for (const pass of this.runningPasses.slice()) {
            const error = new StoppedError();
            pass.abort(error);
            this.finish(pass, Outcome.retry(error));
          }
        }, checkMs('stop deadline', options.deadline) as number);
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
    for (const resolve of this.stopWaiters.splice(0)) resolve();
    const onStopped = this.onStopped;
    this.onStopped = undefined;
    onStopped?.();
  }

  /** Drops everything in O(1) per key; running passes are aborted and their results discarded. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stopping = true;
    this.clearTimer();
    this.clearClockTimer();
    this.stopTimer?.unsubscribe();
    this.stopTimer = undefined;
    this.clocks?.clear();
    this.deadlines?.clear();
    for (const pass of this.runningPasses) {
      pass.done = true;
      pass.timer?.unsubscribe();
      pass.abort(new StoppedError());
    }
    this.runningPasses = [];
    this.slots = new Map();
    this.dropTables();
    this.high.clear();
    this.low.clear();
    this.heap.clear();
    this.queued = this.running = this.parkedCount = 0;
    for (const resolve of this.stopWaiters.splice(0)) resolve();
  }

  /** A point-in-time view; O(keys with a record). */
  snapshot(): QueueSnapshot {
    const inFlight: { key: Key; since: number; reason: TriggerReason }[] = [];
    const delayed: DelayedKey[] = [];
    const parked: ParkedKey[] = [];
    const running = this.runningPasses.slice().sort((a, b) => a.seq - b.seq);
    for (const pass of running) inFlight.push({ key: pass.state.key, since: pass.startedAt, reason: pass.request.reason });
    for (const slot of this.slots.values()) {
      const st = this.records[slot] as KeyState;
      const lastError = st.lastError?.message;
      if (st.status === RUNNING) continue;
      if (st.status === DELAYED) {
        delayed.push({
          key: st.key,
          nextAttemptAt: st.dueAt,
          failures: st.failures,
          why: st.hold === HOLD_BACKOFF ? 'backoff' : st.hold === HOLD_WAITING ? 'waiting' : 'requeue',
          lastError,
          failureClass: st.lastClass,
          overdue: this.isOverdue(st),
        });
      } else if (st.status === PARKED) {
        parked.push({
          key: st.key,
          reason: st.hold === PARK_QUARANTINED ? 'quarantined' : 'terminal',
          failures: st.failures,
          lastError,
          failureClass: st.lastClass,
          since: st.dueAt,
          overdue: this.isOverdue(st),
        });
      }
    }
    delayed.sort((a, b) => a.nextAttemptAt - b.nextAttemptAt);
    const c = this.counts;
    return {
      at: this.scheduler.now(),
      workers: this.workers,
      stopping: this.stopping,
      depth: this.queued,
      running: this.running,
      inFlight,
      delayed,
      parked,
      counters: { ...c, errorsByClass: { ...c.errorsByClass } },
    };
  }

  /** Cheap counters for gauges: O(running passes), never O(keys). */
  stats(): QueueStats {
    let oldest: number | undefined;
    for (const pass of this.runningPasses) if (oldest === undefined || pass.startedAt < oldest) oldest = pass.startedAt;
    return {
      at: this.scheduler.now(),
      workers: this.workers,
      depth: this.queued,
      running: this.running,
      delayed: this.heap.size,
      parked: this.parkedCount,
      oldestRunningSince: oldest,
      runningSince: this.runningPasses.map((pass) => pass.startedAt).sort((a, b) => a - b),
      counters: this.counts,
    };
  }

  /** @internal The next pass id (read lazily by `Pass.reconcileId`). */
  nextReconcileId(): string {
    return this.idPrefix + (++this.passSeq).toString(36);
  }

  /** Number of keys holding a record (queued, running, delayed, parked or failing). */
  get trackedKeys(): number {
    return this.slots.size;
  }

  private enqueue(st: KeyState, lane: number): void {
    st.status = QUEUED;
    st.lane = lane;
    this.hot[st.slot] = lane === LANE_HIGH ? 1 : 0;
    st.dueAt = this.hooks?.onStart ? this.scheduler.now() : 0;
    this.queued++;
    (lane === LANE_HIGH ? this.high : this.low).push(st);
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

  /** Next ready key: high lane first, one low-lane key after every `agingEvery` high starts. */
  private next(): KeyState | undefined {
    const preferLow = this.highStreak >= this.agingEvery;
    for (;;) {
      let st: KeyState | undefined;
      let lane: number;
      if (preferLow && this.low.length > 0) {
        st = this.low.shift();
        lane = LANE_LOW;
      } else if (this.high.length > 0) {
        st = this.high.shift();
        lane = LANE_HIGH;
      } else if (this.low.length > 0) {
        st = this.low.shift();
        lane = LANE_LOW;
      } else return undefined;
      // Skip stale entries (a promoted key, or a key that left the lane).
      if (st === undefined || st.status !== QUEUED || st.lane !== lane) continue;
      this.highStreak = lane === LANE_HIGH && this.low.length > 0 ? this.highStreak + 1 : 0;
      return st;
    }
  }

  /** Starts ready keys while workers are free; `now`, when the caller has just read the clock. */
  private pump(now?: number): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.running < this.workers && this.queued > 0 && !this.stopping) {
        const st = this.next();
        if (st === undefined) break;
        this.queued--;
        this.start(st, (now ??= this.scheduler.now()));
      }
    } finally {
      this.pumping = false;
    }
    if (this.idleWaiters.length > 0 && this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private start(st: KeyState, now: number): void {
    const request: Request =
      st.generation === undefined ? { key: st.key, reason: st.reason } : { key: st.key, reason: st.reason, revision: st.generation };
    const queuedMs = now - st.dueAt;
    this.hot[st.slot] = 0;
    st.flags = (st.flags & ~(STATUS_MASK | DIRTY_BIT | FORCED_BIT | DEPENDENCY_BIT)) | RUNNING;
    st.dueAt = now;
    this.running++;
    // A pass after a success (a requeue) starts a new convergence clock.
    if (this.deadlines !== undefined && !this.deadlines.has(st)) this.startClock(st, now);
    const pass = new Pass(this, st, request, st.failures, now, this.startSeq++);
    pass.slot = this.runningPasses.push(pass) - 1;
    this.hooks?.onStart?.(st.key, request, queuedMs, pass);
    if (this.timeout !== undefined) {
      const timeout = this.timeout;
      pass.timer = this.scheduler.schedule(() => {
        if (pass.done) return;
        const error = new TimeoutError(timeout);
        pass.abort(error);
        this.finish(pass, Outcome.retry(error));
      }, timeout);
    }
    let result: unknown;
    try {
      result = this.work(request, pass);
    } catch (thrown) {
      this.finish(pass, Outcome.retry(thrown));
      return;
    }
    this.settle(pass, result);
  }

  private settle(pass: Pass, result: unknown): void {
    if (result === undefined || result === null) {
      this.finish(pass, Outcome.converged());
    } else if (typeof (result as PromiseLike<unknown>).then === 'function') {
      (result as PromiseLike<unknown>).then(
        (value) => this.finish(pass, this.toOutcome(value)),
        (thrown: unknown) => this.finish(pass, Outcome.retry(thrown)),
      );
    } else if (isObservable(result)) {
      let last: unknown;
      const sub = result.subscribe({
        next: (value) => {
          last = value;
        },
        error: (thrown: unknown) => this.finish(pass, Outcome.retry(thrown)),
        complete: () => this.finish(pass, this.toOutcome(last)),
      });
      if (!pass.done) pass.subscription = sub;
    } else {
      this.finish(pass, this.toOutcome(result));
    }
  }

  private toOutcome(value: unknown): Outcome {
    return Outcome.from(value);
  }

  /**
   * The failure model in one place: what `outcome` means for `st` (class, counts, parking, hold).
   * Pure: writes only into `j`. `finish` applies it; `PassContext.assess` previews it.
   */
  private judge(st: KeyState, outcome: Outcome, j: Judgement): void {
    let effective = outcome;
    let failureClass: FailureClass | undefined;
    if (outcome.type === 'retry') {
      failureClass = classifyError(outcome.error, this.classify);
      if (failureClass === 'dependency') effective = this.waitingFor(outcome.error);
      else if (failureClass === 'permanent') effective = Outcome.terminal(outcome.error);
    } else if (outcome.type === 'terminal') failureClass = 'permanent';
    else if (outcome.type === 'waiting') failureClass = 'dependency';
    j.effective = effective;
    j.failureClass = failureClass;
    j.failures = st.failures;
    j.conflicts = st.conflicts;
    j.parked = undefined;
    j.hold = HOLD_NONE;
    j.delay = 0;
    switch (effective.type) {
      case 'converged':
        j.failures = j.conflicts = 0;
        break;
      case 'requeueAfter':
        j.failures = j.conflicts = 0;
        j.hold = HOLD_REQUEUE;
        j.delay = effective.ms;
        break;
      case 'waiting':
        // Not a failure: counts stay as they are, the interval is fixed.
        j.hold = HOLD_WAITING;
        j.delay = effective.ms;
        break;
      case 'retry':
        if (failureClass === 'conflict' && st.conflicts < this.conflictRetries) {
          // Observe again at once; bounded per failure episode (reset by a success only).
          j.conflicts++;
          j.hold = HOLD_REQUEUE;
          break;
        }
        j.failures++;
        if (j.failures > this.maxRetries) j.parked = 'quarantined';
        else j.hold = HOLD_BACKOFF;
        break;
      case 'terminal':
        j.failures++;
        j.parked = 'terminal';
        break;
    }
  }

  private waitingFor(error: Error): Outcome {
    if (error instanceof DependencyNotReadyError) {
      return Outcome.waiting(error.dependency, error.retryAfterMs ?? this.dependencyInterval);
    }
    return Outcome.waiting(error.message, this.dependencyInterval);
  }

  /** @internal Backs `PassContext.assess`. */
  assess(st: KeyState, outcome: Outcome): PassVerdict {
    const j = newJudgement();
    this.judge(st, Outcome.from(outcome), j);
    return Object.freeze({
      outcome: j.effective,
      failureClass: j.failureClass,
      failures: j.failures,
      parked: j.parked,
      immediate: j.hold === HOLD_REQUEUE && j.delay <= 0,
    });
  }

  /** @internal Backs `PassContext.convergingSince`. */
  convergingSince(st: KeyState): number | undefined {
    const at = this.deadlines?.get(st);
    return this.deadline === undefined || at === undefined ? undefined : at - this.deadline;
  }

  /** @internal Backs `PassContext.overdue`. */
  isOverdue(st: KeyState): boolean {
    return st.overdue || (this.deadlines?.get(st) ?? Infinity) <= this.scheduler.now();
  }

  private finish(pass: Pass, outcome: Outcome): void {
    if (pass.done || this.disposed) return;
    pass.done = true;
    pass.timer?.unsubscribe();
    const st = pass.state;
    this.running--;
    this.removeRunning(pass);
    const now = this.scheduler.now();
    const j = this.judgement;
    this.judge(st, outcome, j);
    const effective = j.effective;
    const failureClass = j.failureClass;
    this.counts.passes++;
    this.counts[effective.type]++;
    if (failureClass !== undefined) this.counts.errorsByClass[failureClass]++;
    if (outcome.type === 'retry' || outcome.type === 'terminal') {
      st.lastError = outcome.error;
      st.lastClass = failureClass;
    }
    st.failures = j.failures;
    st.conflicts = j.conflicts;
    let parked = j.parked;
    const hold = j.hold;
    if (hold === HOLD_NONE && parked === undefined) {
      st.lastError = undefined;
      st.lastClass = undefined;
    }
    if (this.clocks !== undefined) {
      if (effective.type === 'converged' || effective.type === 'requeueAfter') this.stopClock(st);
      else if (!st.overdue && (this.deadlines?.get(st) ?? Infinity) <= now) this.markOverdue(st);
    }

    // G2: a trigger that arrived while running gives one more pass now, when it would have woken the
    // key from where this outcome puts it (the same rules as `add` for a waiting or parked key).
    let rerun = false;
    if (st.dirty) {
      if (st.forced) rerun = true;
      else if (parked !== undefined || hold === HOLD_BACKOFF) rerun = false;
      else if (hold === HOLD_WAITING) rerun = st.dependencyTrigger;
      else rerun = true;
    }

    let nextAttemptAt: number | undefined;
    if (rerun) {
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
    } else if (hold !== HOLD_NONE) {
      let delay = j.delay;
      if (hold === HOLD_BACKOFF) {
        delay = delayFor(this.backoff, st.failures, this.random);
        if (this.bucket) delay = Math.max(delay, this.bucket.reserve(now));
      }
      if (delay <= 0 && hold === HOLD_REQUEUE) {
        st.status = IDLE;
        st.reason = 'requeue';
        this.enqueue(st, LANE_HIGH);
      } else {
        st.status = DELAYED;
        st.hold = hold;
        nextAttemptAt = now + delay;
        this.heap.schedule(st, nextAttemptAt);
        this.rearm();
      }
    } else {
      st.status = IDLE;
      this.forget(st);
    }

    const result = new FinishedPass(
      pass,
      effective,
      failureClass,
      st.failures,
      now,
      st.status === DELAYED ? nextAttemptAt : st.status === QUEUED ? now : undefined,
      parked,
    );
    this.hooks?.onFinish?.(result);
    this.emit(result);
    if (this.stopping) {
      if (this.running === 0 && !this.disposed) this.drained();
      return;
    }
    this.pump(now);
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

  // ---- convergence clocks (only with `convergenceDeadline`) ------------------------------------------

  /** (Re)starts the key's clock at `now`; clocks stay in deadline order because `now` never decreases. */
  private startClock(st: KeyState, now: number): void {
    const clocks = this.clocks as Map<KeyState, number>;
    const at = now + (this.deadline as number);
    (this.deadlines as Map<KeyState, number>).set(st, at);
    st.overdue = false;
    clocks.delete(st);
    clocks.set(st, at);
    if (this.clockTimer === undefined && !this.stopping) this.armClock(now);
  }

  private stopClock(st: KeyState): void {
    this.clocks?.delete(st);
    this.deadlines?.delete(st);
    st.overdue = false;
  }

  private markOverdue(st: KeyState): void {
    this.clocks?.delete(st);
    st.overdue = true;
    this.counts.overdue++;
    const at = this.deadlines?.get(st) ?? this.scheduler.now();
    this.hooks?.onOverdue?.(st.key, at - (this.deadline as number), st.generation);
  }

  /** One timer for all clocks: due at the first clock's deadline; stale clocks are skipped when it fires. */
  private armClock(now: number): void {
    const first = (this.clocks as Map<KeyState, number>).values().next();
    if (first.done === true) return;
    this.clockTimer = this.scheduler.schedule(() => this.onClock(), Math.max(0, first.value - now));
  }

  private onClock(): void {
    this.clockTimer = undefined;
    if (this.stopping) return;
    const now = this.scheduler.now();
    for (const [st, at] of this.clocks as Map<KeyState, number>) {
      if (at > now) break;
      this.markOverdue(st);
    }
    this.armClock(now);
  }

  private clearClockTimer(): void {
    this.clockTimer?.unsubscribe();
    this.clockTimer = undefined;
  }

  private rearm(): void {
    const top = this.heap.peek();
    const due = top === undefined ? Infinity : top.dueAt;
    if (due === this.timerAt) return;
    this.clearTimer();
    if (top === undefined || this.stopping) return;
    this.timerAt = due;
    this.timer = this.scheduler.schedule(() => this.onTimer(), Math.max(0, due - this.scheduler.now()));
  }

  private clearTimer(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.scheduler.now();
    for (let top = this.heap.peek(); top !== undefined && top.dueAt <= now; top = this.heap.peek()) {
      this.heap.pop();
      top.reason = top.hold === HOLD_BACKOFF ? 'retry' : 'requeue';
      this.enqueue(top, LANE_HIGH);
    }
    this.rearm();
    this.pump();
  }
}

function checkMs(what: string, ms: number | undefined): number | undefined {
  if (ms !== undefined && (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)) {
    throw new InvalidArgumentError(`workQueue: ${what} must be a finite number of ms ≥ 0, got ${String(ms)}`);
  }
  return ms;
}
