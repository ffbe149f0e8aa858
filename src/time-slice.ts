/**
 * Time slices: how a queue whose passes do no real I/O yields to the event loop (G15).
 *
 * Passes that end with an already-resolved Promise chain on microtasks: a drain of 100k such keys once
 * held the event loop for seconds (no timer, no I/O, no health check ran). The queue asks
 * {@link TimeSlice.spent} before each start. At the start of a slice nothing is scheduled; when a
 * slice has run `length` ms, a probe macrotask is scheduled and a second slice starts. If the queue is
 * still starting passes a whole slice later and the probe has not run, only microtasks ran meanwhile:
 * `spent` says so, the queue stops starting passes, and the probe resumes it. An I/O-bound queue never
 * stops (its probe runs among the I/O callbacks); a slice that only looks old because the queue was
 * idle costs one probe. All time is the scheduler's: in virtual time a slice never runs out.
 *
 * @module
 */
import type { SchedulerLike, Subscription } from 'rxjs';

/** The time-slice state of one queue. */
export class TimeSlice {
  private open = false;
  private start = 0;
  private probe: Subscription | undefined;
  private stopped = false;

  private readonly length: number;
  private readonly scheduler: SchedulerLike;
  private readonly resume: () => void;
  private readonly onYield: () => void;

  /** `resume` is called (from the probe macrotask) after `spent` said yield; `onYield` each time it does. */
  constructor(length: number, scheduler: SchedulerLike, resume: () => void, onYield: () => void) {
    this.length = length;
    this.scheduler = scheduler;
    this.resume = resume;
    this.onYield = onYield;
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
    if (now - this.start < this.length) return false;
    if (this.probe === undefined) {
      this.probe = this.scheduler.schedule(() => this.onProbe(), 0);
      this.start = now;
      return false;
    }
    this.stopped = true;
    this.onYield();
    return true;
  }

  /** Drops the probe (the queue stopped). */
  cancel(): void {
    this.probe?.unsubscribe();
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
