import { map } from 'rxjs';
import type { OperatorFunction } from 'rxjs';
import { idempotencyKeyOf } from '../src/index.js';
import type { Correction, Key, Observation, Plan } from '../src/index.js';

/** A correction as a compare function may write it; a missing idempotency key is derived. */
export type CorrectionInput<T = unknown> = Omit<Correction<T>, 'idempotencyKey'> & { readonly idempotencyKey?: string };

/** A pure function from desired and current state to the corrections that reconcile them. */
export type CompareFn<D, C, T> = (desired: D, current: C, key: Key) => readonly CorrectionInput<T>[];

/** Fills in missing idempotency keys (`key:action:target:hash(value)`), so every correction has one. */
export function completeCorrections<T>(key: Key, corrections: readonly CorrectionInput<T>[]): Correction<T>[] {
  return corrections.map((c) =>
    c.idempotencyKey !== undefined ? (c as Correction<T>) : { ...c, idempotencyKey: idempotencyKeyOf(key, c.action, c.target, c.value) },
  );
}

/**
 * Turns each observation into a `Plan`: the corrections that move current toward desired.
 *
 * The second step of a pass. `fn` must be pure (same inputs, same plan) and return an empty list
 * when the key is in sync. Every correction gets an idempotency key: the one `fn` gives, or one
 * derived from the key, action, target and a stable hash of the value. For the common case of
 * "desired items vs current items", return `setDiff(desired, current)` (from `rx-reconcile`).
 *
 * ## Example
 * ```ts
 * import { setDiff } from 'rx-reconcile';
 * import { compare } from 'rx-reconcile/operators';
 *
 * compare((desired: Record<string, string>, current: Record<string, string>) => setDiff(desired, current));
 * ```
 *
 * @see {@link observe} the step before, {@link correct} the step after.
 */
export function compare<D, C, T = unknown>(fn: CompareFn<D, C, T>): OperatorFunction<Observation<D, C>, Plan<D, C, T>> {
  return map((observation) => ({
    key: observation.key,
    observation,
    corrections: completeCorrections(observation.key, fn(observation.desired, observation.current, observation.key)),
  }));
}
