/**
 * The work queue's per-key record ({@link KeyState}): it exists only while a key is queued, running,
 * delayed, parked or failing. Small states live in the bits of one integer, behind accessors, so a
 * key in backoff stays small (BENCHMARKS.md #11).
 *
 * @module
 */
import type { HeapEntry } from './delay-heap.js';
import type { FailureClass } from './outcome.js';
import type { Key, TriggerReason } from './types.js';

// Status of a key.
export const IDLE = 0;
export const QUEUED = 1;
export const RUNNING = 2;
export const DELAYED = 3;
export const PARKED = 4;

// `hold` of a DELAYED key: why it waits.
export const HOLD_REQUEUE = 0;
export const HOLD_BACKOFF = 1;
export const HOLD_WAITING = 2;

// `hold` of a PARKED key.
export const PARK_TERMINAL = 0;
export const PARK_QUARANTINED = 1;

export const LANE_HIGH = 0;
export const LANE_LOW = 1;

const FAILURE_CLASSES: readonly (FailureClass | undefined)[] = [undefined, 'transient', 'conflict', 'permanent', 'dependency'];

/** The index of a failure class in FAILURE_CLASSES (0: none). */
function classIndex(value: FailureClass | undefined): number {
  switch (value) {
    case 'transient':
      return 1;
    case 'conflict':
      return 2;
    case 'permanent':
      return 3;
    case 'dependency':
      return 4;
    default:
      return 0;
  }
}

// Bit layout of `flags`.
export const STATUS_MASK = 0b111; // bits 0-2
const HOLD_SHIFT = 3; // bits 3-4
const LANE_BIT = 1 << 5;
export const DIRTY_BIT = 1 << 6;
export const FORCED_BIT = 1 << 7;
export const DEPENDENCY_BIT = 1 << 8;
const OVERDUE_BIT = 1 << 9;
const CLASS_SHIFT = 10; // bits 10-12: index in FAILURE_CLASSES
const CONFLICTS_SHIFT = 13; // bits 13-20: conflicts in a row (at most 255; options allow 100)
const REASON_SHIFT = 21; // bits 21-23: index in REASONS
const STREAK_SHIFT = 24; // bits 24-29: immediate reruns in a row (saturates at 63)
const HOT_BIT = 1 << 30;

/**
 * Bits that keep a converged pass off the queue's fast path: a trigger while running, conflicts in
 * a row, a rerun streak, hot.
 */
export const FAST_FORGET_BLOCKERS = DIRTY_BIT | (0xff << CONFLICTS_SHIFT) | (0x3f << STREAK_SHIFT) | HOT_BIT;

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
 * Per-key record. Eight fields; the small states (and the trigger reason) live in the bits of
 * `flags`. `slot` is the record's index in the queue's slot table.
 */
export class KeyState implements HeapEntry {
  flags = 0;
  generation: number | undefined;
  failures = 0;
  /** Due time while DELAYED; ready time while QUEUED; start time while RUNNING; park time while PARKED. */
  dueAt = 0;
  heapIndex = -1;
  lastError: Error | undefined = undefined;
  readonly key: Key;
  slot: number;
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
    this.flags = (this.flags & ~(0b111 << CLASS_SHIFT)) | (classIndex(value) << CLASS_SHIFT);
  }
  get conflicts(): number {
    return (this.flags >> CONFLICTS_SHIFT) & 0xff;
  }
  set conflicts(value: number) {
    this.flags = (this.flags & ~(0xff << CONFLICTS_SHIFT)) | (Math.min(value, 0xff) << CONFLICTS_SHIFT);
  }
  /** Passes run again at once, in a row, without a desired change (requeueAfter(0), conflicts, own writes). */
  get streak(): number {
    return (this.flags >> STREAK_SHIFT) & 0x3f;
  }
  set streak(value: number) {
    this.flags = (this.flags & ~(0x3f << STREAK_SHIFT)) | (Math.min(value, 0x3f) << STREAK_SHIFT);
  }
  /** Reported as hot: its immediate reruns are spaced out. */
  get hot(): boolean {
    return (this.flags & HOT_BIT) !== 0;
  }
  set hot(value: boolean) {
    this.flags = value ? this.flags | HOT_BIT : this.flags & ~HOT_BIT;
  }
}

/**
 * One record kept for the life of the process, every field in its widest form.
 *
 * V8 keeps a class's hidden classes only while some object uses them. A drained queue forgets all its
 * keys, so after the next full collection (an idle loop gets one sooner or later) the record's
 * hidden classes are gone, the queue's optimised code that was built on them is thrown away, and the
 * next burst runs while it warms up again: 2,000–4,000 ns per pass instead of ~400 for a 10k-key
 * burst on a long-lived queue with a full collection between bursts (benchmark 32, whose rounds are
 * just that). This record keeps them alive; it is never handed to a queue.
 */
export const KEY_STATE_SHAPE: KeyState = new KeyState('', -1, 'watch', 0);
KEY_STATE_SHAPE.generation = undefined;
KEY_STATE_SHAPE.dueAt = 0.5;
KEY_STATE_SHAPE.heapIndex = 0;
KEY_STATE_SHAPE.lastError = new Error('the shape of a key record, never queued');
