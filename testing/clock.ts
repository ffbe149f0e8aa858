/**
 * The virtual clock of simulations: an RxJS `VirtualTimeScheduler` that can run one timer at a time
 * and let Promises settle in between, so loops built on Promise-returning stores run in virtual time.
 *
 * @module
 */
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { BadDefinitionError } from './errors.js';

/**
 * Waits until every pending microtask (Promise reaction) has run.
 *
 * ## Example
 * ```ts
 * import { drainMicrotasks } from 'rx-reconcile/testing';
 *
 * queueMicrotask(() => console.log('ran'));
 * await drainMicrotasks(); // 'ran' was printed
 * ```
 */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A `VirtualTimeScheduler` you step through: `runNext()` fires the earliest timer only, and
 * `runUntil(t)` alternates timers with microtask drains until virtual time `t`.
 *
 * Use it as the `scheduler` of a loop and of its memory store to run the loop's queue, backoff,
 * resync and timeouts in virtual time while its Promises (store calls, actuators) still settle
 * between timers — `TestScheduler.run` cannot do that, because it flushes synchronously.
 * `simulate` and the checkers use it; use it directly for hand-written scenario tests.
 *
 * ## Example
 * ```ts
 * import { createMemoryStore, defineLoop } from 'rx-reconcile';
 * import { SimulationScheduler } from 'rx-reconcile/testing';
 *
 * const scheduler = new SimulationScheduler();
 * const store = createMemoryStore({ scheduler });
 * const loop = defineLoop({ name: 'demo', store, scheduler, kind: 'Demo', reconcile: async () => undefined });
 * await scheduler.runUntil(60_000); // one virtual minute, in milliseconds of real time
 * ```
 */
export class SimulationScheduler extends VirtualTimeScheduler {
  constructor() {
    super(VirtualAction, Infinity);
  }

  /** The virtual time of the earliest pending timer, if any. */
  get nextAt(): number | undefined {
    return this.actions[0]?.delay;
  }

  /** True when a timer is due at the current virtual time. */
  get due(): boolean {
    const next = this.nextAt;
    return next !== undefined && next <= this.frame;
  }

  /** Fires the earliest pending timer (moving the clock to its time). False when none is pending. */
  runNext(): boolean {
    const action = this.actions.shift();
    if (action === undefined) return false;
    this.frame = Math.max(this.frame, action.delay);
    const error: unknown = action.execute(action.state, action.delay);
    if (error) throw error;
    return true;
  }

  /** Moves the clock forward to `time` without firing anything (never backwards). */
  advanceTo(time: number): void {
    if (time > this.frame) this.frame = time;
  }

  /**
   * Fires every timer due up to `time`, one at a time, draining microtasks after each, then moves the
   * clock to `time`. `settle` (default: one microtask drain) runs after every timer.
   */
  async runUntil(time: number, settle: () => Promise<void> = drainMicrotasks): Promise<void> {
    // NaN: every `next > time` is false, and the run would never stop.
    if (typeof time !== 'number' || Number.isNaN(time)) throw new BadDefinitionError(`runUntil(time) takes a virtual time in ms (got ${String(time)})`);
    for (;;) {
      await settle();
      const next = this.nextAt;
      if (next === undefined || next > time) break;
      this.runNext();
    }
    this.advanceTo(time);
  }
}
