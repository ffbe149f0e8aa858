/**
 * What a listing of keys returned (`keys()` of a resync, `worldKeys()`), checked: an iterable of keys.
 *
 * @module
 */
import type { Key } from '../../src/index.js';

/**
 * The keys of a listing's answer, as an array. A string is refused (it is iterable: `'web-1'` would
 * list the keys `w`, `e`, `b`, `-`, `1`), as is anything not iterable; entries that are not
 * non-empty strings are left out and counted in `dropped`.
 * @throws TypeError naming what came back and what to return instead.
 */
export function listedKeys(value: unknown, what: string): { readonly keys: Key[]; readonly dropped: number } {
  if (typeof value === 'string') {
    throw new TypeError(`${what} returned a string (${JSON.stringify(value.slice(0, 60))}); return an array or a Set of keys, e.g. text.split('\\n').filter(Boolean)`);
  }
  const iterator = typeof value === 'object' && value !== null ? (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] : undefined;
  if (typeof iterator !== 'function') {
    throw new TypeError(`${what} returned ${value === null ? 'null' : typeof value}, not an iterable of keys; return an array or a Set of keys`);
  }
  const keys: Key[] = [];
  let dropped = 0;
  for (const key of value as Iterable<unknown>) {
    if (typeof key === 'string' && key !== '') keys.push(key);
    else dropped++;
  }
  return { keys, dropped };
}
