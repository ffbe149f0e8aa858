/**
 * Backoff policies as immutable, printable values (G6, G12).
 *
 * A policy is a plain frozen object (a tagged union on `kind`), never a class and never stateful: the
 * number of consecutive failures of a key lives in the loop, and {@link delayFor} turns
 * `(policy, failures)` into a wait in milliseconds. Policies compose: {@link jitter}, {@link cap} and
 * {@link maxOf} wrap other policies. {@link steps} says after how many consecutive failures a key is
 * quarantined (dead-letter). {@link delays} and {@link describe} print a policy for logs and docs.
 *
 * Exported from the package entry as the `Backoff` namespace.
 *
 * ## Example
 * ```ts
 * import { Backoff } from 'rx-reconcile';
 *
 * const policy = Backoff.exponential({ initial: 1000, factor: 2, steps: 5, cap: 60_000, jitter: 0.1 });
 * Backoff.delayFor(policy, 3); // ≈ 4000 (± 10 %)
 * Backoff.describe(Backoff.defaultPolicy); // 'exponential 1000ms ×2 (cap 60000ms, 5 steps)'
 * ```
 *
 * @module
 */
import { backoffPolicySchema, constantOptionsSchema, exponentialOptionsSchema, linearOptionsSchema } from './backoff-schema.js';
import { checkOptions } from './check-options.js';
import { InvalidArgumentError } from './errors.js';

/**
 * The largest delay any policy returns: 2³¹ − 1 ms (about 24.8 days).
 *
 * Uncapped growth is clamped here, so a delay is never `Infinity` or `NaN`, and it stays within what
 * JavaScript timers accept (longer timer delays fire at once in Node and browsers).
 *
 * ## Example
 * ```ts
 * Backoff.delayFor(Backoff.exponential({ initial: 1000 }), 1e6) === Backoff.maxDelay; // true
 * ```
 */
export const maxDelay = 2_147_483_647;

export type { BackoffPolicy, CapPolicy, ConstantPolicy, ExponentialPolicy, JitterPolicy, LinearPolicy, MaxOfPolicy } from './backoff-policy.js';
import type { BackoffPolicy, CapPolicy, ConstantPolicy, ExponentialPolicy, JitterPolicy, LinearPolicy, MaxOfPolicy } from './backoff-policy.js';

/**
 * Options of {@link exponential}.
 *
 * ## Example
 * ```ts
 * const options: Backoff.ExponentialOptions = { initial: 1000, cap: 60_000, jitter: 0.1 };
 * ```
 */
export interface ExponentialOptions {
  /** Delay before the first retry, in ms (finite, ≥ 0). */
  readonly initial: number;
  /** Growth per failure (finite, ≥ 1). Default 2. */
  readonly factor?: number;
  /** Consecutive failures before quarantine (integer ≥ 1). Default 5. */
  readonly steps?: number;
  /** Largest delay in ms (finite, ≥ 0); holds even with jitter. */
  readonly cap?: number;
  /** Jitter ratio in [0, 1], or `true` for 0.1. Applied before the cap. */
  readonly jitter?: number | boolean;
}

/**
 * Options of {@link constant}.
 *
 * ## Example
 * ```ts
 * const options: Backoff.ConstantOptions = { delay: 500, steps: 3 };
 * ```
 */
export interface ConstantOptions {
  /** Delay before every retry, in ms (finite, ≥ 0). */
  readonly delay: number;
  /** Consecutive failures before quarantine (integer ≥ 1). Default 5. */
  readonly steps?: number;
}

/**
 * Options of {@link linear}.
 *
 * ## Example
 * ```ts
 * const options: Backoff.LinearOptions = { initial: 1000, increment: 1000, cap: 10_000 };
 * ```
 */
export interface LinearOptions {
  /** Delay before the first retry, in ms (finite, ≥ 0). */
  readonly initial: number;
  /** Added per further failure, in ms (finite, ≥ 0). */
  readonly increment: number;
  /** Consecutive failures before quarantine (integer ≥ 1). Default 5. */
  readonly steps?: number;
  /** Largest delay in ms (finite, ≥ 0). */
  readonly cap?: number;
}

const DEFAULT_STEPS = 5;
const DEFAULT_JITTER = 0.1;

