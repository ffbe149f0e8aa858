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
  | 'NON_ERROR_THROWN'
  | 'COMPACTED'
  | 'TOO_LARGE'
  | 'FENCED'
  | 'CLOSED'
  | 'MALFORMED';

/**
 * Base class of all rx-reconcile errors.
 *
 * ## Example
 * ```ts
 * import { ReconcileError } from 'rx-reconcile';
 * declare const error: unknown;
 *
 * if (error instanceof ReconcileError) console.log(error.code); // e.g. 'CONFLICT'
 * ```
 */
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
 *
 * ## Example
 * ```ts
 * import { ConflictError } from 'rx-reconcile';
 * import type { Resource, Store } from 'rx-reconcile';
 * declare const store: Store;
 * declare const todo: Resource<{ title: string }>;
 *
 * try {
 *   await store.update(todo);
 * } catch (error) {
 *   if (error instanceof ConflictError) console.log('someone wrote first: read again and retry');
 * }
 * ```
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

/**
 * The named resource does not exist (or is already gone).
 *
 * ## Example
 * ```ts
 * import { NotFoundError } from 'rx-reconcile';
 * import type { Store } from 'rx-reconcile';
 * declare const store: Store;
 *
 * const gone = await store.delete('Todo', 'buy-milk').catch((error: unknown) => error instanceof NotFoundError);
 * ```
 */
export class NotFoundError extends ReconcileError {
  readonly kind: string;
  readonly resourceName: string;
  constructor(kind: string, name: string) {
    super('NOT_FOUND', `${kind} "${name}" does not exist: create it first, or treat "absent" as done.`);
    this.kind = kind;
    this.resourceName = name;
  }
}

/**
 * A create named a resource that already exists.
 *
 * ## Example
 * ```ts
 * import { AlreadyExistsError } from 'rx-reconcile';
 * import type { Store } from 'rx-reconcile';
 * declare const store: Store;
 *
 * const exists = await store.create('Todo', { metadata: { name: 'a' }, spec: {} }).then(
 *   () => false,
 *   (error: unknown) => error instanceof AlreadyExistsError,
 * );
 * ```
 */
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
 * A resource failed validation: its spec the zod schema registered for its kind, or its metadata the
 * shape every store requires (labels and annotations map strings to strings, finalizers are strings,
 * owner references name a kind and a name). Nothing was stored. The message names every failing
 * field path (e.g. `spec.title`, `metadata.labels.team`), so the fix is to correct those fields and
 * write again.
 *
 * ## Example
 * ```ts
 * import { ValidationError } from 'rx-reconcile';
 * import type { Store } from 'rx-reconcile';
 * declare const store: Store;
 *
 * try {
 *   await store.create('Todo', { metadata: { name: 'a', labels: { team: 5 as unknown as string } }, spec: {} });
 * } catch (error) {
 *   if (error instanceof ValidationError) console.log(error.message); // names metadata.labels.team
 * }
 * ```
 */
export class ValidationError extends ReconcileError {
  readonly kind: string;
  readonly resourceName: string;
  readonly issues: readonly ValidationIssue[];
  constructor(kind: string, name: string, issues: readonly ValidationIssue[]) {
    const list = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    const what = issues.length > 0 && issues.every((i) => i.path === 'spec' || i.path.startsWith('spec.')) ? 'an invalid spec' : 'invalid fields';
    super(
      'VALIDATION',
      `${kind} "${name}" has ${what} (${list}); nothing was stored. Fix the named field(s) and write again.`,
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

/**
 * A failure expected to pass by itself (network, timeouts, overload): retried with backoff.
 *
 * ## Example
 * ```ts
 * import { TransientError } from 'rx-reconcile';
 *
 * const reconcile = async () => {
 *   throw new TransientError('the mail server did not answer'); // retried with backoff
 * };
 * ```
 */
export class TransientError extends ReconcileError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TRANSIENT', message, options);
  }
}

/**
 * A failure that retrying cannot fix (business rule, bad input): no retry until the desired state
 * changes. Recorded on status and logged at error level.
 *
 * ## Example
 * ```ts
 * import { PermanentError } from 'rx-reconcile';
 *
 * const reconcile = async () => {
 *   throw new PermanentError('the plan "gold" does not exist'); // parked until the spec changes
 * };
 * ```
 */
export class PermanentError extends ReconcileError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PERMANENT', message, options);
  }
}

