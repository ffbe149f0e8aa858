/**
 * Convergence clocks of a work queue (`convergenceDeadline`): one clock per key whose desired revision
 * has not converged yet, one timer for all of them.
 *
 * A clock starts when the queue first sees a key or a new desired revision of it, and stops when a pass
 * ends in `converged` or `requeueAfter`. A key whose clock runs past the deadline is reported once
 * (`onOverdue`) and flagged; it keeps being reconciled. Only created when the option is set.
 *
 * @module
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import type { KeyState } from './key-state.js';
import { scheduleAfter } from './timer.js';

/** The clocks of one queue. */
export class ConvergenceClocks {
  /** Running clocks in deadline order (insertion order = start time, because time never goes back). */
  private readonly running = new Map<KeyState, number>();
  /** Deadline of every key whose clock runs or ran out (overdue). */
  private readonly deadlines = new Map<KeyState, number>();
  private timer: Subscription | undefined;
  private stopped = false;

  private readonly deadline: number;
  private readonly scheduler: SchedulerLike;
  private readonly now: () => number;
  private readonly onOverdue: (st: KeyState, since: number) => void;

  constructor(deadline: number, scheduler: SchedulerLike, now: () => number, onOverdue: (st: KeyState, since: number) => void) {
    this.deadline = deadline;
    this.scheduler = scheduler;
    this.now = now;
    this.onOverdue = onOverdue;
  }

  /** True when the key has a clock (running or overdue). */
  has(st: KeyState): boolean {
    return this.deadlines.has(st);
  }

  /** (Re)starts the key's clock at `now`. */
  start(st: KeyState, now: number): void {
    const at = now + this.deadline;
    this.deadlines.set(st, at);
    st.overdue = false;
    this.running.delete(st);
    this.running.set(st, at);
    if (this.timer === undefined && !this.stopped) this.arm(now);
  }

  /** Stops the key's clock (it converged or is forgotten). */
  stop(st: KeyState): void {
    this.running.delete(st);
    this.deadlines.delete(st);
    st.overdue = false;
  }

  /** After a failed pass: marks the key overdue if its deadline has passed. */
  check(st: KeyState, now: number): void {
    if (!st.overdue && (this.deadlines.get(st) ?? Infinity) <= now) this.markOverdue(st);
  }

  /** Since when the key's desired revision has been waiting to converge. */
  since(st: KeyState): number | undefined {
    const at = this.deadlines.get(st);
    return at === undefined ? undefined : at - this.deadline;
  }

  /** True once the key's clock ran out. */
  isOverdue(st: KeyState): boolean {
    return st.overdue || (this.deadlines.get(st) ?? Infinity) <= this.now();
  }

  /** Stops the timer (the queue stops); clocks stay readable. */
  halt(): void {
    this.stopped = true;
    this.timer?.unsubscribe();
    this.timer = undefined;
  }

  /** Drops every clock. */
  clear(): void {
    this.halt();
    this.running.clear();
    this.deadlines.clear();
  }

  private markOverdue(st: KeyState): void {
    this.running.delete(st);
    st.overdue = true;
    const at = this.deadlines.get(st) ?? this.now();
    this.onOverdue(st, at - this.deadline);
  }

  /** One timer for all clocks: due at the first clock's deadline; stale clocks are skipped when it fires. */
  private arm(now: number): void {
    const first = this.running.values().next();
    if (first.done === true) return;
    this.timer = scheduleAfter(this.scheduler, first.value - now, () => this.fire());
  }

  private fire(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const now = this.now();
    for (const [st, at] of this.running) {
      if (at > now) break;
      this.markOverdue(st);
    }
    this.arm(now);
  }
}