/**
 * An exponential policy: `initial · factor^(failures − 1)` ms, capped.
 *
 * The standard choice for transient failures. `jitter` is shorthand for wrapping in {@link jitter};
 * it is applied before the cap, so `cap` always holds (the result is then `cap(jitter(exponential))`).
 *
 * ## Example
 * ```ts
 * Backoff.delays(Backoff.exponential({ initial: 1000, cap: 60_000 }), 5); // [1000, 2000, 4000, 8000, 16000]
 * ```
 */
export function exponential(options: ExponentialOptions): BackoffPolicy {
  const where = 'Backoff.exponential';
  checkOptions(where, exponentialOptionsSchema, options);
  const initial = options.initial;
  const factor = options.factor ?? 2;
  const stepCount = options.steps ?? DEFAULT_STEPS;
  const capMs = options.cap;
  const base: ExponentialPolicy = Object.freeze(
    capMs === undefined
      ? { kind: 'exponential' as const, initial, factor, steps: stepCount }
      : { kind: 'exponential' as const, initial, factor, steps: stepCount, cap: capMs },
  );
  const ratio = jitterOption(where, options.jitter);
  if (ratio === undefined) return base;
  const jittered = jitter(base, ratio);
  return capMs === undefined ? jittered : cap(jittered, capMs);
}

/**
 * A constant policy: the same `delay` ms after every failure.
 *
 * Use for polling-like retries and in tests where exact timings matter.
 *
 * ## Example
 * ```ts
 * Backoff.delays(Backoff.constant({ delay: 250, steps: 3 }), 3); // [250, 250, 250]
 * ```
 */
export function constant(options: ConstantOptions): ConstantPolicy {
  checkOptions('Backoff.constant', constantOptionsSchema, options);
  return Object.freeze({ kind: 'constant' as const, delay: options.delay, steps: options.steps ?? DEFAULT_STEPS });
}

/**
 * A linear policy: `initial + increment · (failures − 1)` ms, capped.
 *
 * Use when retries are expected to be many and exponential growth would overshoot.
 *
 * ## Example
 * ```ts
 * Backoff.delays(Backoff.linear({ initial: 1000, increment: 500 }), 3); // [1000, 1500, 2000]
 * ```
 */
export function linear(options: LinearOptions): LinearPolicy {
  checkOptions('Backoff.linear', linearOptionsSchema, options);
  const { initial, increment } = options;
  const stepCount = options.steps ?? DEFAULT_STEPS;
  return Object.freeze(
    options.cap === undefined
      ? { kind: 'linear' as const, initial, increment, steps: stepCount }
      : { kind: 'linear' as const, initial, increment, steps: stepCount, cap: options.cap },
  );
}

/**
 * Wraps a policy so each delay is multiplied by `1 + ratio · u`, `u` uniform in [−1, 1).
 *
 * Use to spread retries of many keys that failed at the same moment. Wrap the result in {@link cap}
 * if the jittered delay must respect a hard maximum.
 *
 * ## Example
 * ```ts
 * const p = Backoff.jitter(Backoff.constant({ delay: 1000 }), 0.2); // delays in [800, 1200]
 * ```
 */
export function jitter(policy: BackoffPolicy, ratio: number = DEFAULT_JITTER): JitterPolicy {
  return Object.freeze({ kind: 'jitter' as const, policy: checkPolicy('Backoff.jitter', policy), ratio: checkRatio('Backoff.jitter', ratio) });
}

/**
 * Wraps a policy so no delay exceeds `max` ms.
 *
 * Use to bound combinators (jitter, maxOf) or policies built without a cap.
 *
 * ## Example
 * ```ts
 * Backoff.delays(Backoff.cap(Backoff.linear({ initial: 0, increment: 1000 }), 1500), 3); // [0, 1000, 1500]
 * ```
 */
export function cap(policy: BackoffPolicy, max: number): CapPolicy {
  return Object.freeze({ kind: 'cap' as const, policy: checkPolicy('Backoff.cap', policy), max: checkNonNegative('Backoff.cap', 'max', max) });
}

/**
 * Combines policies: the largest delay wins, and steps are the largest of the inner steps.
 *
 * Use to put a floor under a policy, e.g. exponential but never less than a server's `Retry-After`.
 *
 * ## Example
 * ```ts
 * const p = Backoff.maxOf(Backoff.exponential({ initial: 100 }), Backoff.constant({ delay: 1000 }));
 * Backoff.delays(p, 5); // [1000, 1000, 1000, 1000, 1600]
 * ```
 */
