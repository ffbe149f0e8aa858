/**
 * A global rate limit for reconcile passes: a token bucket shared by all keys (G6).
 *
 * Per-key backoff slows down one failing key; the rate limit bounds the whole loop (e.g. the calls it
 * makes to an API), whatever the number of keys. {@link rateLimit} is the validated option value,
 * {@link TokenBucket} the pure state machine behind it. Time is passed in as milliseconds: there is no
 * clock and no timer inside, so virtual time works unchanged.
 *
 * ## Example
 * ```ts
 * import { TokenBucket, rateLimit } from 'rx-reconcile';
 *
 * const bucket = new TokenBucket(rateLimit({ qps: 10, burst: 100 }), scheduler.now());
 * const wait = bucket.reserve(scheduler.now()); // 0 while the burst lasts, then 100, 200, … ms
 * ```
 *
 * @module
 */
import { InvalidArgumentError } from './errors.js';

/**
 * A global rate limit: `qps` passes per second on average, with bursts of up to `burst` passes.
 *
 * Build it with {@link rateLimit}, which validates it, and pass it as a loop's `rateLimit` option.
 *
 * ## Example
 * ```ts
 * const limit: RateLimit = rateLimit({ qps: 10, burst: 100 });
 * ```
 */
export interface RateLimit {
  /** Sustained rate, in tokens per second (finite, > 0). */
  readonly qps: number;
  /** Bucket size: tokens available at once (integer ≥ 1). */
  readonly burst: number;
}

/**
 * A validated, frozen {@link RateLimit}.
 *
 * Use it to build a loop's `rateLimit` option; it throws `InvalidArgumentError` for a `qps` that is
 * not a finite number > 0 or a `burst` that is not an integer ≥ 1.
 *
 * ## Example
 * ```ts
 * import { defineLoop, createMemoryStore, rateLimit } from 'rx-reconcile';
 *
 * // At most 5 passes a second over all keys, 10 at once after a quiet time.
 * defineLoop({ name: 'mail', store: createMemoryStore(), kind: 'Mail', rateLimit: rateLimit({ qps: 5, burst: 10 }), reconcile: () => undefined });
 * ```
 */
export function rateLimit(limit: { readonly qps: number; readonly burst: number }): RateLimit {
  const { qps, burst } = limit;
  if (typeof qps !== 'number' || !Number.isFinite(qps) || qps <= 0) {
    throw new InvalidArgumentError(`rateLimit: qps must be a finite number > 0 (tokens per second) (got ${String(qps)})`);
  }
  if (!Number.isInteger(burst) || burst < 1) {
    throw new InvalidArgumentError(`rateLimit: burst must be an integer ≥ 1 (got ${String(burst)})`);
  }
  return Object.freeze({ qps, burst });
}

/**
 * A token bucket with queued reservations, like Go's `rate.Limiter.Reserve`.
 *
 * The bucket starts full (`burst` tokens) and refills at `qps` tokens per second up to `burst`. Each
 * {@link TokenBucket.reserve} takes one token, borrowing from the future when none is left, and returns
 * how long to wait before using it. Use one bucket per loop, shared by all keys. O(1) per call.
 *
 * ## Example
 * ```ts
 * import { TokenBucket, rateLimit } from 'rx-reconcile';
 *
 * const bucket = new TokenBucket(rateLimit({ qps: 10, burst: 100 }), 0);
 * for (let i = 0; i < 100; i++) bucket.reserve(0); // 0 each
 * bucket.reserve(0); // 100
 * bucket.reserve(0); // 200
 * ```
 */
export class TokenBucket {
  /** The limit this bucket enforces. */
  readonly limit: RateLimit;
  /** Tokens at time `last`; negative when reservations are queued. */
  private tokens: number;
  /** Time (ms) `tokens` refers to; never moves backwards. */
  private last: number;

  /**
   * A full bucket at time `now` (ms).
   *
   * ## Example
   * ```ts
   * const bucket = new TokenBucket(rateLimit({ qps: 1, burst: 1 }), scheduler.now());
   * ```
   */
  constructor(limit: RateLimit, now: number) {
    this.limit = rateLimit(limit);
    this.tokens = this.limit.burst;
    this.last = checkTime(now);
  }

  /**
   * Takes one token at time `now` (ms) and returns the wait in ms (0 if available now) before it may be used.
   *
   * Reservations queue up: each one that finds the bucket empty waits `1000 / qps` ms longer than the
   * previous. The wait is rounded up to a whole ms, so a token is never used early. A `now` earlier
   * than a previous call is treated as that earlier time.
   *
   * ## Example
   * ```ts
   * const wait = bucket.reserve(scheduler.now());
   * if (wait > 0) requeueAfter(wait);
   * ```
   */
  reserve(now: number): number {
    const t = checkTime(now);
    if (t > this.last) {
      this.tokens = Math.min(this.limit.burst, this.tokens + ((t - this.last) * this.limit.qps) / 1000);
      this.last = t;
    }
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    // `last` may lie ahead of `now` only if time went backwards; count the wait from `now` then too.
    const wait = this.last - t + (-this.tokens * 1000) / this.limit.qps;
    // A tiny tolerance absorbs floating-point noise (e.g. 100.00000000001 → 100, not 101).
    return Math.max(0, Math.ceil(wait - 1e-7));
  }
}

function checkTime(now: number): number {
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new InvalidArgumentError(`TokenBucket: now must be a finite time in ms (got ${String(now)})`);
  }
  return now;
}
