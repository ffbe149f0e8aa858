/**
 * Outcomes: what one reconcile pass ends in, as a value.
 *
 * A pass never throws at the loop: it returns (or is turned into) an `Outcome`, and the work queue
 * acts on it — forget the key, come back later, back off, park it, or wait for a dependency.
 *
 * @module
 */
import {
  AlreadyExistsError,
  ConflictError,
  DependencyNotReadyError,
  InvalidArgumentError,
  MalformedResourceError,
  NotFoundError,
  PermanentError,
  ResourceTooLargeError,
  ValidationError,
  isError,
  toError,
} from './errors.js';

/** The key is in sync. Its failure count resets and it is forgotten until the next trigger. */
export interface Converged {
  readonly type: 'converged';
}
/** In sync for now, but look again after `ms` (polling an external world). Resets failures. */
export interface RequeueAfter {
  readonly type: 'requeueAfter';
  readonly ms: number;
}
/**
 * Failed; try again with the key's backoff (or at once, bounded, for a conflict) — or, with `after`,
 * after that fixed delay (`Outcome.retryAfter`). Either way the failure is counted, logged and shown
 * on status, and quarantine follows after the backoff policy's `steps`.
 */
export interface Retry {
  readonly type: 'retry';
  readonly error: Error;
  /** A fixed delay in ms instead of the backoff (Halo's `Result(true, Duration)` on an error path). */
  readonly after?: number;
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

/**
 * Every outcome built here. `Outcome.from` passes these on as they are and copies any other
 * well-formed one field by field: an object built elsewhere may have getters that answer differently
 * on a later read (a `NaN` delay in the shared timer heap), so the queue never reads it twice.
 */
const BUILT = new WeakSet<object>();

function built<T extends Outcome>(outcome: T): T {
  BUILT.add(Object.freeze(outcome));
  return outcome;
}

const CONVERGED: Converged = built({ type: 'converged' });

function assertMs(ms: number, what: string): void {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`${what} takes a finite number of milliseconds ≥ 0, got ${String(ms)}`);
  }
}

/**
 * Builds the outcomes: what one pass ends in, as a value. Every constructor returns a frozen value.
 *
 * Return one from a pass (`reconcile`, a `workQueue` work function, `verify`'s `inSync`); returning
 * nothing is `converged`. A bad delay is refused where the outcome is built.
 *
 * ## Example
 * ```ts
 * import { DependencyNotReadyError, Outcome, PermanentError, createMemoryStore, defineLoop } from 'rx-reconcile';
 *
 * defineLoop<{ url: string }>({
 *   name: 'probe', store: createMemoryStore(), kind: 'Probe',
 *   async reconcile(_request, ctx) {
 *     const probe = await ctx.get();
 *     if (!probe) return Outcome.converged();                                   // gone: nothing to do
 *     if (!probe.spec.url.startsWith('http')) return Outcome.terminal(new PermanentError('spec.url: not http(s)')); // no retry until the spec changes
 *     const response = await fetch(probe.spec.url, { signal: ctx.signal }).catch(() => undefined);
 *     if (response === undefined) return Outcome.retry(new DependencyNotReadyError('network'));   // backoff, classified
 *     return response.ok ? Outcome.requeueAfter(60_000) : Outcome.retryAfter(new Error(`HTTP ${response.status}`), 30_000);
 *   },
 * });
 * ```
 */
export const Outcome = {
  /** The key is in sync. */
  converged(): Converged {
    return CONVERGED;
  },
  /** In sync for now; look again after `ms` milliseconds. */
  requeueAfter(ms: number): RequeueAfter {
    assertMs(ms, 'Outcome.requeueAfter');
    return built({ type: 'requeueAfter', ms });
  },
  /** Failed; retry with backoff. Non-Error values are wrapped (`NonErrorThrownError`). */
  retry(error: unknown): Retry {
    return built({ type: 'retry', error: toError(error) });
  },
  /**
   * Failed, retry after a fixed `ms` instead of the backoff: Halo's `new Result(true, Duration)` on an
   * error path (`onErrorResume(e -> new Result(true, Duration.ofSeconds(30)))` is
   * `Outcome.retryAfter(e, 30_000)`). Unlike `requeueAfter`, it is a failure: counted, logged,
   * `Degraded`/`Retrying` on status, quarantined after the backoff's `steps` in a row.
   */
  retryAfter(error: unknown, ms: number): Retry {
    assertMs(ms, 'Outcome.retryAfter');
    return built({ type: 'retry', error: toError(error), after: ms });
  },
  /** Failed permanently; no retry until the desired state changes. */
  terminal(error: unknown): Terminal {
    return built({ type: 'terminal', error: toError(error) });
  },
  /** Waiting for `dependency`; look again after `ms` without counting a failure. */
  waiting(dependency: string, ms: number): Waiting {
    assertMs(ms, 'Outcome.waiting');
    return built({ type: 'waiting', dependency, ms });
  },
  /**
   * What a pass's return value means: nothing (`undefined`/`null`) is `converged`, a valid `Outcome`
   * is itself (a `retry`/`terminal` built by hand with a non-Error `error` gets it wrapped), anything
   * else — including an outcome with a `NaN`, negative or missing delay — is a `retry` with an
   * `InvalidArgumentError` saying what to return instead. Never throws, whatever the value.
   */
  from(value: unknown): Outcome {
    if (value === undefined || value === null || value === CONVERGED) return CONVERGED;
    if (typeof value === 'object' && BUILT.has(value)) return value as Outcome;
    if (Outcome.is(value)) return copyOf(value);
    const type = typeOf(value);
    if ((type === 'retry' || type === 'terminal') && typeof value === 'object') {
      const error = readField(value, 'error');
      const after = readField(value, 'after');
      if (type === 'retry' && after !== undefined && !isMs(after)) {
        return Outcome.retry(
          new InvalidArgumentError(`a reconcile pass returned Outcome.retryAfter with an ms of ${showValue(after)}, not a finite number of ms ≥ 0`, ),
        );
      }
      return type === 'terminal' ? Outcome.terminal(error) : after === undefined ? Outcome.retry(error) : Outcome.retryAfter(error, after as number);
    }
    const why =
      type === 'requeueAfter' || type === 'waiting'
        ? `an Outcome.${type} whose ms is ${showValue(readField(value, 'ms'))}, not a finite number of ms ≥ 0` +
          (type === 'waiting' && typeof readField(value, 'dependency') !== 'string' ? ' (and whose dependency is not a string)' : '')
        : showValue(value);
    return Outcome.retry(
      new InvalidArgumentError(
        `a reconcile pass returned ${why}; return an Outcome built with Outcome.converged(), Outcome.requeueAfter(ms), ` +
          'Outcome.retry(error), Outcome.terminal(error) or Outcome.waiting(dependency, ms), or nothing',
      ),
    );
  },
  /**
   * True for a well-formed outcome: a known `type`, a finite `ms ≥ 0` where there is one, an `Error`
   * where there is one, a string dependency. Values built by these constructors always are.
   */
  is(value: unknown): value is Outcome {
    if (typeof value !== 'object' || value === null) return false;
    switch (typeOf(value)) {
      case 'converged':
        return true;
      case 'requeueAfter':
        return isMs(readField(value, 'ms'));
      case 'retry': {
        const after = readField(value, 'after');
        return isError(readField(value, 'error')) && (after === undefined || isMs(after));
      }
      case 'terminal':
        return isError(readField(value, 'error'));
      case 'waiting':
        return isMs(readField(value, 'ms')) && typeof readField(value, 'dependency') === 'string';
      default:
        return false;
    }
  },
} as const;

