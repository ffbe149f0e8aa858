/**
 * The set-diff helper for the common `compare`: desired items vs current items, by key, into
 * creates, updates and deletes (deep equality by fast-deep-equal), each with an idempotency key.
 *
 * @module
 */
import { deepEqual as equal } from './equal.js';
import { InvalidArgumentError } from './errors.js';
import type { Correction } from './types.js';

/** A keyed collection: a Map, a plain record, or an array with `keyOf`. */
export type Items<T> = ReadonlyMap<string, T> | Readonly<Record<string, T>> | readonly T[];

/** Options of {@link setDiff}. */
export interface SetDiffOptions<T> {
  /** Key of an item; required when the collections are arrays. */
  readonly keyOf?: (item: T) => string;
  /** Equality of a desired and a current item. Default: deep equality (fast-deep-equal). */
  readonly equals?: (desired: T, current: T) => boolean;
  /** Plan no deletes (current items missing from desired are left alone). Default false. */
  readonly keepExtra?: boolean;
  /** Prefix of every idempotency key, e.g. the owning key. Default ''. */
  readonly scope?: string;
}

function toMap<T>(items: Items<T>, keyOf: ((item: T) => string) | undefined, side: string): ReadonlyMap<string, T> {
  if (items instanceof Map) return items as ReadonlyMap<string, T>;
  if (Array.isArray(items)) {
    if (keyOf === undefined) {
      throw new InvalidArgumentError(`setDiff: the ${side} items are an array; pass { keyOf: item => … } to name each item`);
    }
    const map = new Map<string, T>();
    for (const item of items as readonly T[]) map.set(keyOf(item), item);
    return map;
  }
  return new Map(Object.entries(items as Readonly<Record<string, T>>));
}

/** A short, stable hash of a JSON-able value (FNV-1a over a key-sorted JSON text). */
export function stableHash(value: unknown): string {
  const text = stableStringify(value);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

function stableStringify(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? String(value);
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

/** The idempotency key of a correction: same action, target and value → same key. */
export function idempotencyKeyOf(scope: string, action: Correction['action'], target: string, value: unknown): string {
  return `${scope === '' ? '' : `${scope}:`}${action}:${target}:${stableHash(value)}`;
}

/**
 * Diffs desired against current items by key: a `create` for each desired item missing from
 * current, an `update` for each item that differs, a `delete` for each current item not desired.
 * Creates and updates carry the desired value; deletes carry the current one. Sorted by action then
 * target, so the same inputs always give the same plan.
 *
 * ## Example
 * ```ts
 * import { setDiff } from 'rx-reconcile';
 * setDiff({ a: 1, b: 2 }, { b: 3, c: 4 });
 * // → create a (1), update b (2), delete c (4)
 * ```
 */
export function setDiff<T>(desired: Items<T>, current: Items<T>, options: SetDiffOptions<T> = {}): Correction<T>[] {
  const want = toMap(desired, options.keyOf, 'desired');
  const have = toMap(current, options.keyOf, 'current');
  const same = options.equals ?? ((a: T, b: T) => equal(a, b));
  const scope = options.scope ?? '';
  const creates: Correction<T>[] = [];
  const updates: Correction<T>[] = [];
  const deletes: Correction<T>[] = [];
  for (const [target, value] of want) {
    if (!have.has(target)) {
      creates.push({ action: 'create', target, value, idempotencyKey: idempotencyKeyOf(scope, 'create', target, value) });
    } else if (!same(value, have.get(target) as T)) {
      updates.push({ action: 'update', target, value, idempotencyKey: idempotencyKeyOf(scope, 'update', target, value) });
    }
  }
  if (options.keepExtra !== true) {
    for (const [target, value] of have) {
      if (!want.has(target)) {
        deletes.push({ action: 'delete', target, value, idempotencyKey: idempotencyKeyOf(scope, 'delete', target, value) });
      }
    }
  }
  const byTarget = (a: Correction<T>, b: Correction<T>): number => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0);
  return [...creates.sort(byTarget), ...updates.sort(byTarget), ...deletes.sort(byTarget)];
}

/**
 * Applies a plan of set-diff corrections to a `Map` of items and returns the new Map (the input is
 * not changed). The pure model of an actuator, for tests and simulations:
 * `setDiff(desired, applyPlan(current, setDiff(desired, current)))` is empty.
 */
export function applyPlan<T>(current: ReadonlyMap<string, T>, corrections: readonly Correction<T>[]): Map<string, T> {
  const next = new Map(current);
  for (const c of corrections) {
    if (c.action === 'delete') next.delete(c.target);
    else if (c.action === 'create' || c.action === 'update') next.set(c.target, c.value as T);
  }
  return next;
}
