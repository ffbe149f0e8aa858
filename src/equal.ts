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
 * same time. Beyond JSON: `Map`s with the same keys holding equal values, `Set`s with equal members,
 * `RegExp`s with the same source and flags, typed arrays with the same bytes, and other class
 * instances of the same class with equal own enumerable keys. Same reference short-circuits in O(1).
 * Key order does not matter. Values that refer to themselves (cycles) compare without overflowing the
 * stack.
 *
 * ## Example
 * ```ts
 * import { deepEqual } from 'rx-reconcile';
 *
 * deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }); // true
 * deepEqual(JSON.parse('{"constructor":{"x":1}}'), JSON.parse('{"constructor":{"x":1}}')); // true
 * deepEqual(new Set([80]), new Set([80, 443])); // false
 * ```
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const outer = memo; // a getter read during the walk may compare too: each walk has its own memo
  memo = undefined;
  try {
    return equalAt(a, b, 0);
  } finally {
    memo = outer;
  }
}

/**
 * Nesting past which the pairs compared are remembered. JSON data (a tree) never needs it; shared
 * or cyclic references would otherwise be walked once per path to them (exponentially many) or
 * forever.
 */
const MEMO_DEPTH = 8;

/**
 * Pairs compared since the walk got deeper than {@link MEMO_DEPTH} (a → the `b`s it is or was
 * compared with): one under comparison further up is taken as equal (a cycle adds nothing new), one
 * found equal stays equal; one found unequal is forgotten (compared again if met again).
 */
let memo: Map<object, Set<object>> | undefined;

function equalAt(a: unknown, b: unknown, depth: number): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return a !== a && b !== b; // NaN
  }
  if (memo === undefined && depth < MEMO_DEPTH) return equalObjects(a, b, depth);
  memo ??= new Map();
  let against = memo.get(a);
  if (against?.has(b) === true) return true;
  if (against === undefined) memo.set(a, (against = new Set()));
  against.add(b);
  const equal = equalObjects(a, b, depth);
  if (!equal) against.delete(b);
  return equal;
}

/** Two objects; the JSON cases (arrays, plain objects) inline, the rest in `equalInstances`. */
function equalObjects(a: object, b: object, depth: number): boolean {
  const next = depth + 1;
  const arrayA = Array.isArray(a);
  if (arrayA !== Array.isArray(b)) return false;
  if (arrayA) {
    const xs = a as readonly unknown[];
    const ys = b as readonly unknown[];
    const n = xs.length;
    if (n !== ys.length) return false;
    for (let i = n - 1; i >= 0; i--) if (!equalAt(xs[i], ys[i], next)) return false;
    return true;
  }
  const protoA: unknown = Object.getPrototypeOf(a);
  const protoB: unknown = Object.getPrototypeOf(b);
  // JSON data: plain objects, with or without a prototype.
  if ((protoA === Object.prototype || protoA === null) && (protoB === Object.prototype || protoB === null)) return equalKeys(a, b, next);
  if (protoA !== protoB) return false;
  return equalInstances(a, b, next);
}

/** Same own enumerable keys holding equal values. */
function equalKeys(a: object, b: object, next: number): boolean {
  const ra = a as Readonly<Record<string, unknown>>;
  const rb = b as Readonly<Record<string, unknown>>;
  const keys = Object.keys(ra);
  const n = keys.length;
  if (n !== Object.keys(rb).length) return false;
  // Last keys first: a resource's status and spec come after its kind and metadata, and are where
  // two versions differ most often (fast-deep-equal walks in the same order).
  for (let i = n - 1; i >= 0; i--) {
    const key = keys[i] as string;
    if (!hasOwn(rb, key) || !equalAt(ra[key], rb[key], next)) return false;
  }
  return true;
}

/** Two instances of the same class (same prototype). */
function equalInstances(a: object, b: object, next: number): boolean {
  if (a instanceof Date) return a.getTime() === (b as Date).getTime();
  if (a instanceof RegExp) return a.source === (b as RegExp).source && a.flags === (b as RegExp).flags;
  if (a instanceof Map) {
    const m = b as Map<unknown, unknown>;
    if (a.size !== m.size) return false;
    for (const [key, value] of a) {
      if (!m.has(key) || !equalAt(value, m.get(key), next)) return false;
    }
    return equalKeys(a, b, next);
  }
  if (a instanceof Set) {
    const other = b as Set<unknown>;
    if (a.size !== other.size) return false;
    let unmatched: unknown[] | undefined;
    for (const member of a) {
      if (other.has(member)) continue;
      // An object member: an equal one in the other set, matched once.
      if (typeof member !== 'object' || member === null) return false;
      unmatched ??= [...other].filter((m) => !a.has(m));
      const at = unmatched.findIndex((m) => equalAt(member, m, next));
      if (at < 0) return false;
      unmatched.splice(at, 1);
    }
    return equalKeys(a, b, next);
  }
  if (ArrayBuffer.isView(a)) {
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array((b as ArrayBufferView).buffer, (b as ArrayBufferView).byteOffset, (b as ArrayBufferView).byteLength);
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  if (a instanceof ArrayBuffer) return equalInstances(new Uint8Array(a), new Uint8Array(b as ArrayBuffer), next);
  // Boxed primitives compare by value; any other class by its own enumerable keys.
  if (a instanceof Number || a instanceof String || a instanceof Boolean) return Object.is(a.valueOf(), (b as Number | String | Boolean).valueOf());
  return equalKeys(a, b, next);
}

const hasOwn = (value: object, key: string): boolean => Object.prototype.hasOwnProperty.call(value, key);
