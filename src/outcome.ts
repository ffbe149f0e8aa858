/**
 * Outcomes: what one reconcile pass ends in, as a value.
 *
 * A pass never throws at the loop: it returns (or is turned into) an `Outcome`, and the work queue
 * acts on it — forget the key, come back later, back off, park it, or wait for a dependency.
 *
 * @module
 */
import { ConflictError, DependencyNotReadyError, InvalidArgumentError, PermanentError, ValidationError, toError } from './errors.js';

/** The key is in sync. Its failure count resets and it is forgotten until the next trigger. */
export interface Converged {
  readonly type: 'converged';
}
/** In sync for now, but look again after `ms` (polling an external world). Resets failures. */
export interface RequeueAfter {
  readonly type: 'requeueAfter';
  readonly ms: number;
}
/** Failed; try again with the key's backoff (or at once, bounded, for a conflict). */
export interface Retry {
  readonly type: 'retry';
  readonly error: Error;
}
/** Failed for good: no retry until the desired state changes or someone releases the key. */
export interface Terminal {
  readonly type: 'terminal';
  readonly error: Error;
}
/** A dependency is not ready: look again after `ms`, without counting a failure. */
export interface Waiting {
  readonly type: 'waiting';
  readonly dependency: string;
  readonly ms: number;
}

/** What one pass ends in. */
export type Outcome = Converged | RequeueAfter | Retry | Terminal | Waiting;

/** The failure classes of G11. Unknown errors and non-Error throws are `transient`. */
export type FailureClass = 'transient' | 'conflict' | 'permanent' | 'dependency';

/**
 * Maps an error to its failure class; pass your own to a loop's `classify` option to override.
 * Return `undefined` to leave an error to the default mapping ({@link defaultClassify}).
 */
export type Classifier = (error: Error) => FailureClass | undefined;

const CONVERGED: Converged = Object.freeze({ type: 'converged' });

function assertMs(ms: number, what: string): void {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`${what} takes a finite number of milliseconds ≥ 0, got ${String(ms)}`);
  }
}

/** Builds the outcomes. Every constructor returns a frozen value. */
export const Outcome = {
  /** The key is in sync. */
  converged(): Converged {
    return CONVERGED;
  },
  /** In sync for now; look again after `ms` milliseconds. */
  requeueAfter(ms: number): RequeueAfter {
    assertMs(ms, 'Outcome.requeueAfter');
    return Object.freeze({ type: 'requeueAfter', ms });
  },
  /** Failed; retry with backoff. Non-Error values are wrapped (`NonErrorThrownError`). */
  retry(error: unknown): Retry {
    return Object.freeze({ type: 'retry', error: toError(error) });
  },
  /** Failed permanently; no retry until the desired state changes. */
  terminal(error: unknown): Terminal {
    return Object.freeze({ type: 'terminal', error: toError(error) });
  },
  /** Waiting for `dependency`; look again after `ms` without counting a failure. */
  waiting(dependency: string, ms: number): Waiting {
    assertMs(ms, 'Outcome.waiting');
    return Object.freeze({ type: 'waiting', dependency, ms });
  },
  /**
   * What a pass's return value means: nothing (`undefined`/`null`) is `converged`, an `Outcome` is
   * itself, anything else is a `retry` with an `InvalidArgumentError` saying what to return instead.
   */
  from(value: unknown): Outcome {
    if (value === undefined || value === null) return CONVERGED;
    if (Outcome.is(value)) return value;
    let shown: string;
    try {
      shown = typeof value === 'object' ? String(JSON.stringify(value)).slice(0, 100) : String(value);
    } catch {
      shown = Object.prototype.toString.call(value);
    }
    return Outcome.retry(
      new InvalidArgumentError(
        `a reconcile pass returned ${shown}; return an Outcome (Outcome.converged(), Outcome.requeueAfter(ms), …) or nothing`,
      ),
    );
  },
  /** True for any value built by these constructors. */
  is(value: unknown): value is Outcome {
    if (typeof value !== 'object' || value === null) return false;
    const type = (value as { type?: unknown }).type;
    return (
      type === 'converged' || type === 'requeueAfter' || type === 'retry' || type === 'terminal' || type === 'waiting'
    );
  },
} as const;

/**
 * The default failure classes: `ConflictError` → conflict, `PermanentError` and `ValidationError` →
 * permanent, `DependencyNotReadyError` → dependency, everything else (including `TimeoutError`,
 * `TransientError`, unknown errors and non-Error throws) → transient.
 */
export function defaultClassify(error: Error): FailureClass {
  if (error instanceof ConflictError) return 'conflict';
  if (error instanceof PermanentError || error instanceof ValidationError) return 'permanent';
  if (error instanceof DependencyNotReadyError) return 'dependency';
  // TimeoutError, TransientError, NonErrorThrownError and every unknown error.
  return 'transient';
}

/**
 * Classifies with the user's classifier first, falling back to {@link defaultClassify}.
 *
 * The user's classifier wins when it returns one of the four classes. When it returns `undefined`
 * (no opinion), anything that is not a class, or throws, the default mapping decides: a buggy
 * classifier never stops a loop.
 */
export function classifyError(error: Error, classify?: Classifier): FailureClass {
  if (classify !== undefined) {
    let cls: unknown;
    try {
      cls = classify(error);
    } catch {
      cls = undefined;
    }
    if (cls === 'transient' || cls === 'conflict' || cls === 'permanent' || cls === 'dependency') return cls;
  }
  return defaultClassify(error);
}
