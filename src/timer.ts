/**
 * Delays of any length on any `SchedulerLike`.
 *
 * JavaScript timers take at most 2³¹ − 1 ms (about 24.8 days): Node fires a longer `setTimeout` or
 * `setInterval` after 1 ms, which turned a 30-day requeue into a timer storm. {@link scheduleAfter}
 * chains timers for longer delays. (The queue's own clock never goes back either: see `KeyedQueue`.)
 *
 * @module
 */
import { Observable, Subscription } from 'rxjs';
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
 * import { asyncScheduler } from 'rxjs';
 * import { scheduleAfter } from 'rx-reconcile';
 *
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

/**
 * An Observable that emits `0` and completes after `delay` ms of `scheduler` time, for delays of any
 * length (RxJS `timer` hands long delays to a JavaScript timer, which fires them after 1 ms).
 *
 * ## Example
 * ```ts
 * import { asyncScheduler } from 'rxjs';
 * import { timerAfter } from 'rx-reconcile';
 *
 * timerAfter(45 * 86_400_000, asyncScheduler).subscribe(() => console.log('45 days later'));
 * ```
 */
export function timerAfter(delay: number, scheduler: SchedulerLike): Observable<0> {
  return new Observable<0>((subscriber) =>
    scheduleAfter(scheduler, delay, () => {
      subscriber.next(0);
      subscriber.complete();
    }),
  );
}

/**
 * An Observable that emits 0, 1, 2… every `period` ms of `scheduler` time, for periods of any length
 * (RxJS `interval` with a period above 2³¹ − 1 ms fires every millisecond).
 *
 * ## Example
 * ```ts
 * import { asyncScheduler } from 'rxjs';
 * import { every } from 'rx-reconcile';
 *
 * every(30 * 86_400_000, asyncScheduler).subscribe(() => console.log('monthly resync')); // longer than a Node timer
 * ```
 */
export function every(period: number, scheduler: SchedulerLike): Observable<number> {
  return new Observable<number>((subscriber) => {
    let count = 0;
    let timer: Subscription | undefined;
    const arm = (): void => {
      timer = scheduleAfter(scheduler, period, () => {
        subscriber.next(count++);
        if (!subscriber.closed) arm();
      });
    };
    arm();
    return () => timer?.unsubscribe();
  });
}