export function maxOf(...policies: BackoffPolicy[]): MaxOfPolicy {
  if (policies.length === 0) {
    throw new InvalidArgumentError('Backoff.maxOf: policies must contain at least one policy (got none)');
  }
  return Object.freeze({ kind: 'maxOf' as const, policies: Object.freeze(policies.map((p) => checkPolicy('Backoff.maxOf', p))) });
}

/**
 * The default policy of loops: exponential from 1 s, doubling, capped at 60 s, quarantine after 5 failures.
 *
 * Use as a starting point; loops use it when no `backoff` option is given.
 *
 * ## Example
 * ```ts
 * Backoff.delays(Backoff.defaultPolicy, 5); // [1000, 2000, 4000, 8000, 16000]
 * ```
 */
export const defaultPolicy: BackoffPolicy = exponential({ initial: 1000, factor: 2, steps: 5, cap: 60_000 });

/**
 * The delay in ms (an integer in [0, {@link maxDelay}]) before retry number `failures`.
 *
 * `failures` is 1-based: after the first failure the delay is the policy's initial delay. Never
 * `Infinity` or `NaN`, even for huge `failures`. `random` (values in [0, 1)) feeds jitter; pass a
 * seeded one (see {@link seededRandom}) for reproducible runs.
 *
 * ## Example
 * ```ts
 * Backoff.delayFor(Backoff.defaultPolicy, 3); // 4000
 * ```
 */
export function delayFor(policy: BackoffPolicy, failures: number, random: () => number = Math.random): number {
  if (!Number.isInteger(failures) || failures < 1) {
    throw new InvalidArgumentError(
      `Backoff.delayFor: failures must be an integer ≥ 1 (1 = after the first failure) (got ${String(failures)})`,
    );
  }
  return Math.round(clamp(rawDelay(policy, failures, random)));
}

/**
 * The number of consecutive failures after which a key is quarantined (dead-letter, G12).
 *
 * Combinators take it from the inner policy; {@link maxOf} takes the largest.
 *
 * ## Example
 * ```ts
 * Backoff.steps(Backoff.jitter(Backoff.constant({ delay: 100, steps: 3 }))); // 3
 * ```
 */
export function steps(policy: BackoffPolicy): number {
  switch (policy.kind) {
    case 'exponential':
    case 'constant':
    case 'linear':
      return policy.steps;
    case 'jitter':
    case 'cap':
      return steps(policy.policy);
    case 'maxOf':
      return Math.max(...policy.policies.map(steps));
  }
}

/**
 * The first `n` delays of a policy, in ms: the policy printed as numbers.
 *
 * Use in docs, logs and tests. Jitter draws from {@link seededRandom}(`seed`), so the result is
 * deterministic for a given seed (default 1).
 *
 * ## Example
 * ```ts
 * Backoff.delays(Backoff.defaultPolicy, 7); // [1000, 2000, 4000, 8000, 16000, 32000, 60000]
 * ```
 */
export function delays(policy: BackoffPolicy, n: number, options?: { readonly seed?: number }): number[] {
  if (!Number.isInteger(n) || n < 0) {
    throw new InvalidArgumentError(`Backoff.delays: n must be an integer ≥ 0 (got ${String(n)})`);
  }
  const random = seededRandom(options?.seed ?? 1);
  const out: number[] = [];
  for (let failures = 1; failures <= n; failures++) out.push(delayFor(policy, failures, random));
  return out;
}

/**
 * A deterministic pseudo-random generator (mulberry32) returning numbers in [0, 1).
 *
 * Use wherever a `random` function is accepted to make jitter reproducible in tests and simulations.
 * Not for cryptography.
 *
 * ## Example
 * ```ts
 * const random = Backoff.seededRandom(42);
 * Backoff.delayFor(Backoff.jitter(Backoff.defaultPolicy), 1, random); // same value on every run
 * ```
 */
