/**
 * Deep equality for JSON-like data: fast-deep-equal on the hot path, with a fallback for objects
 * without a prototype (`Object.create(null)`, e.g. from some parsers), on which fast-deep-equal
 * throws because it calls `valueOf`.
 *
 * @module
 */
import fastEqual from 'fast-deep-equal';

/** True when `a` and `b` are deeply equal (same reference short-circuits in O(1)). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  try {
    return fastEqual(a, b);
  } catch {
    return slowEqual(a, b);
  }
}

function slowEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return a !== a && b !== b; // NaN
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => slowEqual(item, b[i]));
  }
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const rb = b as Record<string, unknown>;
  const ra = a as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && slowEqual(ra[k], rb[k]));
}
