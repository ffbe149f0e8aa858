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
import { MalformedResourceError } from '../src/errors.js';
import { parseKey } from '../src/key.js';
import type { Logger } from '../src/ports.js';
import { deepFreeze } from '../src/plain-data.js';
import { storedProblems } from '../src/stored-problems.js';
import { newResourceKey } from '../src/store-rules.js';
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

/**
 * The frozen resource a key-value of `kind` holds, stamped with its `mod_revision` (`version` is that
 * number as a string); a `MalformedResourceError` naming the etcd key and every problem when the value
 * is not a resource this store could have written there (another program wrote it, by hand or by bug).
 *
 * The checks are the SQLite store's: JSON of an object; `kind` is the kind; name and namespace are
 * well-formed identifiers whose etcd key is the one the value was read from (so a value can never be
 * served as another resource, nor hold a name `resourcePath` cannot encode); generation an integer
 * ≥ 1; uid and creationTimestamp strings; the four metadata lists of the right shape; a spec; no
 * number JSON cannot carry (`1e999`).
 *
 * ## Example
 * ```ts
 * const resource = decodeResource(kv, '/my-app', 'Todo');
 * if (resource instanceof MalformedResourceError) logger.warn({ err: resource }, 'Malformed resource skipped');
 * ```
 */
export function decodeResource(kv: IKeyValue, prefix: string, kind: string): Resource | MalformedResourceError {
  const path = kv.key.toString('utf8');
  const text = kv.value.toString('utf8');
  const malformed = (problems: string[]): MalformedResourceError => new MalformedResourceError(kind, keyInPath(prefix, kind, path), `etcd key ${path}`, problems);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return malformed([`the value is not JSON (${(error as Error).message})`]);
  }
  const problems = storedProblems(value, text, 'value', (_metadata, record) => placementProblems(record, prefix, kind, path));
  if (problems.length > 0) return malformed(problems);
  return stamp(value as StoredResource, Number(kv.mod_revision));
}

/** Logs a skipped value at `warn`, as the SQLite store does (the store's logger never throws: `safeLogger`). */
export function reportMalformed(logger: Logger, error: MalformedResourceError): void {
  logger.warn({ err: error, kind: error.kind, name: error.resourceName, location: error.location }, 'Malformed resource skipped');
}

/** What in `value` contradicts the etcd key `path` it was read from (empty when nothing does). */
function placementProblems(value: Record<string, unknown>, prefix: string, kind: string, path: string): string[] {
  const problems: string[] = [];
  if (value['kind'] !== kind) problems.push(`kind is ${JSON.stringify(value['kind'])}, not "${kind}" as its key says`);
  try {
    // The checks a write of the name and namespace passes (lone surrogates included), then the key.
    const { key } = newResourceKey(kind, value);
    const own = resourcePath(prefix, kind, key);
    if (own !== path) problems.push(`metadata names "${key}", whose etcd key is ${own}, not this one`);
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (!('spec' in value)) problems.push('spec is missing');
  return problems;
}

/** The resource key an etcd key of `kind` stands for, as well as it can be read (for messages). */
function keyInPath(prefix: string, kind: string, path: string): string {
  const start = kindPrefix(prefix, kind);
  const rest = path.startsWith(start) ? path.slice(start.length) : path;
  try {
    return rest.split('/').map(decodeURIComponent).join('/');
  } catch {
    return rest;
  }
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