/**
 * Something this key depends on is not ready yet. The key waits `retryAfterMs` (default: the loop's
 * dependency interval) without counting a failure and without growing its backoff.
 *
 * ## Example
 * ```ts
 * import { DependencyNotReadyError } from 'rx-reconcile';
 *
 * const reconcile = async () => {
 *   throw new DependencyNotReadyError('database', { retryAfterMs: 5_000 }); // waits, no failure counted
 * };
 * ```
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

/**
 * A pass ran longer than its timeout and was aborted through its `AbortSignal`. Counts as transient.
 *
 * ## Example
 * ```ts
 * import { TimeoutError } from 'rx-reconcile';
 * import type { Loop } from 'rx-reconcile';
 * declare const loop: Loop;
 *
 * loop.results$.subscribe((result) => {
 *   if (result.outcome.type === 'retry' && result.outcome.error instanceof TimeoutError) console.log('pass timed out');
 * });
 * ```
 */
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

/**
 * The loop was stopped; the pass was aborted at the stop deadline.
 *
 * ## Example
 * ```ts
 * import { StoppedError } from 'rx-reconcile';
 * import type { PassContext, ReconcileRequest } from 'rx-reconcile';
 *
 * const reconcile = (_request: ReconcileRequest, ctx: PassContext) =>
 *   new Promise<void>((resolve, reject) => {
 *     ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason instanceof StoppedError ? ctx.signal.reason : new Error('aborted')));
 *     setTimeout(resolve, 1000);
 *   });
 * ```
 */
export class StoppedError extends ReconcileError {
  constructor(message = 'the loop was stopped while this pass was running; it will run again on the next start') {
    super('STOPPED', message);
  }
}

/**
 * A caller passed an option or argument this library cannot use.
 *
 * ## Example
 * ```ts
 * import { InvalidArgumentError, defineLoop } from 'rx-reconcile';
 * import type { Store } from 'rx-reconcile';
 * declare const store: Store;
 *
 * try {
 *   defineLoop({ name: 'todo', store, kind: 'Todo', workers: 0, reconcile: () => undefined });
 * } catch (error) {
 *   if (error instanceof InvalidArgumentError) console.log(error.message); // names `workers` and the fix
 * }
 * ```
 */
export class InvalidArgumentError extends ReconcileError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', message, options);
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
    if (typeof json === 'string') return json.length > 200 ? `${json.slice(0, 200)}…` : json;
  } catch {
    // a cycle, a BigInt inside, a throwing getter or Proxy trap: say what kind of value it was
  }
  try {
    return Object.prototype.toString.call(value);
  } catch {
    return typeof value; // a Proxy that throws even on Symbol.toStringTag
  }
}

/**
 * A watch asked to resume after a revision the store no longer remembers (its change history was
 * compacted past it). Nothing is lost by the store: list the kind again (a watch without
 * `sinceRevision`) and resume from the `synced` revision of that list. Loops do this by themselves.
 *
 * ## Example
 * ```ts
 * import { CompactedError } from 'rx-reconcile';
 * import type { Store } from 'rx-reconcile';
 * declare const store: Store;
 *
 * store.watch('Todo', { sinceRevision: 42 }).subscribe({
 *   error: (error: unknown) => {
 *     if (error instanceof CompactedError) console.log('history is gone: list the kind again');
 *   },
 * });
 * ```
 */
export class CompactedError extends ReconcileError {
  readonly kind: string;
  /** The revision the watch asked to resume after. */
  readonly requested: number;
  /** The oldest revision the store can still resume after, when it knows it. */
  readonly oldest: number | undefined;
  constructor(kind: string, requested: number, oldest: number | undefined) {
    super(
      'COMPACTED',
      `cannot resume the watch of ${kind} after revision ${requested}: the store has compacted its history` +
        (oldest === undefined ? '' : ` (oldest resumable revision: ${oldest})`) +
        '; list the kind again (watch without sinceRevision) and resume from that list.',
    );
    this.kind = kind;
    this.requested = requested;
    this.oldest = oldest;
  }
}

/**
 * A resource is larger than the store accepts (its `maxResourceBytes`, by default 1.5 MiB like
 * etcd's request limit). Nothing was stored. Keep large payloads elsewhere and store a reference.
 *
 * ## Example
 * ```ts
 * import { ResourceTooLargeError } from 'rx-reconcile';
 * import type { Store } from 'rx-reconcile';
 * declare const store: Store;
 *
 * const stored = await store.create('Blob', { metadata: { name: 'big' }, spec: { data: 'x'.repeat(2 ** 21) } }).catch((error: unknown) => {
 *   if (error instanceof ResourceTooLargeError) return undefined; // keep large payloads elsewhere
 *   throw error;
 * });
 * ```
 */
