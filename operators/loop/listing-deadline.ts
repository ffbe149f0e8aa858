/**
 * A deadline for one listing of keys (a resync round, an orphan sweep).
 *
 * A listing is a user's call (`keys()`, `worldKeys()`), often over the network. One that never
 * settles would hold the round open for good, and since rounds do not overlap, every later round
 * would be skipped: the level-triggered safety net would be off, silently (G5, G14). With a deadline
 * the round is abandoned as a failed listing (logged, counted in the loop's health) and the next one
 * lists again. The deadline is generous (ten periods, a minute at least): a listing that is only slow
 * keeps skipping the rounds it overlaps, as it always did.
 *
 * @module
 */
import { throwError, timeout } from 'rxjs';
import type { MonoTypeOperatorFunction, Observable, SchedulerLike } from 'rxjs';
import { TransientError } from '../../src/index.js';
import { maxTimerDelay } from '../../src/check-options.js';

/** The least time a listing is given, whatever its period: slow listings are not hung ones. */
export const MIN_LISTING_DEADLINE = 60_000;

/**
 * Fails a listing of a round every `period` ms that has not produced its keys within ten periods,
 * and at least {@link MIN_LISTING_DEADLINE} (at most a Node timer's 2³¹ − 1 ms), with a
 * `TransientError` naming `what`. A slow listing only skips the rounds it overlaps, as before.
 */
export function listingDeadline<T>(period: number, what: string, scheduler: SchedulerLike): MonoTypeOperatorFunction<T> {
  const each = Math.min(Math.max(period * 10, MIN_LISTING_DEADLINE), maxTimerDelay);
  return timeout<T, Observable<never>>({
    each,
    scheduler,
    with: () =>
      throwError(
        () =>
          new TransientError(
            `${what} did not finish within ${each} ms and was abandoned; the next round lists again. Give the listing a timeout of its own (a network call without one can hang for good).`,
          ),
      ),
  });
}
