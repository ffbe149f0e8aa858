import { asyncScheduler, retry } from 'rxjs';
import type { MonoTypeOperatorFunction, SchedulerLike } from 'rxjs';
import { z } from 'zod';
import { Backoff, classifyError, timerAfter, toError } from '../src/index.js';
import { checkOptions } from '../src/check-options.js';
import type { BackoffPolicy, Classifier } from '../src/index.js';

/** Options of {@link retryWithBackoff}. */
export interface RetryWithBackoffOptions {
  /**
   * Failure classes (see `classifyError`): `permanent` errors are not retried and go through at once.
   * Default: the library's classes (`PermanentError` and `ValidationError` are permanent).
   */
  readonly classify?: Classifier;
  /** Time source of the delays. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Random source for jitter. Default `Math.random`. */
  readonly random?: () => number;
  /**
   * Keep retrying after the policy's `steps` (repeating its last delay), and retry permanent errors
   * too: for sources that must never end. Default false: after `steps` retries the error goes through.
   */
  readonly forever?: boolean;
  /**
   * Called before each retry with the error, the attempt (1 = first retry) and the delay in ms. A
   * throwing callback is ignored.
   */
  readonly onRetry?: (error: Error, attempt: number, delayMs: number) => void;
  /** Start counting again after a value comes through (the source recovered). Default true. */
  readonly resetOnSuccess?: boolean;
}

const optionsSchema = z.strictObject({
  classify: z.custom<Classifier>((v) => typeof v === 'function', 'must be a function (error) => class').optional(),
  scheduler: z.custom<SchedulerLike>((v) => typeof v === 'object' && v !== null && typeof (v as SchedulerLike).schedule === 'function', 'must be a SchedulerLike').optional(),
  random: z.custom<() => number>((v) => typeof v === 'function', 'must be a function').optional(),
  forever: z.boolean({ error: 'must be true or false' }).optional(),
  onRetry: z.custom<RetryWithBackoffOptions['onRetry']>((v) => typeof v === 'function', 'must be a function').optional(),
  resetOnSuccess: z.boolean({ error: 'must be true or false' }).optional(),
});

/**
 * Resubscribes to the source after an error, waiting the delays of a `Backoff` policy: the card's
 * "retried with backoff operators", for any Observable — a flaky read inside `observe`, a call inside
 * `correct`, a source that must restart.
 *
 * The n-th retry waits `Backoff.delayFor(policy, n)` — the same delays `Backoff.delays(policy, n)`
 * prints — through the scheduler, so it is testable in virtual time. After `steps` retries (the
 * policy's own), or at once for a `permanent` error, the error goes through; with `forever`, the
 * source is retried without end, at the last delay.
 *
 * ## Example
 * ```ts
 * import { defer } from 'rxjs';
 * import { Backoff } from 'rx-reconcile';
 * import { retryWithBackoff } from 'rx-reconcile/operators';
 *
 * const policy = Backoff.exponential({ initial: 100, factor: 2, steps: 3 }); // 100, 200, 400 ms
 * const readCurrentState$ = defer(() => fetch('http://127.0.0.1:8080/state').then((r) => r.json()));
 * readCurrentState$.pipe(retryWithBackoff(policy)); // up to 3 retries, then the error goes through
 * ```
 *
 * ## Guarantees
 * - Delays are exactly the policy's, in order; the count restarts after a value comes through
 *   (`resetOnSuccess`, default true).
 * - Delays of any length work (timers are chained past 2³¹ − 1 ms).
 * - A throwing `classify` or `onRetry` never changes what happens (the default class applies).
 *
 * @param policy A backoff policy (`Backoff.exponential(...)`, …); checked when the operator is made.
 * @param options Classes, scheduler, random, `forever`, `onRetry`.
 */
export function retryWithBackoff<T>(policy: BackoffPolicy, options: RetryWithBackoffOptions = {}): MonoTypeOperatorFunction<T> {
  Backoff.checkPolicy('retryWithBackoff', policy);
  checkOptions('retryWithBackoff', optionsSchema, options);
  const scheduler = options.scheduler ?? asyncScheduler;
  const random = options.random ?? Math.random;
  const steps = Backoff.steps(policy);
  const forever = options.forever === true;
  return retry<T>({
    resetOnSuccess: options.resetOnSuccess ?? true,
    delay: (thrown: unknown, attempt: number) => {
      const error = toError(thrown);
      if (!forever && (attempt > steps || classifyError(error, options.classify) === 'permanent')) throw thrown;
      const ms = Backoff.delayFor(policy, Math.min(attempt, steps), random);
      try {
        options.onRetry?.(error, attempt, ms);
      } catch {
        // A reporting callback may not change the retry.
      }
      return timerAfter(ms, scheduler);
    },
  });
}
