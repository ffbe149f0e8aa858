/**
 * Error classes of rx-reconcile.
 *
 * Every error has a stable `code` (match on it, never on the message) and a message that says what to
 * do next. Failure classes (G11) are expressed by class: {@link TransientError}, {@link ConflictError},
 * {@link PermanentError}, {@link DependencyNotReadyError}; anything else counts as transient.
 *
 * @module
 */

/** Stable codes of every error this library throws or records. */
export type ErrorCode =
  | 'RECONCILE_ERROR'
  | 'CONFLICT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'VALIDATION'
  | 'TRANSIENT'
  | 'PERMANENT'
  | 'DEPENDENCY_NOT_READY'
  | 'TIMEOUT'
  | 'STOPPED'
  | 'INVALID_ARGUMENT'
  | 'NON_ERROR_THROWN';

/** Base class of all rx-reconcile errors. */
export class ReconcileError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * A write carried a stale `metadata.version` (compare-and-set lost), or an object changed under the
 * caller. The right answer is to read again and retry; loops do that for you (bounded).
 */
export class ConflictError extends ReconcileError {
  readonly kind: string;
  readonly resourceName: string;
  readonly expectedVersion: string | undefined;
  readonly actualVersion: string | undefined;
  constructor(
    kind: string,
    name: string,
    expectedVersion: string | undefined,
    actualVersion: string | undefined,
    message?: string,
  ) {
    super(
      'CONFLICT',
      message ??
        `${kind} "${name}" was written with version ${String(expectedVersion)} but the stored version is ` +
          `${String(actualVersion)}: read it again, apply your change to the fresh copy, and write again.`,
    );
    this.kind = kind;
    this.resourceName = name;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}

/** The named resource does not exist (or is already gone). */
export class NotFoundError extends ReconcileError {
  readonly kind: string;
  readonly resourceName: string;
  constructor(kind: string, name: string) {
    super('NOT_FOUND', `${kind} "${name}" does not exist: create it first, or treat "absent" as done.`);
    this.kind = kind;
    this.resourceName = name;
  }
}

/** A create named a resource that already exists. */
export class AlreadyExistsError extends ReconcileError {
  readonly kind: string;
  readonly resourceName: string;
  constructor(kind: string, name: string) {
    super('ALREADY_EXISTS', `${kind} "${name}" already exists: use update() to change it, or pick another name.`);
    this.kind = kind;
    this.resourceName = name;
  }
}

/** One failing field of a {@link ValidationError}. */
export interface ValidationIssue {
  /** Dotted path from the resource root, e.g. `spec.replicas` or `spec.ports.1.port`. */
  readonly path: string;
  readonly message: string;
}

/**
 * A spec failed the zod schema registered for its kind. Nothing was stored. The message names every
 * failing field path (e.g. `spec.title`), so the fix is to correct those fields and write again.
 */
export class ValidationError extends ReconcileError {
  readonly kind: string;
  readonly resourceName: string;
  readonly issues: readonly ValidationIssue[];
  constructor(kind: string, name: string, issues: readonly ValidationIssue[]) {
    const list = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    super(
      'VALIDATION',
      `${kind} "${name}" has an invalid spec (${list}); nothing was stored. Fix the named field(s) and write again.`,
    );
    this.kind = kind;
    this.resourceName = name;
    this.issues = issues;
  }
  /** The first failing field path, e.g. `spec.title`. */
  get field(): string {
    return this.issues[0]?.path ?? 'spec';
  }
}

/** A failure expected to pass by itself (network, timeouts, overload): retried with backoff. */
export class TransientError extends ReconcileError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TRANSIENT', message, options);
  }
}

/**
 * A failure that retrying cannot fix (business rule, bad input): no retry until the desired state
 * changes. Recorded on status and logged at error level.
 */
export class PermanentError extends ReconcileError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PERMANENT', message, options);
  }
}

/**
 * Something this key depends on is not ready yet. The key waits `retryAfterMs` (default: the loop's
 * dependency interval) without counting a failure and without growing its backoff.
 */
export class DependencyNotReadyError extends ReconcileError {
  readonly dependency: string;
  readonly retryAfterMs: number | undefined;
  constructor(dependency: string, options?: { retryAfterMs?: number; message?: string; cause?: unknown }) {
    super(
      'DEPENDENCY_NOT_READY',
      options?.message ?? `waiting for ${dependency} to become ready; the key will be tried again without a penalty`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.dependency = dependency;
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** A pass ran longer than its timeout and was aborted through its `AbortSignal`. Counts as transient. */
export class TimeoutError extends ReconcileError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number, what = 'reconcile pass') {
    super(
      'TIMEOUT',
      `${what} exceeded its ${timeoutMs} ms timeout and was aborted; make the work honour the AbortSignal, ` +
        `split it, or raise the timeout.`,
    );
    this.timeoutMs = timeoutMs;
  }
}

/** The loop was stopped; the pass was aborted at the stop deadline. */
export class StoppedError extends ReconcileError {
  constructor(message = 'the loop was stopped while this pass was running; it will run again on the next start') {
    super('STOPPED', message);
  }
}

/** A caller passed an option or argument this library cannot use. */
export class InvalidArgumentError extends ReconcileError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/**
 * Something that is not an `Error` was thrown (a string, a number, `undefined`…). It is wrapped so
 * that logs and status always have a message and a code; the original value is kept in `thrown`.
 */
export class NonErrorThrownError extends ReconcileError {
  readonly thrown: unknown;
  constructor(thrown: unknown) {
    super(
      'NON_ERROR_THROWN',
      `a non-Error value was thrown (${describeThrown(thrown)}); throw an Error subclass so it carries a stack and a class`,
    );
    this.thrown = thrown;
  }
}

function describeThrown(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  try {
    const json = JSON.stringify(value);
    return json.length > 200 ? `${json.slice(0, 200)}…` : json;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Turns anything thrown into an `Error`, wrapping non-Errors in {@link NonErrorThrownError}. */
export function toError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new NonErrorThrownError(thrown);
}
