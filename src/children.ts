/**
 * Owned children: a resource (the owner) keeps a set of resources of another kind in line with what
 * it wants — created, updated, and deleted when no longer wanted — marking each with an owner
 * reference, and never touching a resource it does not own. Deleting the owner deletes its children
 * (cascade, like Kubernetes' garbage collector), unless the loop orphans them.
 *
 * @module
 */
import { applyWith, deleteIfExists } from './apply.js';
import { ConflictError, DependencyNotReadyError, InvalidArgumentError, NotFoundError, PermanentError } from './errors.js';
import { keyOf } from './key.js';
import type { Key, NewResource, OwnerReference, Resource, Store } from './types.js';

/** Who owns: enough of a resource to name it as an owner (the `uid` makes ownership exact). */
export interface Owner {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly uid?: string };
}

/** What {@link ensureChildren} did. */
export interface ChildrenReport {
  readonly created: readonly Key[];
  readonly updated: readonly Key[];
  readonly deleted: readonly Key[];
  readonly unchanged: readonly Key[];
}

/**
 * The controller owner reference of `owner`.
 *
 * ## Example
 * ```ts
 * import { createMemoryStore, ownerReferenceOf } from 'rx-reconcile';
 *
 * const store = createMemoryStore();
 * const app = await store.create('App', { metadata: { name: 'web' }, spec: {} });
 * const owner = { kind: 'App', metadata: app.metadata };
 * // A child that names its owner: its changes wake the owner (`owns`), and it goes with it (cascade).
 * await store.create('Pod', { metadata: { name: 'web-0', ownerReferences: [ownerReferenceOf(owner)] }, spec: {} });
 * ```
 */
export function ownerReferenceOf(owner: Owner): OwnerReference {
  const { name, namespace, uid } = owner.metadata;
  return {
    kind: owner.kind,
    name,
    ...(namespace === undefined || namespace === '' ? {} : { namespace }),
    ...(uid === undefined ? {} : { uid }),
    controller: true,
  };
}

/** True when `reference` names `owner` (by uid when both know it, else by kind, namespace and name). */
export function refersTo(reference: OwnerReference, owner: Owner): boolean {
  const m = owner.metadata;
  if (reference.kind !== owner.kind || reference.name !== m.name || (reference.namespace ?? '') !== (m.namespace ?? '')) return false;
  return reference.uid === undefined || m.uid === undefined || reference.uid === m.uid;
}

/**
 * True when `resource` is owned by `owner`.
 *
 * ## Example
 * ```ts
 * import { isOwnedBy } from 'rx-reconcile';
 * import type { Resource, Store } from 'rx-reconcile';
 *
 * declare const store: Store;
 * declare const app: Resource;
 * const pods = (await store.list('Pod')).filter((pod) => isOwnedBy(pod, { kind: 'App', metadata: app.metadata }));
 * ```
 */
export function isOwnedBy(resource: Resource, owner: Owner): boolean {
  return resource.metadata.ownerReferences.some((reference) => refersTo(reference, owner));
}

/**
 * True when `reference` names an earlier life of `owner`: the same kind, namespace and name, but
 * another `uid`. That owner was deleted (its name now belongs to `owner`), so what it owned is
 * garbage, as Kubernetes' garbage collector has it: never adopted, deleted.
 */
function isEarlierLife(reference: OwnerReference, owner: Owner): boolean {
  const m = owner.metadata;
  return (
    reference.kind === owner.kind &&
    reference.name === m.name &&
    (reference.namespace ?? '') === (m.namespace ?? '') &&
    reference.uid !== undefined &&
    m.uid !== undefined &&
    reference.uid !== m.uid
  );
}

