/**
 * The failure model: what a pass's outcome means for its key, as a pure function of the outcome,
 * the key's failure history and the loop's policy (G6, G11, G12). The work queue applies it; tests
 * check it as a table (`test/failure-model/decide.test.ts` mirrors the README's failure table).
 *
 * | class        | what happens next                                                                 |
 * |--------------|-----------------------------------------------------------------------------------|
 * | (success)    | `converged` forgets the key, `requeueAfter(ms)` looks again; both reset the counts |
 * | `transient`  | one more failure; back off (`delayFor(backoff, failures)`), or quarantine after `steps` |
 * | `conflict`   | retry at once, `conflictRetries` times in a row; then like `transient`             |
 * | `permanent`  | one more failure; park the key (`terminal`) until a desired change or a release    |
 * | `dependency` | wait a fixed interval; no failure counted, no backoff growth                       |
 *
 * @module
 */
import { DependencyNotReadyError } from './errors.js';
import { Outcome, classifyError } from './outcome.js';
import type { Classifier, FailureClass } from './outcome.js';
import type { ParkReason } from './queue-types.js';

/** What the key does after the pass: forget it, run it again after `delay`, back off, or wait. */
export type Hold = 'none' | 'requeue' | 'backoff' | 'waiting';

/** The policy the failure model applies. */
export interface FailurePolicy {
  /** Retries before quarantine: the backoff policy's `steps`. */
  readonly steps: number;
  /** Conflicts retried at once, in a row, before conflicts back off like transient failures. */
  readonly conflictRetries: number;
  /** Wait after a dependency failure that carries no valid delay of its own. */
  readonly dependencyInterval: number;
  /** The user's classifier, consulted first (see `classifyError`). */
  readonly classify?: Classifier | undefined;
}

/** What the model decides for one outcome. */
export interface Decision {
  /** The outcome acted on: a `dependency` failure becomes `waiting`, a `permanent` one `terminal`. */
  readonly outcome: Outcome;
  /** Set for failures and dependency waits. */
  readonly failureClass: FailureClass | undefined;
  /** Consecutive failures of the key after the pass. */
  readonly failures: number;
  /** Conflicts retried at once in the current failure episode. */
  readonly conflicts: number;
  /** Set when the key is parked (no automatic passes). */
  readonly parked: ParkReason | undefined;
  /** What happens next, when the key is not parked. */
  readonly hold: Hold;
  /** For `requeue` and `waiting`: ms until the next pass (0 = at once). `backoff` delays are drawn by the queue. */
  readonly delay: number;
  /** For `backoff`: the fixed delay of `Outcome.retryAfter`, used instead of the policy's. */
  readonly after: number | undefined;
}

/** A decision the queue fills in place (one scratch object per queue: no allocation per pass). */
export type MutableDecision = { -readonly [K in keyof Decision]: Decision[K] };

/** A fresh decision to fill with {@link decideInto}. */
export function newDecision(): MutableDecision {
  return { outcome: Outcome.converged(), failureClass: undefined, failures: 0, conflicts: 0, parked: undefined, hold: 'none', delay: 0, after: undefined };
}

/**
 * Decides what `outcome` means for a key with `failures` consecutive failures and `conflicts` conflict
 * retries so far. Pure; never throws (a classifier that throws falls back to the default classes).
 *
 * ## Example
 * ```ts
 * import { Outcome, decide } from 'rx-reconcile';
 *
 * decide(Outcome.retry(new Error('down')), { failures: 0, conflicts: 0 }, { steps: 5, conflictRetries: 3, dependencyInterval: 5000 });
 * // { outcome: retry, failureClass: 'transient', failures: 1, hold: 'backoff', … }
 * ```
 */
export function decide(outcome: Outcome, history: { readonly failures: number; readonly conflicts: number }, policy: FailurePolicy): Decision {
  const decision = newDecision();
  decideInto(decision, outcome, history.failures, history.conflicts, policy);
  return Object.freeze(decision);
}

/** {@link decide}, writing into `d` (the queue's allocation-free form). */
export function decideInto(d: MutableDecision, outcome: Outcome, failures: number, conflicts: number, policy: FailurePolicy): void {
  let effective = outcome;
  let failureClass: FailureClass | undefined;
  if (outcome.type === 'retry') {
    failureClass = classifyError(outcome.error, policy.classify);
    if (failureClass === 'dependency') effective = waitingFor(outcome.error, policy.dependencyInterval);
    else if (failureClass === 'permanent') effective = Outcome.terminal(outcome.error);
  } else if (outcome.type === 'terminal') failureClass = 'permanent';
  else if (outcome.type === 'waiting') failureClass = 'dependency';
  d.outcome = effective;
  d.failureClass = failureClass;
  d.failures = failures;
  d.conflicts = conflicts;
  d.parked = undefined;
  d.hold = 'none';
  d.delay = 0;
  d.after = undefined;
  switch (effective.type) {
    case 'converged':
      d.failures = d.conflicts = 0;
      break;
    case 'requeueAfter':
      d.failures = d.conflicts = 0;
      d.hold = 'requeue';
      d.delay = effective.ms;
      break;
    case 'waiting':
      // Not a failure: counts stay as they are, the interval is fixed.
      d.hold = 'waiting';
      d.delay = effective.ms;
      break;
    case 'retry':
      if (failureClass === 'conflict' && conflicts < policy.conflictRetries) {
        // Observe again at once; bounded per failure episode (reset by a success only).
        d.conflicts = conflicts + 1;
        d.hold = 'requeue';
        break;
      }
      d.failures = failures + 1;
      if (d.failures > policy.steps) d.parked = 'quarantined';
      else {
        d.hold = 'backoff';
        // Outcome.retryAfter: a failure like any other, retried after its own fixed delay.
        if (effective.after !== undefined) d.after = effective.after;
      }
      break;
    case 'terminal':
      d.failures = failures + 1;
      d.parked = 'terminal';
      break;
  }
}

/** The wait a dependency failure asks for; a missing, `NaN` or negative delay means the loop's interval. */
function waitingFor(error: Error, interval: number): Outcome {
  if (error instanceof DependencyNotReadyError) {
    const ms = error.retryAfterMs;
    const delay = typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : interval;
    return Outcome.waiting(typeof error.dependency === 'string' ? error.dependency : String(error.dependency), delay);
  }
  return Outcome.waiting(error.message, interval);
}
