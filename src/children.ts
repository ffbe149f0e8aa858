/**
 * Owned children: a resource (the owner) keeps a set of resources of another kind in line with what
 * it wants — created, updated, and deleted when no longer wanted — marking each with an owner
 * reference, and never touching a resource it does not own. Deleting the owner deletes its children
 * (cascade, like Kubernetes' garbage collector), unless the loop orphans them.
 *
 * @module
 */
import { apply, deleteIfExists } from './apply.js';
import { InvalidArgumentError, PermanentError } from './errors.js';
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
 * Makes `owner`'s children of `kind` exactly `children`: each is applied (created or updated, a no-op
 * when equal) with `owner` as its controller owner reference; owned children of `kind` that are not
 * in `children` are deleted. A child that exists but is controlled by another owner is refused
 * (`PermanentError`): it is never taken over; a child with no controller is adopted. Idempotent: a
 * second call with the same children writes nothing.
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
  for (const [key, child] of placed) {
    const existing = await store.get(kind, key);
    const others = (existing?.metadata.ownerReferences ?? child.metadata.ownerReferences ?? []).filter((r) => !refersTo(r, owner));
    const controller = others.find((r) => r.controller === true);
    if (existing !== undefined && controller !== undefined) {
      throw new PermanentError(
        `${kind} "${key}" is controlled by ${controller.kind} "${controller.name}", not by ${owner.kind} "${owner.metadata.name}": ` +
          'it is left alone; rename the child or remove the other owner',
      );
    }
    const { resource: _unused, action } = await apply(store, kind, {
      ...child,
      metadata: { ...child.metadata, ownerReferences: [...others.map((r) => ({ ...r, controller: false })), reference] },
    });
    void _unused;
    report[action].push(key);
  }
  for (const stale of await ownedBy(store, owner, kind)) {
    const key = keyOf(stale);
    if (wanted.has(key)) continue;
    await deleteIfExists(store, kind, key);
    report.deleted.push(key);
  }
  return report;
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
  const namespace = owner.metadata.namespace;
  const all = await store.list(kind, namespace === undefined || namespace === '' ? {} : { namespace });
  return all.filter((resource) => isOwnedBy(resource, owner));
}

/**
 * Deletes every resource of `kinds` owned by `owner` (the cascade when the owner is gone). Returns the
 * keys deleted (or marked, while their finalizers run).
 */
export async function deleteOwnedChildren(store: Store, owner: Owner, kinds: readonly string[]): Promise<Key[]> {
  const deleted: Key[] = [];
  for (const kind of kinds) {
    for (const child of await ownedBy(store, owner, kind)) {
      if (child.metadata.deletionTimestamp !== undefined) continue;
      await deleteIfExists(store, kind, keyOf(child));
      deleted.push(`${kind}/${keyOf(child)}`);
    }
  }
  return deleted;
}