/**
 * Makes `owner`'s children of `kind` exactly `children`: each is applied (created or updated, a no-op
 * when equal) with `owner` as its controller owner reference; owned children of `kind` that are not
 * in `children` are let go. A child that exists but is controlled by another owner is refused
 * (`PermanentError`): it is never taken over — the check is made on the read each write rests on, so
 * two owners racing for one name cannot both win. A child with no controller is adopted. Idempotent:
 * a second call with the same children writes nothing.
 *
 * Letting a child go deletes it when this owner was its only owner; a child other (existing) owners
 * also name keeps living, without this owner's reference (as Kubernetes' garbage collector does).
 * Children of an earlier life of the owner (same name, another `uid`: the owner was deleted and
 * created again) are garbage: deleted, and created afresh when wanted (a child still held by its
 * finalizers makes the call fail with `DependencyNotReadyError`, retried without penalty).
 *
 * Children live in their owner's namespace (as in Kubernetes, ownership does not cross namespaces): a
 * child without a namespace gets the owner's, a child naming another one is refused. The list is
 * checked before anything is written: it must be an array of `{ metadata: { name }, … }` with no
 * key twice (`InvalidArgumentError` naming the entry).
 *
 * ## Example
 * ```ts
 * import { createMemoryStore, ensureChildren } from 'rx-reconcile';
 *
 * const store = createMemoryStore();
 * const app = await store.create('App', { metadata: { name: 'web' }, spec: { replicas: 3, image: 'nginx:1.27' } });
 * const pods = [0, 1, 2].map((i) => ({ metadata: { name: `web-${i}` }, spec: { image: app.spec.image } }));
 * const report = await ensureChildren(store, { kind: 'App', metadata: app.metadata }, 'Pod', pods);
 * console.log(report.created); // ['web-0', 'web-1', 'web-2']; a second call writes nothing
 * ```
 */
export async function ensureChildren(store: Store, owner: Owner, kind: string, children: readonly NewResource[]): Promise<ChildrenReport> {
  const reference = ownerReferenceOf(owner);
  const placed = placeChildren(owner, kind, children);
  const wanted = new Set<Key>(placed.map(([key]) => key));
  const report = { created: [] as Key[], updated: [] as Key[], deleted: [] as Key[], unchanged: [] as Key[] };
  // What an earlier life of the owner left: garbage, wanted or not.
  for (const stale of await leftByEarlierLife(store, owner, kind)) {
    const key = keyOf(stale);
    const gone = await deleteIfExists(store, kind, key);
    report.deleted.push(key);
    if (gone !== undefined && wanted.has(key)) {
      throw new DependencyNotReadyError(`${kind} "${key}"`, {
        message: `${kind} "${key}" belonged to an earlier ${owner.kind} "${owner.metadata.name}" and is being deleted (its finalizers run); it is created again once it is gone`,
      });
    }
  }
  for (const [key, child] of placed) {
    const { action } = await applyWith(store, kind, key, (existing) => {
      const others = (existing?.metadata.ownerReferences ?? child.metadata.ownerReferences ?? []).filter((r) => !refersTo(r, owner) && !isEarlierLife(r, owner));
      const controller = others.find((r) => r.controller === true);
      if (existing !== undefined && controller !== undefined) {
        throw new PermanentError(
          `${kind} "${key}" is controlled by ${controller.kind} "${controller.name}"${controller.uid === undefined ? '' : ` (uid ${controller.uid})`}, not by ${owner.kind} "${owner.metadata.name}": ` +
            'it is left alone; rename the child or remove the other owner',
        );
      }
      return { ...child, metadata: { ...child.metadata, ownerReferences: [...others.map((r) => ({ ...r, controller: false })), reference] } };
    });
    report[action].push(key);
  }
  for (const stale of await ownedBy(store, owner, kind)) {
    const key = keyOf(stale);
    if (wanted.has(key) || stale.metadata.deletionTimestamp !== undefined) continue;
    if (await letGo(store, owner, kind, stale)) report.deleted.push(key);
    else report.updated.push(key);
  }
  return report;
}

/** The resources of `kind` an earlier life of `owner` controls (never with the owner's uid unknown). */
async function leftByEarlierLife(store: Store, owner: Owner, kind: string): Promise<Resource[]> {
  if (owner.metadata.uid === undefined) return [];
  return (await inOwnersNamespace(store, owner, kind)).filter(
    (resource) =>
      resource.metadata.deletionTimestamp === undefined &&
      resource.metadata.ownerReferences.some((r) => r.controller === true && isEarlierLife(r, owner)) &&
      !resource.metadata.ownerReferences.some((r) => refersTo(r, owner)),
  );
}

/**
 * Lets `child` go from `owner`: deleted when no other owner it names exists any more, else updated
 * without `owner`'s reference. True when deleted (or marked for deletion).
 */
async function letGo(store: Store, owner: Owner, kind: string, child: Resource): Promise<boolean> {
  const key = keyOf(child);
  for (let race = 1; ; race++) {
    const fresh = race === 1 ? child : await store.get(kind, key);
    if (fresh === undefined || fresh.metadata.deletionTimestamp !== undefined) return true;
    const others = fresh.metadata.ownerReferences.filter((r) => !refersTo(r, owner));
    if (!(await anyExists(store, others))) {
      await deleteIfExists(store, kind, key);
      return true;
    }
    try {
      await store.update({ ...fresh, metadata: { ...fresh.metadata, ownerReferences: others } });
      return false;
    } catch (error) {
      // A concurrent write: read again and decide again.
      if (race < 3 && (error instanceof ConflictError || error instanceof NotFoundError)) continue;
      throw error;
    }
  }
}

