/**
 * Text helpers for the testing kit's messages: stable JSON, short values, item diffs.
 *
 * @module
 */
import type { Items } from './world.js';

/**
 * JSON with object keys sorted, so equal values always print (and hash) the same.
 *
 * Use it to compare or fingerprint plain-data states in your own checks.
 *
 * ## Example
 * ```ts
 * import { stableJson } from 'rx-reconcile/testing';
 *
 * stableJson({ b: 1, a: [2] }); // '{"a":[2],"b":1}'
 * ```
 */
export function stableJson(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? String(value);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : stableJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}

/**
 * A value as short stable JSON (cut at `max` characters).
 *
 * ## Example
 * ```ts
 * import { show } from 'rx-reconcile/testing';
 *
 * show({ b: 1, a: 'x' }); // '{"a":"x","b":1}'
 * ```
 */
export function show(value: unknown, max = 160): string {
  const text = stableJson(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Lines that say how `actual` items differ from `expected` ones (empty when equal).
 *
 * ## Example
 * ```ts
 * import { diffItems } from 'rx-reconcile/testing';
 *
 * diffItems({ a: 1 }, { a: 2, b: 3 }); // ['"a" is 2, expected 1', 'extra "b" = 3']
 * ```
 */
export function diffItems<V>(expected: Items<V>, actual: Items<V>): string[] {
  const lines: string[] = [];
  const targets = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  for (const target of targets) {
    const want = Object.hasOwn(expected, target);
    const have = Object.hasOwn(actual, target);
    if (want && !have) lines.push(`missing ${JSON.stringify(target)} (expected ${show(expected[target])})`);
    else if (!want && have) lines.push(`extra ${JSON.stringify(target)} = ${show(actual[target])}`);
    else if (stableJson(expected[target]) !== stableJson(actual[target])) {
      lines.push(`${JSON.stringify(target)} is ${show(actual[target])}, expected ${show(expected[target])}`);
    }
  }
  return lines;
}

/**
 * Milliseconds as a padded virtual time label, e.g. `t=   1500`.
 *
 * ## Example
 * ```ts
 * at(1500); // 't=   1500'
 * ```
 */
export function at(ms: number): string {
  return `t=${String(ms).padStart(7)}`;
}

/**
 * The leaves that differ between two plain-data values, as `path: before → after` lines (at most
 * `max`), e.g. `status.syncedAt: "…00Z" → "…01Z"`.
 *
 * Use it to explain what a write changed.
 *
 * ## Example
 * ```ts
 * import { diffValues } from 'rx-reconcile/testing';
 *
 * diffValues({ a: 1, b: { c: 2 } }, { a: 1, b: { c: 3 } }, 'spec'); // ['spec.b.c: 2 → 3']
 * ```
 */
export function diffValues(before: unknown, after: unknown, path = '', max = 6): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, at: string): void => {
    if (out.length >= max || stableJson(a) === stableJson(b)) return;
    const objects = typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && Array.isArray(a) === Array.isArray(b);
    if (!objects) {
      out.push(`${at || '(value)'}: ${a === undefined ? '(none)' : show(a, 80)} → ${b === undefined ? '(none)' : show(b, 80)}`);
      return;
    }
    const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])].sort();
    for (const key of keys) {
      walk((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], at === '' ? key : `${at}.${key}`);
    }
  };
  walk(before, after, path);
  return out;
}

/**
 * Lines that say how a world changed from `before` to `after` (empty when equal): what was added,
 * removed, or changed value.
 *
 * ## Example
 * ```ts
 * import { diffWorlds } from 'rx-reconcile/testing';
 *
 * diffWorlds({ a: 1, b: 2 }, { a: 3, c: 4 }); // ['"a" was 1, now 3', '"b" was removed (it was 2)', '"c" was added = 4']
 * ```
 */
export function diffWorlds<V>(before: Items<V>, after: Items<V>): string[] {
  const lines: string[] = [];
  const targets = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const target of targets) {
    const was = Object.hasOwn(before, target);
    const is = Object.hasOwn(after, target);
    if (was && !is) lines.push(`${JSON.stringify(target)} was removed (it was ${show(before[target])})`);
    else if (!was && is) lines.push(`${JSON.stringify(target)} was added = ${show(after[target])}`);
    else if (stableJson(before[target]) !== stableJson(after[target])) {
      lines.push(`${JSON.stringify(target)} was ${show(before[target])}, now ${show(after[target])}`);
    }
  }
  return lines;
}