/**
 * A well-formed outcome built elsewhere (a hand-made object, another copy of this library), read
 * once field by field into one of ours; a field that reads differently now than when it was checked
 * makes it a `retry` saying so.
 */
function copyOf(value: Outcome): Outcome {
  const type = typeOf(value);
  const ms = readField(value, 'ms');
  const error = readField(value, 'error');
  const after = readField(value, 'after');
  const dependency = readField(value, 'dependency');
  const anError = isError(error);
  if (type === 'converged') return CONVERGED;
  if (type === 'requeueAfter' && isMs(ms)) return Outcome.requeueAfter(ms as number);
  if (type === 'waiting' && isMs(ms) && typeof dependency === 'string') return Outcome.waiting(dependency, ms as number);
  if (type === 'terminal' && anError) return Outcome.terminal(error);
  if (type === 'retry' && anError && after === undefined) return Outcome.retry(error);
  if (type === 'retry' && anError && isMs(after)) return Outcome.retryAfter(error, after as number);
  return Outcome.retry(new InvalidArgumentError(`a reconcile pass returned an outcome whose fields changed while it was read (now ${showValue(value)}); return a plain Outcome`));
}

function isMs(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** Reads a field of an untrusted value; a throwing getter reads as `undefined`. */
function readField(value: object, field: string): unknown {
  try {
    return (value as Record<string, unknown>)[field];
  } catch {
    return undefined;
  }
}

function typeOf(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? readField(value, 'type') : undefined;
}

function showValue(value: unknown): string {
  try {
    if (typeof value === 'object' && value !== null) return String(JSON.stringify(value)).slice(0, 100);
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * The default failure classes: `ConflictError`, `AlreadyExistsError` and `NotFoundError` → conflict;
 * `PermanentError`, `ValidationError`, `ResourceTooLargeError` and `MalformedResourceError` (the same
 * write or read fails the same way until the data changes) → permanent; `DependencyNotReadyError` →
 * dependency; everything else (including `TimeoutError`, `TransientError`, `InvalidArgumentError` — a
 * call the code got wrong, fixed by a deploy, not by the data —, unknown errors and non-Error throws)
 * → transient.
 */
export function defaultClassify(error: Error): FailureClass {
  // A create that finds the resource there, a delete that finds it gone: the world moved on; read
  // again and decide again at once (a repeat is a no-op, never a failure that backs off).
  if (error instanceof ConflictError || error instanceof AlreadyExistsError || error instanceof NotFoundError) return 'conflict';
  // Writing the same oversized document or reading the same broken record again fails the same way:
  // park the key until its desired state changes (or a release), with the error on its status.
  if (error instanceof PermanentError || error instanceof ValidationError || error instanceof ResourceTooLargeError || error instanceof MalformedResourceError)
    return 'permanent';
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
 *
 * ## Example
 * ```ts
 * import { ConflictError, PermanentError, classifyError } from 'rx-reconcile';
 *
 * classifyError(new ConflictError('Todo', 'milk', '3', '4'));         // 'conflict'
 * classifyError(new Error('ECONNRESET'));                              // 'transient'
 * const quota = (e: Error) => (e.message.includes('quota') ? 'permanent' : undefined);
 * classifyError(new Error('quota exceeded'), quota);                   // 'permanent'
 * classifyError(new PermanentError('bad'), () => { throw new Error('bug'); }); // 'permanent' (the default decides)
 * ```
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