export class ResourceTooLargeError extends ReconcileError {
  readonly kind: string;
  readonly resourceName: string;
  /** The limit, in bytes of JSON. */
  readonly limit: number;
  /** Where the data outgrew the limit, e.g. `spec.items[1200]`. */
  readonly path: string;
  constructor(kind: string, name: string, limit: number, path: string) {
    super(
      'TOO_LARGE',
      `${kind} "${name}" is larger than the store's limit of ${limit} bytes of JSON (reached at ${path}); nothing was stored. ` +
        'Keep large payloads outside the store and put a reference in the spec, or raise maxResourceBytes.',
    );
    this.kind = kind;
    this.resourceName = name;
    this.limit = limit;
    this.path = path;
  }
}

/**
 * A write was refused because the writer no longer owns the key (its fencing token is stale): another
 * replica took over. Never retried by the deposed writer; the new owner reconciles the key.
 *
 * ## Example
 * ```ts
 * import { FencedError } from 'rx-reconcile';
 * import type { Resource, Store } from 'rx-reconcile';
 * declare const store: Store;
 * declare const todo: Resource<{ title: string }>;
 *
 * const wrote = await store.update(todo).then(
 *   () => true,
 *   (error: unknown) => (error instanceof FencedError ? false : Promise.reject(error)), // another replica owns it now
 * );
 * ```
 */
export class FencedError extends ReconcileError {
  readonly key: string;
  /** The token the writer held. */
  readonly token: string;
  constructor(key: string, token: string, message?: string) {
    super(
      'FENCED',
      message ??
        `the write for "${key}" was refused: this replica's ownership (fencing token ${token}) is no longer current, ` +
          'another replica owns the key now; nothing was written.',
    );
    this.key = key;
    this.token = token;
  }
}

/**
 * The store was closed (`close()`), so it can no longer read, write or watch. Every later call fails
 * with this error, and watches that were running end with it. Open a new store on the same data to go
 * on; stop the loops using a store before closing it.
 *
 * ## Example
 * ```ts
 * import { StoreClosedError } from 'rx-reconcile';
 * import type { Store } from 'rx-reconcile';
 * declare const store: Store;
 *
 * await store.get('Todo', 'a').catch((error: unknown) => {
 *   if (error instanceof StoreClosedError) console.log('open a new store on the same file');
 * });
 * ```
 */
export class StoreClosedError extends ReconcileError {
  constructor(what = 'the store') {
    super('CLOSED', `${what} is closed: open it again (e.g. createSqliteStore on the same path) and stop loops before closing a store.`);
  }
}

/**
 * A stored resource cannot be read as a resource: its data was written around the store (for example
 * by hand with SQL, or by another program) and is not JSON, or lacks fields every resource has. The
 * store skips it when listing and watching (and logs it), and `get` rejects with this error; nothing
 * else is affected. Fix or remove the record named here.
 *
 * ## Example
 * ```ts
 * import { MalformedResourceError } from 'rx-reconcile';
 *
 * const logger = {
 *   warn: (fields: { err?: unknown }, message: string) => {
 *     if (fields.err instanceof MalformedResourceError) console.log(message, fields.err.location, fields.err.problems);
 *   },
 * };
 * ```
 */
export class MalformedResourceError extends ReconcileError {
  readonly kind: string;
  readonly resourceName: string;
  /** Where the record is, e.g. `resources row Todo/buy-milk`, `changes row 42` or `etcd key /my-app/Todo/buy-milk`. */
  readonly location: string;
  /** What is wrong, field by field. */
  readonly problems: readonly string[];
  constructor(kind: string, name: string, location: string, problems: readonly string[]) {
    super(
      'MALFORMED',
      `${kind} "${name}" (${location}) is not a well-formed resource: ${problems.join('; ')}. It was skipped; ` +
        'fix the record (write it through the store, or through its documented SQL view for SQLite) or delete it.',
    );
    this.kind = kind;
    this.resourceName = name;
    this.location = location;
    this.problems = problems;
  }
}

/** Turns anything thrown into an `Error`, wrapping non-Errors in {@link NonErrorThrownError}. */
export function toError(thrown: unknown): Error {
  return isError(thrown) ? thrown : new NonErrorThrownError(thrown);
}

/** `value instanceof Error`, false for a Proxy whose getPrototypeOf trap throws (never throws). */
export function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}
