/**
 * A synchronous read that a store may offer beside its `get`, for the library's own hot path: the
 * memory store holds its resources in memory, so a loop's pass can take its snapshot without a
 * promise. Not part of the `Store` contract: a store without it (or a wrapper around one) is read with
 * `get` as always.
 *
 * @module
 */
import type { Key, Resource, Store } from './types.js';

/** The key of the synchronous read on a store that has one (a non-enumerable property: a spread copy does not carry it). */
export const peekResource: unique symbol = Symbol('rx-reconcile.peekResource');

/** A synchronous read of what `get(kind, key)` would resolve to. */
export type Peek = (kind: string, key: Key) => Resource | undefined;

/**
 * The synchronous read of `store` when it has its own one, else `undefined`. Only the store object
 * itself counts: a wrapper (which may change what `get` returns) never inherits it.
 *
 * ## Example
 * ```ts
 * import { createMemoryStore } from 'rx-reconcile';
 * import { peekOf } from './peek.js';
 *
 * const store = createMemoryStore();
 * const read = peekOf(store); // defined: the memory store holds its resources in memory
 * const wrapped = peekOf({ ...store }); // undefined: a spread copy is read with `get`
 * ```
 */
export function peekOf(store: Store): Peek | undefined {
  const own = Object.getOwnPropertyDescriptor(store, peekResource);
  return typeof own?.value === 'function' ? (own.value as Peek) : undefined;
}

/** Gives `store` its synchronous read (non-enumerable, so `{ ...store }` does not copy it). */
export function withPeek<S extends Store>(store: S, peek: Peek): S {
  Object.defineProperty(store, peekResource, { value: peek, enumerable: false });
  return store;
}
