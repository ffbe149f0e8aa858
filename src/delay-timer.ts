/**
 * The single timer structure behind every delayed key of a work queue (requeue, backoff, dependency
 * waits, hot-key spacing): one min-heap ordered by due time and one scheduler timer, armed at the
 * earliest due time. Delays longer than a JavaScript timer takes (2³¹ − 1 ms) fire early, find nothing
 * due and re-arm: a chain, never a timer storm (G16). Many keys due at once are woken
 * {@link WAKE_BATCH} at a time, one macrotask each, so a large due batch never holds the event loop
 * (G15: 200k keys due together held it ~80 ms).
 *
 * @module
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import { DelayHeap } from './delay-heap.js';
import type { KeyState } from './key-state.js';
import { maxTimerDelay } from './timer.js';

/**
 * Most keys one firing wakes (a heap pop and an enqueue each, well under a millisecond together); the
 * rest are woken by the next firing, a macrotask later.
 */
export const WAKE_BATCH = 2048;

/** Delayed keys and the one timer that wakes them. */
export class DelayTimer {
  private readonly heap = new DelayHeap<KeyState>();
  private timer: Subscription | undefined;
  private timerAt = Infinity;
  private halted = false;
  /** How far before `timerAt` the armed timer fires (a chained wait); 0 normally. */
  private lastChainGap = 0;
  private readonly scheduler: SchedulerLike;
  private readonly now: (atLeast?: number) => number;
  private readonly due: (st: KeyState) => void;
  private readonly after: () => void;

  /**
   * `due` is called for each key whose time came, then `after` once per firing. `now(atLeast)` reads
   * the queue's clock; a firing timer tells it the time it was armed for, since a timer that fired
   * proves that much time passed even if the scheduler's clock stepped back meanwhile.
   */
  constructor(scheduler: SchedulerLike, now: (atLeast?: number) => number, due: (st: KeyState) => void, after: () => void) {
    this.scheduler = scheduler;
    this.now = now;
    this.due = due;
    this.after = after;
  }

  /** Number of delayed keys. */
  get size(): number {
    return this.heap.size;
  }

  /** Delays `st` until `dueAt` (of two delays the earlier wins). */
  schedule(st: KeyState, dueAt: number): void {
    this.heap.schedule(st, dueAt);
    this.arm();
  }

  /** Takes `st` out (it is woken by other means). */
  remove(st: KeyState): void {
    this.heap.remove(st);
    this.arm();
  }

  /** Stops the timer for good (the queue stops); delayed keys stay listed. */
  halt(): void {
    this.halted = true;
    this.disarm();
  }

  /** Drops every delayed key and the timer. */
  clear(): void {
    this.halt();
    this.heap.clear();
  }

  private arm(): void {
    const top = this.heap.peek();
    const due = top === undefined ? Infinity : top.dueAt;
    if (due === this.timerAt) return;
    this.disarm();
    if (top === undefined || this.halted) return;
    this.timerAt = due;
    const wait = Math.max(0, due - this.now());
    this.lastChainGap = wait > maxTimerDelay ? wait - maxTimerDelay : 0;
    this.timer = this.scheduler.schedule(() => this.fire(), Math.min(maxTimerDelay, wait));
  }

  private disarm(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private fire(): void {
    const armedFor = this.timerAt;
    this.timer = undefined;
    this.timerAt = Infinity;
    // A chained timer (a delay past maxTimerDelay) fires before its due time: it proves less.
    const now = this.now(armedFor - this.lastChainGap);
    let woken = 0;
    for (let top = this.heap.peek(); top !== undefined && top.dueAt <= now && woken < WAKE_BATCH; top = this.heap.peek()) {
      this.heap.pop();
      woken++;
      this.due(top);
    }
    // Keys still due re-arm the timer at 0 ms: the event loop runs between the batches.
    this.arm();
    this.after();
  }
}
