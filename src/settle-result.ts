/**
 * A pass's return value, whatever it is, turned into exactly one `Outcome` (G7).
 *
 * Work functions return an `Outcome` or nothing, as a value, a Promise, any thenable or an Observable
 * (its last value counts). Untrusted results cannot break the queue: a thenable whose `then` throws,
 * a `then` getter that throws, an Observable whose `subscribe` throws, a malformed outcome — each is a
 * `retry` of that pass with the error, never an exception escaping into the queue.
 *
 * @module
 */
import { isObservable } from 'rxjs';
import type { Subscription } from 'rxjs';
import { Outcome } from './outcome.js';

/**
 * Calls `done` with the outcome of `result` (at once, or when it settles). Returns the subscription
 * of an Observable result that has not completed yet, so the caller can cancel it on abort. `done`
 * may be called more than once by a misbehaving thenable: the caller ignores all but the first.
 */
export function settleResult(result: unknown, done: (outcome: Outcome) => void): Subscription | undefined {
  if (result === undefined || result === null) {
    done(Outcome.converged());
    return undefined;
  }
  try {
    if (typeof result === 'object' || typeof result === 'function') {
      const then: unknown = (result as { then?: unknown }).then; // a getter may throw
      if (typeof then === 'function') {
        (then as (ok: (value: unknown) => void, fail: (error: unknown) => void) => unknown).call(
          result,
          (value) => done(Outcome.from(value)),
          (thrown) => done(Outcome.retry(thrown)),
        );
        return undefined;
      }
      if (isObservable(result)) {
        let last: unknown;
        return result.subscribe({
          next: (value) => {
            last = value;
          },
          error: (thrown: unknown) => done(Outcome.retry(thrown)),
          complete: () => done(Outcome.from(last)),
        });
      }
    }
    done(Outcome.from(result));
  } catch (thrown) {
    // A thenable whose `then` throws, an Observable whose subscribe throws: the pass failed.
    done(Outcome.retry(thrown));
  }
  return undefined;
}
