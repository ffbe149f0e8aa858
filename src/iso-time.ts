/**
 * Timestamps as stores and conditions write them: ISO-8601 UTC with milliseconds.
 *
 * `new Date(ms).toISOString()` costs ~0.5 µs, and a busy store writes many resources within the same
 * millisecond (a create stamps `creationTimestamp`, a pass stamps `lastTransitionTime`): the last
 * string is kept and returned again for the same millisecond.
 *
 * @module
 */

let lastMs = Number.NaN;
let lastText = '';

/**
 * The ISO-8601 UTC form of a time in epoch milliseconds, as `new Date(ms).toISOString()` gives it
 * (which throws a `RangeError` for a time outside the `Date` range, as here).
 *
 * ## Example
 * ```ts
 * isoTime(0); // '1970-01-01T00:00:00.000Z'
 * ```
 */
export function isoTime(ms: number): string {
  if (ms === lastMs) return lastText;
  const text = new Date(ms).toISOString();
  lastMs = ms;
  lastText = text;
  return text;
}
