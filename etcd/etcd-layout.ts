/**
 * How resources live in etcd: one key per resource, `<prefix>/<kind>/<name>` or
 * `<prefix>/<kind>/<namespace>/<name>`, holding the resource as JSON without `version` and `revision`
 * (both are the key's `mod_revision`, stamped when read).
 *
 * Kind, namespace and name are URI-encoded (`encodeURIComponent`, which leaves letters, digits and
 * `-_.!~*'()` as they are), so a `/` inside a kind can never make one kind's range overlap another's.
 *
 * @module
 */
import type { IKeyValue } from 'etcd3';
import { deepFreeze } from '../src/plain-data.js';
import { parseKey } from '../src/key.js';
import type { Key, Resource } from '../src/types.js';

/** The etcd key prefix of every resource of `kind` (ends with `/`). */
export function kindPrefix(prefix: string, kind: string): string {
  return `${prefix}/${encodeURIComponent(kind)}/`;
}

/** The etcd key of one resource. */
export function resourcePath(prefix: string, kind: string, key: Key): string {
  const { name, namespace } = parseKey(key);
  return kindPrefix(prefix, kind) + (namespace === undefined ? '' : `${encodeURIComponent(namespace)}/`) + encodeURIComponent(name);
}

/** A resource as stored in etcd: without `version` and `revision` (both come from `mod_revision`). */
type StoredResource = Omit<Resource, 'metadata'> & { readonly metadata: Omit<Resource['metadata'], 'version' | 'revision'> };

/** The JSON text stored for a resource: everything but `version` and `revision`. */
export function encodeResource(resource: Resource): string {
  const { version: _version, revision: _revision, ...metadata } = resource.metadata;
  void [_version, _revision];
  return JSON.stringify({ ...resource, metadata });
}

/** The shape a stored value must have to be read back as a resource. */
function isStoredResource(value: unknown): value is StoredResource {
  if (typeof value !== 'object' || value === null) return false;
  const { kind, metadata } = value as { kind?: unknown; metadata?: { name?: unknown; generation?: unknown } };
  return typeof kind === 'string' && typeof metadata === 'object' && metadata !== null && typeof metadata.name === 'string' && typeof metadata.generation === 'number';
}

/**
 * The frozen resource a key-value holds, stamped with its `mod_revision` (`version` is that number as
 * a string); undefined when the value is not a resource written by this store.
 */
export function decodeResource(kv: IKeyValue): Resource | undefined {
  let value: unknown;
  try {
    value = JSON.parse(kv.value.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isStoredResource(value)) return undefined;
  return stamp(value, Number(kv.mod_revision));
}

/** A resource as the store returns it after the write that got `revision` (spec and status shared). */
export function stamp(resource: StoredResource | Resource, revision: number): Resource {
  return deepFreeze({ ...resource, metadata: { ...resource.metadata, version: String(revision), revision } }) as Resource;
}

/** The last state of a removed resource, as its `deleted` event carries it: no finalizers, the removal's revision. */
export function removed(last: Resource, revision: number): Resource {
  const { version: _v, revision: _r, ...metadata } = last.metadata;
  void [_v, _r];
  return stamp({ ...last, metadata: { ...metadata, finalizers: [] } }, revision);
}
