/**
 * The backoff policies as values: a tagged union on `kind` that can be printed, compared and checked
 * (see `Backoff` in `backoff.ts` for the functions that build and run them).
 *
 * @module
 */

/**
 * Delays growing geometrically: `initial · factor^(failures − 1)`, at most `cap`.
 *
 * Build it with {@link exponential}; the usual choice for transient failures.
 *
 * ## Example
 * ```ts
 * const p: Backoff.ExponentialPolicy = Backoff.exponential({ initial: 100 });
 * ```
 */
export interface ExponentialPolicy {
  readonly kind: 'exponential';
  /** Delay before the first retry, in ms. */
  readonly initial: number;
  /** Growth per failure, ≥ 1. */
  readonly factor: number;
  /** Consecutive failures after which the key is quarantined. */
  readonly steps: number;
  /** Largest delay, in ms. */
  readonly cap?: number;
}

/**
 * The same delay after every failure.
 *
 * Build it with {@link constant}; handy in tests and for polling-like retries.
 *
 * ## Example
 * ```ts
 * const p: Backoff.ConstantPolicy = Backoff.constant({ delay: 500 });
 * ```
 */
export interface ConstantPolicy {
  readonly kind: 'constant';
  /** Delay before every retry, in ms. */
  readonly delay: number;
  /** Consecutive failures after which the key is quarantined. */
  readonly steps: number;
}

/**
 * Delays growing arithmetically: `initial + increment · (failures − 1)`, at most `cap`.
 *
 * Build it with {@link linear}; gentler than exponential when many retries are expected.
 *
 * ## Example
 * ```ts
 * const p: Backoff.LinearPolicy = Backoff.linear({ initial: 1000, increment: 500 });
 * ```
 */
export interface LinearPolicy {
  readonly kind: 'linear';
  /** Delay before the first retry, in ms. */
  readonly initial: number;
  /** Added per further failure, in ms. */
  readonly increment: number;
  /** Consecutive failures after which the key is quarantined. */
  readonly steps: number;
  /** Largest delay, in ms. */
  readonly cap?: number;
}

/**
 * Another policy's delay multiplied by `1 + ratio · u`, `u` uniform in [−1, 1).
 *
 * Build it with {@link jitter}; spreads retries of many keys that failed together.
 *
 * ## Example
 * ```ts
 * const p: Backoff.JitterPolicy = Backoff.jitter(Backoff.constant({ delay: 1000 }), 0.2);
 * ```
 */
export interface JitterPolicy {
  readonly kind: 'jitter';
  readonly policy: BackoffPolicy;
  /** Relative spread, in [0, 1]. */
  readonly ratio: number;
}

/**
 * Another policy's delay, at most `max` ms.
 *
 * Build it with {@link cap}; bounds any policy, including jittered ones.
 *
 * ## Example
 * ```ts
 * const p: Backoff.CapPolicy = Backoff.cap(Backoff.linear({ initial: 0, increment: 1000 }), 5000);
 * ```
 */
export interface CapPolicy {
  readonly kind: 'cap';
  readonly policy: BackoffPolicy;
  /** Largest delay, in ms. */
  readonly max: number;
}

/**
 * The largest of several policies' delays; its steps are the largest of their steps.
 *
 * Build it with {@link maxOf}; e.g. "exponential, but never less than 5 s".
 *
 * ## Example
 * ```ts
 * const p: Backoff.MaxOfPolicy = Backoff.maxOf(Backoff.exponential({ initial: 100 }), Backoff.constant({ delay: 5000 }));
 * ```
 */
export interface MaxOfPolicy {
  readonly kind: 'maxOf';
  readonly policies: readonly BackoffPolicy[];
}

/**
 * A backoff policy: a frozen, printable value (tagged union on `kind`).
 *
 * Pass it to loops and operators as their `backoff` option; inspect it with {@link delays},
 * {@link describe} and {@link steps}.
 *
 * ## Example
 * ```ts
 * const policy: Backoff.BackoffPolicy = Backoff.defaultPolicy;
 * ```
 */
export type BackoffPolicy = ExponentialPolicy | ConstantPolicy | LinearPolicy | JitterPolicy | CapPolicy | MaxOfPolicy;
