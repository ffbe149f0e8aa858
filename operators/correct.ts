import { concat, defer, ignoreElements, mergeMap, of } from 'rxjs';
import type { OperatorFunction } from 'rxjs';
import type { Correction, Key, MaybeAsync, Plan } from '../src/index.js';
import { toObservable } from './read.js';

/** Output of `correct`: the plan and the corrections that were applied, in order. */
export interface Applied<D = unknown, C = unknown, T = unknown> {
  readonly key: Key;
  readonly plan: Plan<D, C, T>;
  readonly applied: readonly Correction<T>[];
}

/** Applies one correction to the world. Must be idempotent for its `idempotencyKey`. */
export type ApplyFn<D, C, T> = (correction: Correction<T>, plan: Plan<D, C, T>) => MaybeAsync<unknown>;

/** Options of {@link correct}. */
export interface CorrectOptions<D, C, T> {
  /** Called after each correction succeeded (logs, metrics). */
  readonly onApplied?: (correction: Correction<T>, plan: Plan<D, C, T>) => void;
}

/**
 * Applies each correction of a plan, one after the other, and emits what was applied.
 *
 * The third step of a pass. `apply` gets each correction with its idempotency key: an actuator that
 * remembers the keys it has done can drop a duplicate after a lost acknowledgement. An empty plan
 * applies nothing. A correction that throws, rejects or errors stops the plan there and errors this
 * pass's stream — inside `workQueue` that becomes `Outcome.retry(error)`, never the end of the loop.
 *
 * ## Example
 * ```ts
 * import { mkdir, rm, writeFile } from 'node:fs/promises';
 * import { correct } from 'rx-reconcile/operators';
 *
 * // Each correction of a plan of files (target: file name, value: its text), applied in order.
 * correct<unknown, unknown, string>(async (c) => {
 *   if (c.action === 'delete') await rm(`site/${c.target}`, { force: true });
 *   else await mkdir('site', { recursive: true }).then(() => writeFile(`site/${c.target}`, c.value ?? ''));
 * });
 * ```
 *
 * @see {@link compare} the step before, {@link verify} the step after.
 */
export function correct<D, C, T>(apply: ApplyFn<D, C, T>, options: CorrectOptions<D, C, T> = {}): OperatorFunction<Plan<D, C, T>, Applied<D, C, T>> {
  return mergeMap((plan) => {
    const result: Applied<D, C, T> = { key: plan.key, plan, applied: plan.corrections };
    if (plan.corrections.length === 0) return of(result);
    const steps = plan.corrections.map((correction) =>
      defer(() => {
        const done$ = toObservable(apply(correction, plan));
        return concat(
          done$.pipe(ignoreElements()),
          defer(() => {
            options.onApplied?.(correction, plan);
            return [];
          }),
        );
      }),
    );
    return concat(...steps, of(result));
  });
}
