/**
 * Keys: the string identity of one thing being reconciled.
 *
 * @module
 */
import type { Key, Metadata } from './types.js';

/**
 * `namespace/name` when a namespace is set, else `name`.
 *
 * ## Example
 * ```ts
 * import { keyOf } from 'rx-reconcile';
 *
 * keyOf({ metadata: { name: 'milk' } });                       // 'milk'
 * keyOf({ metadata: { namespace: 'home', name: 'milk' } });    // 'home/milk'
 * ```
 */
export function keyOf(target: { readonly metadata: Pick<Metadata, 'name' | 'namespace'> }): Key {
  const { name, namespace } = target.metadata;
  return namespace === undefined || namespace === '' ? name : `${namespace}/${name}`;
}

/**
 * Splits a key back into `{ namespace?, name }`.
 *
 * ## Example
 * ```ts
 * import { parseKey } from 'rx-reconcile';
 *
 * parseKey('home/milk'); // { namespace: 'home', name: 'milk' }
 * parseKey('milk');      // { name: 'milk' }
 * ```
 */
export function parseKey(key: Key): { readonly name: string; readonly namespace?: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
