/**
 * Option checking: one zod schema per options object, checked when the thing is defined, with
 * errors that name the bad key and say what to do.
 *
 * Every builder of the library (`defineLoop`, `workQueue`, `resync`, the backoff builders…) checks its
 * options here before anything starts. Unknown keys are refused, with the nearest known key as a
 * suggestion (`resyncPeriod` → did you mean `resync`?), so a misspelt option never silently does
 * nothing. The options object itself is returned as given (functions, stores and schedulers are never
 * wrapped or copied).
 *
 * @module
 */
import { z } from 'zod';
import type { ZodType } from 'zod';
import { InvalidArgumentError } from './errors.js';

/** The largest delay a JavaScript timer takes (2³¹ − 1 ms ≈ 24.8 days); longer delays are chained. */
export const maxTimerDelay = 2_147_483_647;

/**
 * Checks `value` against `schema` and returns it unchanged; throws an `InvalidArgumentError` that
 * names each bad key (`where: workers must be …, got 0`) and, for unknown keys, the nearest known one.
 *
 * ## Example
 * ```ts
 * checkOptions('resync', z.strictObject({ every: ms('every') }), { every: Number.NaN });
 * // InvalidArgumentError: resync: every must be a number of ms ≥ 0 (got NaN)
 * ```
 */
export function checkOptions<T>(where: string, schema: ZodType, value: T, known?: readonly string[]): T {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgumentError(`${where}: options must be an object (got ${show(value)})`);
  }
  const result = schema.safeParse(value);
  if (result.success) return value;
  const lines: string[] = [];
  for (const issue of result.error.issues) {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const keys = (issue as { keys?: readonly string[] }).keys ?? [];
      const names = issue.path.length === 0 ? (known ?? objectKeys(schema)) : objectKeys(schemaAt(schema, issue.path));
      for (const key of keys) {
        const near = nearest(key, names);
        lines.push(
          `unknown option ${JSON.stringify(path === '' ? key : `${path}.${key}`)}` +
            (near === undefined ? '' : `: did you mean ${JSON.stringify(near)}?`) +
            (names.length > 0 ? ` (known: ${names.join(', ')})` : ''),
        );
      }
      continue;
    }
    const given = path === '' ? value : valueAt(value, issue.path);
    const message = issue.message.startsWith('Invalid input') ? issue.message.replace(/^Invalid input: /, '') : issue.message;
    lines.push(`${path === '' ? 'options' : path} ${message.startsWith('must') ? message : `is invalid: ${message}`} (got ${show(given)})`);
  }
  throw new InvalidArgumentError(`${where}: ${lines.join('; ')}`);
}

// ---- schema pieces with messages that say what to give ----------------------------------------------

/** A number of milliseconds ≥ 0, finite. Delays longer than a timer takes are fine (they are chained). */
export const ms = (): z.ZodNumber => z.number({ error: 'must be a finite number of ms ≥ 0' }).min(0, 'must be a finite number of ms ≥ 0');

/** A period in ms > 0, finite. */
export const period = (): z.ZodNumber => z.number({ error: 'must be a finite period in ms > 0' }).gt(0, 'must be a finite period in ms > 0');

/** An integer in [min, max]. */
export const int = (min: number, max = Number.MAX_SAFE_INTEGER): z.ZodNumber => {
  const message = max === Number.MAX_SAFE_INTEGER ? `must be an integer ≥ ${min}` : `must be an integer from ${min} to ${max}`;
  return z.number({ error: message }).int(message).min(min, message).max(max, message);
};

/** A function (checked by type only; never wrapped). */
export const fn = (what = 'a function'): z.ZodType<(...args: never[]) => unknown> =>
  z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', `must be ${what}`);

/** An object with the given methods (duck-typed; never copied). */
export const withMethods = <T>(what: string, ...methods: readonly string[]): z.ZodType<T> =>
  z.custom<T>(
    (v) => typeof v === 'object' && v !== null && methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
    `must be ${what} (an object with ${methods.join(', ')})`,
  );

/** A `SchedulerLike` (`now()` and `schedule()`). */
export const schedulerLike = <T>(): z.ZodType<T> => withMethods<T>('a SchedulerLike such as asyncScheduler', 'now', 'schedule');

/** A non-empty string. */
export const name = (what: string): z.ZodString => z.string({ error: `must be ${what}` }).min(1, `must be ${what}`);

// ---- helpers ------------------------------------------------------------------------------------------

function objectKeys(schema: unknown): string[] {
  const shape = (schema as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape === undefined ? [] : Object.keys(shape);
}

/** The object schema at `path` inside `schema` (through optional and nullable wrappers), if any. */
function schemaAt(schema: unknown, path: readonly PropertyKey[]): unknown {
  let at: unknown = schema;
  for (const key of path) {
    at = unwrap(at);
    const shape = (at as { shape?: Record<string, unknown> } | undefined)?.shape;
    if (shape === undefined) return undefined;
    at = shape[String(key)];
  }
  return unwrap(at);
}

function unwrap(schema: unknown): unknown {
  let at = schema as { unwrap?: () => unknown; shape?: unknown } | undefined;
  for (let i = 0; i < 5 && at !== undefined && at.shape === undefined && typeof at.unwrap === 'function'; i++) at = at.unwrap() as typeof at;
  return at;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at: unknown = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

function show(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

/** The known key closest to `key` (edit distance ≤ a third of its length, or a shared stem), if any. */
export function nearest(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of known) {
    const c = candidate.toLowerCase();
    let score = distance(lower, c);
    if (lower.startsWith(c) || c.startsWith(lower)) score = Math.min(score, 1);
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** Levenshtein distance (small strings only). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] as number;
}