export function seededRandom(seed: number): () => number {
  if (!Number.isFinite(seed)) {
    throw new InvalidArgumentError(`Backoff.seededRandom: seed must be a finite number (got ${String(seed)})`);
  }
  let state = Math.trunc(seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * A one-line, human-readable description of a policy.
 *
 * Use in logs, error messages and generated docs.
 *
 * ## Example
 * ```ts
 * Backoff.describe(Backoff.defaultPolicy); // 'exponential 1000ms ×2 (cap 60000ms, 5 steps)'
 * ```
 */
export function describe(policy: BackoffPolicy): string {
  switch (policy.kind) {
    case 'exponential':
      return `exponential ${policy.initial}ms ×${policy.factor} (${capAndSteps(policy.cap, policy.steps)})`;
    case 'constant':
      return `constant ${policy.delay}ms (${stepsText(policy.steps)})`;
    case 'linear':
      return `linear ${policy.initial}ms +${policy.increment}ms (${capAndSteps(policy.cap, policy.steps)})`;
    case 'jitter':
      return `${describe(policy.policy)} with ±${percent(policy.ratio)} jitter`;
    case 'cap':
      return `${describe(policy.policy)} capped at ${policy.max}ms`;
    case 'maxOf':
      return `max of [${policy.policies.map(describe).join('; ')}]`;
  }
}

// ---------------------------------------------------------------------------------------------------

/** Unrounded delay; caps use `Math.floor(cap)` so that rounding afterwards never exceeds the cap. */
function rawDelay(policy: BackoffPolicy, failures: number, random: () => number): number {
  switch (policy.kind) {
    case 'exponential': {
      // factor ≥ 1, so growth is monotone; `initial * Infinity` is clamped, `0 * Infinity` avoided.
      const grown = policy.initial === 0 ? 0 : Math.min(policy.initial * policy.factor ** (failures - 1), maxDelay);
      return withCap(grown, policy.cap);
    }
    case 'constant':
      return policy.delay;
    case 'linear':
      return withCap(Math.min(policy.initial + policy.increment * (failures - 1), maxDelay), policy.cap);
    case 'jitter': {
      // A `random` answering outside [0, 1) (NaN, undefined) jitters nothing rather than poisoning the delay.
      const r = random();
      const u = typeof r === 'number' && r >= 0 && r < 1 ? 2 * r - 1 : 0;
      return clamp(rawDelay(policy.policy, failures, random)) * (1 + policy.ratio * u);
    }
    case 'cap':
      return withCap(rawDelay(policy.policy, failures, random), policy.max);
    case 'maxOf': {
      let max = 0;
      for (const inner of policy.policies) max = Math.max(max, rawDelay(inner, failures, random));
      return max;
    }
  }
}

function withCap(delay: number, capMs: number | undefined): number {
  return capMs === undefined ? delay : Math.min(delay, Math.floor(capMs));
}

function clamp(delay: number): number {
  return Number.isNaN(delay) ? maxDelay : Math.min(Math.max(delay, 0), maxDelay);
}

function checkNonNegative(where: string, name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`${where}: ${name} must be a finite number ≥ 0 (ms) (got ${String(value)})`);
  }
  return value;
}

/**
 * Checks a policy built by hand (or read from configuration): the shape of every level, no `NaN` or
 * negative delay, at least one step. Returns it unchanged; throws `InvalidArgumentError` naming the field.
 *
 * ## Example
 * ```ts
 * Backoff.checkPolicy('my loop', { kind: 'constant', delay: 100, steps: 3 }); // ok
 * Backoff.checkPolicy('my loop', { delay: 100 } as never); // InvalidArgumentError
 * ```
 */
export function checkPolicy(where: string, policy: BackoffPolicy): BackoffPolicy {
  const result = backoffPolicySchema.safeParse(policy);
  if (result.success) return policy;
  const issue = result.error.issues[0];
  const path = issue === undefined || issue.path.length === 0 ? 'policy' : `policy.${issue.path.map(String).join('.')}`;
  throw new InvalidArgumentError(
    `${where}: ${path} is not a valid backoff policy (${issue?.message ?? 'wrong shape'}); build it with Backoff.exponential, constant, linear, jitter, cap or maxOf`,
  );
}

function checkRatio(where: string, ratio: number): number {
  if (typeof ratio !== 'number' || !(ratio >= 0 && ratio <= 1)) {
    throw new InvalidArgumentError(`${where}: ratio must be a number in [0, 1] (got ${String(ratio)})`);
  }
  return ratio;
}

function jitterOption(where: string, value: number | boolean | undefined): number | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return DEFAULT_JITTER;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new InvalidArgumentError(`${where}: jitter must be a ratio in [0, 1] or a boolean (got ${String(value)})`);
  }
  return value === 0 ? undefined : value;
}

function capAndSteps(capMs: number | undefined, stepCount: number): string {
  return capMs === undefined ? stepsText(stepCount) : `cap ${capMs}ms, ${stepsText(stepCount)}`;
}

function stepsText(stepCount: number): string {
  return stepCount === 1 ? '1 step' : `${stepCount} steps`;
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 1000) / 10}%`;
}
