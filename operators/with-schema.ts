import { defer, mergeMap, of } from 'rxjs';
import type { Observable } from 'rxjs';
import { InvalidArgumentError, Outcome, ValidationError } from '../src/index.js';
import type { PassContext, ReconcileRequest, Resource, Store, ValidationIssue, Work } from '../src/index.js';
import { passOutcome } from './with-conditions.js';

/**
 * A spec schema: anything with zod's `safeParse` (a zod schema fits as it is). `S` is what it parses
 * to: a loop given `schema` infers its `Spec` from it.
 */
export interface SpecSchema<S = unknown> {
  safeParse(data: unknown):
    | { readonly success: true; readonly data: S }
    | { readonly success: false; readonly error: { readonly issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[] } };
}

/**
 * A stored spec fails the schema of its kind (it was written before the schema existed, or under a
 * looser one). Nothing is changed in the store; the key gets no retries until its spec changes. The
 * message names every failing field path, e.g. `spec.title`.
 *
 * ## Example
 * ```ts
 * import { InvalidSpecError } from 'rx-reconcile/operators';
 * import type { Loop } from 'rx-reconcile';
 * declare const loop: Loop;
 *
 * loop.results$.subscribe((result) => {
 *   if (result.outcome.type === 'terminal' && result.outcome.error instanceof InvalidSpecError) console.log(result.outcome.error.message);
 * });
 * ```
 */
export class InvalidSpecError extends ValidationError {
  constructor(kind: string, name: string, issues: readonly ValidationIssue[]) {
    super(kind, name, issues);
    this.message =
      `${kind} "${name}" has an invalid spec (${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}); ` +
      'it is kept as stored and not reconciled. Fix the named field(s) and write the spec again: the next ' +
      'change is reconciled at once.';
  }
}

/** Options of {@link withSchema}. */
export interface SchemaOptions<Ctx extends PassContext = PassContext> {
  /** The spec schema (zod). */
  readonly schema: SpecSchema;
  /** Where the resources live. */
  readonly store: Store;
  /** The kind of the resources. */
  readonly kind: string;
  /** How a pass reads the resource. Default `store.get(kind, key)`. */
  readonly read?: (request: ReconcileRequest, context: Ctx) => PromiseLike<Resource | undefined>;
}

/**
 * Wraps a pass so that it runs only for a spec that passes `schema` (G13). A live resource whose spec
 * fails ends the pass as `Outcome.terminal(InvalidSpecError)`: its failing field paths are named, the
 * key is parked with no retries until its spec changes (a new generation), and — with
 * `withConditions` around it — `Degraded=True` with reason `InvalidSpec` is written to its status.
 * The spec itself is never changed, and every other key goes on.
 *
 * A store may check specs on write (the memory store does, with the kind's registered schema), but it
 * can already hold data written before the schema existed: this checks what a pass actually reads.
 * Absent and deleting resources pass through, so a finalizer's cleanup is never blocked by a bad spec.
 * The pass sees the resource as stored, not the schema's parsed output (no defaults are filled in).
 *
 * ## Example
 * ```ts
 * import { z } from 'zod';
 * import { Outcome, createMemoryStore } from 'rx-reconcile';
 * import { watchRequests, withSchema, workQueue } from 'rx-reconcile/operators';
 *
 * const store = createMemoryStore();
 * const TodoSpec = z.object({ title: z.string().min(1) });
 * // A todo whose spec fails the schema is parked (Degraded/InvalidSpec naming the field), never retried.
 * watchRequests(store, 'Todo').pipe(workQueue(withSchema({ schema: TodoSpec, store, kind: 'Todo' })(() => Outcome.converged()))).subscribe();
 * ```
 */
export function withSchema<Ctx extends PassContext = PassContext>(options: SchemaOptions<Ctx>): (work: Work<Ctx>) => Work<Ctx> {
  const { schema, store, kind } = options;
  if (typeof schema?.safeParse !== 'function') {
    throw new InvalidArgumentError('withSchema: schema must have a safeParse method (pass a zod schema such as z.object({ … }))');
  }
  const read = options.read ?? ((request: ReconcileRequest) => store.get(kind, request.key));
  return (work) =>
    (request, context): Observable<Outcome> =>
      defer(() => read(request, context)).pipe(
        mergeMap((resource) => {
          if (resource !== undefined && resource.metadata.deletionTimestamp === undefined) {
            const result = schema.safeParse(resource.spec);
            if (!result.success) {
              const issues = result.error.issues.map((issue) => ({
                path: ['spec', ...issue.path.map(String)].join('.'),
                message: issue.message,
              }));
              return of(Outcome.terminal(new InvalidSpecError(kind, request.key, issues)));
            }
          }
          return passOutcome(() => work(request, context));
        }),
      );
}
