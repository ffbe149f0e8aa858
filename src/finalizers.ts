/**
 * Adding and removing a finalizer, idempotently, as Halo's `Finalizers.addFinalizer` /
 * `removeFinalizer` do: a compare-and-set `update` on a fresh read, retried when someone wrote in
 * between, and a no-op when the finalizer is already there (or already gone).
 *
 * @module
 */
import { ConflictError, NotFoundError } from './errors.js';
import { keyOf } from './key.js';
import type { Resource, Store } from './types.js';

const MAX_RACES = 3;

/**
 * Adds `finalizer` to `resource` unless it has it; returns the stored resource (the same object when
 * nothing was written). A resource being deleted cannot get a new finalizer: it is returned as it is.
 *
 * ## Example
 * ```ts
 * import { addFinalizer, createMemoryStore } from 'rx-reconcile';
 *
 * const store = createMemoryStore();
 * const created = await store.create('Todo', { metadata: { name: 'milk' }, spec: { title: 'buy milk' } });
 * const todo = await addFinalizer(store, created, 'todo.example.com/file'); // a second call writes nothing
 * console.log(todo.metadata.finalizers); // ['todo.example.com/file']
 * ```
 */
export async function addFinalizer<Spec, Status>(store: Store, resource: Resource<Spec, Status>, finalizer: string): Promise<Resource<Spec, Status>> {
  let current: Resource<Spec, Status> | undefined = resource;
  for (let race = 1; ; race++) {
    if (current === undefined) throw new NotFoundError(resource.kind, keyOf(resource));
    if (current.metadata.finalizers.includes(finalizer) || current.metadata.deletionTimestamp !== undefined) return current;
    try {
      return await store.update<Spec, Status>({ ...current, metadata: { ...current.metadata, finalizers: [...current.metadata.finalizers, finalizer] } });
    } catch (error) {
      if (!(error instanceof ConflictError) || race >= MAX_RACES) throw error;
      current = await store.get<Spec, Status>(resource.kind, keyOf(resource));
    }
  }
}

/**
 * Removes `finalizer` from `resource` if it has it; returns the stored resource, or `undefined` once it
 * is gone (removing the last finalizer of a resource being deleted finishes the delete). A resource
 * that is already gone is fine.
 *
 * ## Example
 * ```ts
 * import { rm } from 'node:fs/promises';
 * import { removeFinalizer } from 'rx-reconcile';
 * import type { Resource, Store } from 'rx-reconcile';
 *
 * declare const store: Store;
 * declare const todo: Resource<{ title: string }>;
 * if (todo.metadata.deletionTimestamp !== undefined) {
 *   await rm(`${todo.metadata.name}.md`, { force: true }); // the cleanup, idempotent
 *   await removeFinalizer(store, todo, 'todo.example.com/file'); // the last one: the store deletes it now
 * }
 * ```
 */
export async function removeFinalizer<Spec, Status>(store: Store, resource: Resource<Spec, Status>, finalizer: string): Promise<Resource<Spec, Status> | undefined> {
  let current: Resource<Spec, Status> | undefined = resource;
  for (let race = 1; ; race++) {
    if (current === undefined) return undefined;
    if (!current.metadata.finalizers.includes(finalizer)) return current;
    try {
      const written = await store.update<Spec, Status>({
        ...current,
        metadata: { ...current.metadata, finalizers: current.metadata.finalizers.filter((f) => f !== finalizer) },
      });
      const gone = current.metadata.deletionTimestamp !== undefined && written.metadata.finalizers.length === 0;
      return gone ? undefined : written;
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      if (!(error instanceof ConflictError) || race >= MAX_RACES) throw error;
      current = await store.get<Spec, Status>(resource.kind, keyOf(resource));
    }
  }
}
