/**
 * Time slices: how a queue whose passes do no real I/O yields to the event loop (G15).
 *
 * Passes that end with an already-resolved Promise chain on microtasks: a drain of 100k such keys once
 * held the event loop for seconds (no timer, no I/O, no health check ran). The queue asks
 * {@link TimeSlice.spent} before each start. At the start of a slice nothing is scheduled; when half
 * of it has run, a probe macrotask is scheduled. If the queue is still starting passes when the whole
 * slice has run and the probe has not, only microtasks ran meanwhile: `spent` says so, the queue stops
 * starting passes, and the probe resumes it — so the event loop waits about one slice at most (plus
 * the passes already running, and garbage collection). An I/O-bound queue never stops (its probe runs
 * among the I/O callbacks); a slice that only looks old because the queue was idle costs one probe.
 * All time is the scheduler's: in virtual time a slice never runs out.
 *
 * @module
 */
import { asyncScheduler } from 'rxjs';
import type { SchedulerLike } from 'rxjs';

/** Runs `callback` on a later macrotask; returns a function that cancels it. */
type Yield = (callback: () => void) => () => void;

/**
 * How to wait for the next macrotask: a 0 ms action of the scheduler — and, on `asyncScheduler` where
 * the runtime has `setImmediate` (Node), a `setImmediate` racing it, whichever runs first. On the real
 * clock the `setImmediate` wins: it runs right after pending I/O with no timer delay (a 0 ms timer
 * waits at least 1 ms in Node, which cost a drain ~10 % of its throughput). Under `TestScheduler.run`,
 * where `asyncScheduler` is virtual, the scheduler's action wins inside the flush. Yielding is not a
 * delay: no due time depends on which one runs. On any other scheduler (a simulation) only the
 * scheduler's action is used, so runs stay deterministic.
 */
export function yieldOf(scheduler: SchedulerLike): Yield {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  const clear = (globalThis as { clearImmediate?: (handle: unknown) => void }).clearImmediate;
  if (scheduler !== asyncScheduler || immediate === undefined || clear === undefined) {
    return (callback) => {
      const subscription = scheduler.schedule(callback, 0);
      return () => subscription.unsubscribe();
    };
  }
  return (callback) => {
    let done = false;
    const once = (): void => {
      if (done) return;
      done = true;
      clear(handle);
      subscription.unsubscribe();
      callback();
    };
    const handle = immediate(once);
    const subscription = scheduler.schedule(once, 0);
    return () => {
      done = true;
      clear(handle);
      subscription.unsubscribe();
    };
  };
}

/** The time-slice state of one queue. */
export class TimeSlice {
  private open = false;
  private start = 0;
  private probe: (() => void) | undefined;
  private stopped = false;

  private readonly length: number;
  private readonly yieldTo: Yield;
  private readonly resume: () => void;
  private readonly onYield: () => void;

  /** `resume` is called (from the probe macrotask) after `spent` said yield; `onYield` each time it does. */
  constructor(length: number, scheduler: SchedulerLike, resume: () => void, onYield: () => void) {
    this.length = length;
    this.resume = resume;
    this.onYield = onYield;
    this.yieldTo = yieldOf(scheduler);
  }

  /** True while the queue must not start passes (it yielded and waits for its probe). */
  get yielded(): boolean {
    return this.stopped;
  }

  /** Call before starting a pass at `now`; true means: stop starting passes, you will be resumed. */
  spent(now: number): boolean {
    if (!this.open) {
      this.open = true;
      this.start = now;
      return false;
    }
    const elapsed = now - this.start;
    if (this.probe === undefined) {
      if (elapsed < this.length / 2) return false;
      // Half a slice gone: ask for a macrotask. A slice older than a whole one only looks old because
      // the queue was idle in between: it starts afresh now.
      if (elapsed >= this.length) this.start = now;
      this.probe = this.yieldTo(() => this.onProbe());
      return false;
    }
    if (elapsed < this.length) return false;
    this.stopped = true;
    this.onYield();
    return true;
  }

  /** Drops the probe (the queue stopped). */
  cancel(): void {
    this.probe?.();
    this.probe = undefined;
    this.stopped = false;
  }

  private onProbe(): void {
    this.probe = undefined;
    this.open = false;
    if (this.stopped) {
      this.stopped = false;
      this.resume();
    }
  }
}
