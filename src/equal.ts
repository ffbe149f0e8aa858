/**
 * Deep equality for JSON-like data, looking at own enumerable keys only.
 *
 * fast-deep-equal (the usual choice) reads `constructor`, `valueOf` and `toString` through the
 * objects it compares: data with an own `constructor` key (`JSON.parse('{"constructor":{}}')`) made
 * equal values unequal, and an own `valueOf` key made it throw. Resources are JSON data, whose keys
 * are anything a user may type, so this comparison reads nothing but own keys, and treats objects
 * with or without a prototype alike. It is as fast on the data we compare (BENCHMARKS.md #18).
 *
 * @module
 */

/**
 * True when `a` and `b` are deeply equal as data: same primitives (`NaN` equals `NaN`), arrays of
 * equal items, plain objects with the same own enumerable keys holding equal values, `Date`s with the
 * same time. Same reference short-circuits in O(1). Key order does not matter.
 *
 * ## Example
 * ```ts
 * import { deepEqual } from 'rx-reconcile';
 *
 * deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }); // true
 * deepEqual(JSON.parse('{"constructor":{"x":1}}'), JSON.parse('{"constructor":{"x":1}}')); // true
 * ```
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return a !== a && b !== b; // NaN
  }
  const arrayA = Array.isArray(a);
  if (arrayA !== Array.isArray(b)) return false;
  if (arrayA) {
    const xs = a as readonly unknown[];
    const ys = b as readonly unknown[];
    const n = xs.length;
    if (n !== ys.length) return false;
    for (let i = n - 1; i >= 0; i--) if (!deepEqual(xs[i], ys[i])) return false;
    return true;
  }
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  const ra = a as Readonly<Record<string, unknown>>;
  const rb = b as Readonly<Record<string, unknown>>;
  const keys = Object.keys(ra);
  const n = keys.length;
  if (n !== Object.keys(rb).length) return false;
  // Last keys first: a resource's status and spec come after its kind and metadata, and are where
  // two versions differ most often (fast-deep-equal walks in the same order).
  for (let i = n - 1; i >= 0; i--) {
    const key = keys[i] as string;
    if (!hasOwn(rb, key) || !deepEqual(ra[key], rb[key])) return false;
  }
  return true;
}

const hasOwn = (value: object, key: string): boolean => Object.prototype.hasOwnProperty.call(value, key);
