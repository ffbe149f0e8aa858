/**
 * Delays of any length on any `SchedulerLike`.
 *
 * JavaScript timers take at most 2³¹ − 1 ms (about 24.8 days): Node fires a longer `setTimeout` or
 * `setInterval` after 1 ms, which turned a 30-day requeue into a timer storm. {@link scheduleAfter}
 * chains timers for longer delays. (The queue's own clock never goes back either: see `KeyedQueue`.)
 *
 * @module
 */
import { Subscription } from 'rxjs';
import type { SchedulerLike } from 'rxjs';
import { maxTimerDelay } from './check-options.js';

export { maxTimerDelay };

/**
 * Runs `work` once, `delay` ms of `scheduler` time from now. Delays above {@link maxTimerDelay} are
 * reached by chaining timers, each re-checking the scheduler's clock; `NaN` or negative delays run on
 * the next tick. Unsubscribe the result to cancel.
 *
 * ## Example
 * ```ts
 * const timer = scheduleAfter(asyncScheduler, 40 * 24 * 3600_000, () => console.log('40 days later'));
 * timer.unsubscribe(); // changed our mind
 * ```
 */
export function scheduleAfter(scheduler: SchedulerLike, delay: number, work: () => void): Subscription {
  const ms = delay > 0 ? delay : 0;
  if (ms <= maxTimerDelay) return scheduler.schedule(work, ms);
  const due = scheduler.now() + ms;
  const chain = new Subscription();
  const step = (): void => {
    const left = due - scheduler.now();
    if (left <= 0) {
      work();
      return;
    }
    chain.add(scheduler.schedule(step, Math.min(left, maxTimerDelay)));
  };
  chain.add(scheduler.schedule(step, maxTimerDelay));
  return chain;
}
