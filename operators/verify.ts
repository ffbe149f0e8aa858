import { map, mergeMap, of } from 'rxjs';
import type { OperatorFunction } from 'rxjs';
import { Outcome, TransientError } from '../src/index.js';
import type { Plan } from '../src/index.js';
import { compare } from './compare.js';
import type { CompareFn } from './compare.js';
import type { Applied } from './correct.js';
import { observe } from './observe.js';
import type { ObserveOptions } from './observe.js';

/** Options of {@link verify}: how to observe and compare again, and what to decide. */
export interface VerifyOptions<D, C, T> extends ObserveOptions<D, C> {
  /** The same pure compare as the pass used. */
  readonly compare: CompareFn<D | undefined, C | undefined, T>;
  /** Outcome when nothing is left to correct. Default `Outcome.converged()`. */
  readonly inSync?: () => Outcome;
  /**
   * Outcome when corrections remain (the world has not caught up, or a correction did not take).
   * Default: `Outcome.retry(TransientError)` naming how many remain — retried with backoff.
   */
  readonly notConverged?: (plan: Plan<D | undefined, C | undefined, T>) => Outcome;
}

/**
 * Observes the key again after `correct` and decides the pass's `Outcome`.
 *
 * The last step of a pass: it re-reads desired and current state, runs the same compare, and returns
 * `converged` (or `inSync()`) when nothing is left to do, or `notConverged(plan)` otherwise. A plan
 * that applied nothing is in sync without a second read.
 *
 * ## Example
 * ```ts
 * import { Outcome, createMemoryStore, setDiff } from 'rx-reconcile';
 * import type { Resource } from 'rx-reconcile';
 * import { verify } from 'rx-reconcile/operators';
 *
 * const store = createMemoryStore();
 * const published = new Map<string, string>();
 * const readDesired = (key: string) => store.get<{ html: string }>('Page', key);
 * const readCurrent = (key: string) => published.get(key);
 * const plan = (desired: Resource<{ html: string }> | undefined, current: string | undefined) =>
 *   setDiff(desired ? { page: desired.spec.html } : {}, current === undefined ? {} : { page: current });
 * verify({ desired: readDesired, current: readCurrent, compare: plan, inSync: () => Outcome.requeueAfter(60_000) });
 * ```
 *
 * @see {@link correct} the step before; {@link workQueue} consumes the outcome.
 */
export function verify<D, C, T>(options: VerifyOptions<D, C, T>): OperatorFunction<Applied<D | undefined, C | undefined, T>, Outcome> {
  const inSync = options.inSync ?? Outcome.converged;
  const notConverged =
    options.notConverged ??
    ((plan: Plan<D | undefined, C | undefined, T>) =>
      Outcome.retry(
        new TransientError(
          `${plan.key}: ${plan.corrections.length} correction(s) still planned after correct (first: ` +
            `${plan.corrections[0]?.action ?? ''} ${plan.corrections[0]?.target ?? ''}); the world has not caught up yet`,
        ),
      ));
  return mergeMap((applied) => {
    if (applied.applied.length === 0) return of(inSync());
    return of(applied.key).pipe(
      observe(options),
      compare(options.compare),
      map((plan) => (plan.corrections.length === 0 ? inSync() : notConverged(plan))),
    );
  });
}
