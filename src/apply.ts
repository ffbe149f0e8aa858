/**
 * Idempotent writes, as the reconcile-loop template's idempotency checklist asks: a create that may
 * run twice ({@link apply}: create-or-update, a no-op when equal), and a delete that may run twice
 * ({@link deleteIfExists}: absent is done). A repeat is a no-op, never a failure.
 *
 * @module
 */
import { deepEqual } from './equal.js';
import { AlreadyExistsError, ConflictError, InvalidArgumentError, NotFoundError } from './errors.js';
import { keyOf } from './key.js';
import type { Key, NewResource, Resource, Store } from './types.js';

/** What {@link apply} did. */
export type ApplyAction = 'created' | 'updated' | 'unchanged';

/** The result of {@link apply}: the stored resource and what was done. */
export interface Applied<Spec, Status> {
  readonly resource: Resource<Spec, Status>;
  readonly action: ApplyAction;
}

/** Races lost in a row before `apply` gives up with the `ConflictError` (the loop retries it at once). */
const MAX_RACES = 3;

/**
 * Makes the stored resource of `kind` named as `desired` carry `desired`'s spec — and its labels,
 * annotations and owner references when given — creating it when absent. Writes nothing when it
 * already does (`unchanged`). Compare-and-set: a concurrent write is retried on a fresh read, a few
 * times, before the `ConflictError` goes to the caller. A resource being deleted is left alone (its
 * next life starts after its finalizers ran): it is returned `unchanged`.
 *
 * ## Example
 * ```ts
 * import { apply, createMemoryStore } from 'rx-reconcile';
 *
 * const store = createMemoryStore();
 * const first = await apply(store, 'ConfigMap', { metadata: { name: 'web-config' }, spec: { port: 8080 } });
 * const again = await apply(store, 'ConfigMap', { metadata: { name: 'web-config' }, spec: { port: 8080 } });
 * console.log(first.action, again.action); // 'created' 'unchanged' (no write)
 * ```
 */
export async function apply<Spec, Status = unknown>(store: Store, kind: string, desired: NewResource<Spec, Status>): Promise<Applied<Spec, Status>> {
  if (typeof desired !== 'object' || desired === null || typeof desired.metadata !== 'object' || desired.metadata === null) {
    throw new InvalidArgumentError('apply needs a resource ({ metadata: { name }, spec }).');
  }
  return applyWith<Spec, Status>(store, kind, keyOf({ metadata: desired.metadata }), () => desired);
}

/**
 * {@link apply}, where what to write is decided on each fresh read: `desiredOf(stored)` (which may
 * throw to refuse, e.g. a child another owner controls) is called again after every race lost, so a
 * decision never rests on a read someone else's write has made stale.
 */
export async function applyWith<Spec, Status = unknown>(
  store: Store,
  kind: string,
  key: Key,
  desiredOf: (stored: Resource<Spec, Status> | undefined) => NewResource<Spec, Status>,
): Promise<Applied<Spec, Status>> {
  for (let race = 1; ; race++) {
    const stored = await store.get<Spec, Status>(kind, key);
    const desired = desiredOf(stored);
    try {
      if (stored === undefined) return { resource: await store.create<Spec, Status>(kind, desired), action: 'created' };
      if (stored.metadata.deletionTimestamp !== undefined) return { resource: stored, action: 'unchanged' };
      const next = merged(stored, desired);
      if (next === undefined) return { resource: stored, action: 'unchanged' };
      const written = await store.update<Spec, Status>(next);
      return { resource: written, action: written === stored || written.metadata.version === stored.metadata.version ? 'unchanged' : 'updated' };
    } catch (error) {
      // Someone else created or changed it meanwhile: read again and decide again.
      if (race < MAX_RACES && (error instanceof AlreadyExistsError || error instanceof ConflictError || error instanceof NotFoundError)) continue;
      throw error;
    }
  }
}

/** `stored` with what `desired` sets, or undefined when that changes nothing. */
export function merged<Spec, Status>(stored: Resource<Spec, Status>, desired: NewResource<Spec, Status>): Resource<Spec, Status> | undefined {
  const m = desired.metadata;
  const metadata = { ...stored.metadata };
  let changed = !deepEqual(stored.spec, desired.spec);
  for (const field of ['labels', 'annotations', 'ownerReferences'] as const) {
    const value = m[field];
    if (value !== undefined && !deepEqual(value, stored.metadata[field])) {
      (metadata as Record<string, unknown>)[field] = value;
      changed = true;
    }
  }
  return changed ? { ...stored, metadata, spec: desired.spec } : undefined;
}

/**
 * Deletes the resource of `kind` at `key` if it exists; absent is done (`undefined`), never a
 * `NotFoundError`. Finalizer-aware like `Store.delete`: resolves to the marked resource while
 * finalizers remain, `undefined` once it is gone.
 *
 * ## Example
 * ```ts
 * import { createMemoryStore, deleteIfExists } from 'rx-reconcile';
 *
 * const store = createMemoryStore();
 * await deleteIfExists(store, 'ConfigMap', 'web-config'); // absent: done, no error
 * await deleteIfExists(store, 'ConfigMap', 'web-config'); // twice is fine
 * ```
 */
export async function deleteIfExists(store: Store, kind: string, key: Key): Promise<Resource | undefined> {
  try {
    return await store.delete(kind, key);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}