/** True when at least one of the owners `references` name exists (with the same uid when known). */
async function anyExists(store: Store, references: readonly OwnerReference[]): Promise<boolean> {
  for (const r of references) {
    const found = await store.get(r.kind, keyOf({ metadata: r }));
    if (found !== undefined && (r.uid === undefined || found.metadata.uid === r.uid)) return true;
  }
  return false;
}

/**
 * The children as they will be written, with their keys: each in the owner's namespace. Throws
 * `InvalidArgumentError` (before any write) for a list that is not an array of resources, a child in
 * another namespace, or a key given twice.
 */
function placeChildren(owner: Owner, kind: string, children: readonly NewResource[]): [Key, NewResource][] {
  const where = `ensureChildren(${JSON.stringify(kind)})`;
  if (!Array.isArray(children)) {
    throw new InvalidArgumentError(`${where}: children must be an array of resources ({ metadata: { name }, spec }), got ${describe(children)}`);
  }
  const namespace = owner.metadata.namespace === '' ? undefined : owner.metadata.namespace;
  const seen = new Set<Key>();
  return children.map((child: unknown, index): [Key, NewResource] => {
    const metadata = (child as { metadata?: unknown } | null)?.metadata;
    if (typeof child !== 'object' || child === null || typeof metadata !== 'object' || metadata === null) {
      throw new InvalidArgumentError(`${where}: children[${index}] must be a resource ({ metadata: { name }, spec }), got ${describe(child)}`);
    }
    const name = (metadata as { name?: unknown }).name;
    if (typeof name !== 'string' || name === '' || name.includes('/')) {
      throw new InvalidArgumentError(`${where}: children[${index}].metadata.name must be a non-empty string without "/", got ${describe(name)}`);
    }
    const given = (metadata as { namespace?: unknown }).namespace;
    if (namespace !== undefined && given !== undefined && given !== '' && given !== namespace) {
      throw new InvalidArgumentError(
        `${where}: children[${index}] is in namespace ${JSON.stringify(given)}, its owner ${owner.kind} "${owner.metadata.name}" in ${JSON.stringify(namespace)}: ` +
          'children live in their owner\'s namespace; leave metadata.namespace out',
      );
    }
    const placed = (namespace === undefined || given === namespace ? child : { ...child, metadata: { ...metadata, namespace } }) as NewResource;
    const key = keyOf({ metadata: placed.metadata });
    if (seen.has(key)) throw new InvalidArgumentError(`${where}: children[${index}] is ${JSON.stringify(key)} again: give each child once`);
    seen.add(key);
    return [key, placed];
  });
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object without metadata';
  return `${typeof value} ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`.slice(0, 80);
}

/** The resources of `kind` owned by `owner` (in its namespace). */
export async function ownedBy(store: Store, owner: Owner, kind: string): Promise<Resource[]> {
  return (await inOwnersNamespace(store, owner, kind)).filter((resource) => isOwnedBy(resource, owner));
}

/** The resources of `kind` where `owner`'s children live (its namespace). */
function inOwnersNamespace(store: Store, owner: Owner, kind: string): Promise<Resource[]> {
  const namespace = owner.metadata.namespace;
  return store.list(kind, namespace === undefined || namespace === '' ? {} : { namespace });
}

/**
 * Deletes every resource of `kinds` owned by `owner` (the cascade when the owner is gone), as
 * Kubernetes' garbage collector does: a child that names other owners, one of which still exists,
 * only loses `owner`'s reference. Returns the keys deleted (or marked, while their finalizers run).
 * A kind the store fails on is passed over; once every other kind is done, the first such error is
 * thrown (the caller retries, and a repeat deletes nothing twice).
 */
export async function deleteOwnedChildren(store: Store, owner: Owner, kinds: readonly string[]): Promise<Key[]> {
  const deleted: Key[] = [];
  let failure: { readonly error: unknown } | undefined;
  for (const kind of kinds) {
    // Kind by kind: one the store fails to list or delete does not keep the others' children alive.
    try {
      for (const child of await ownedBy(store, owner, kind)) {
        if (child.metadata.deletionTimestamp !== undefined) continue;
        if (await letGo(store, owner, kind, child)) deleted.push(`${kind}/${keyOf(child)}`);
      }
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure !== undefined) throw failure.error;
  return deleted;
}
