/**
 * The latest keyed values of a stream (`desired$` or `current$` of a stream loop), and which keys an
 * emission changed.
 *
 * A stream emits either whole snapshots — a `Map` or a plain object of key → value — or lists of
 * changes (`{ key, value }` to set, `{ key, deleted: true }` to remove). A snapshot replaces the
 * known values: keys missing from it are removed. The changed keys are exactly those whose value is
 * not deeply equal to the one before, or that appeared or disappeared.
 *
 * @module
 */
import { deepEqual } from '../../src/index.js';
import type { Key } from '../../src/index.js';

/** One change of a keyed stream. */
export type KeyedChange<T> = { readonly key: Key; readonly value: T } | { readonly key: Key; readonly deleted: true };

/**
 * What a keyed stream emits: a whole snapshot (`Map` or plain object of key → value), or a list of
 * changes (an array of {@link KeyedChange}).
 */
export type Keyed<T> = ReadonlyMap<Key, T> | Readonly<Record<Key, T>> | readonly KeyedChange<T>[];

/** The latest values of one keyed stream. */
export class KeyedState<T> {
  private readonly values = new Map<Key, T>();
  /** True once the stream emitted anything. */
  seen = false;

  get(key: Key): T | undefined {
    return this.values.get(key);
  }

  has(key: Key): boolean {
    return this.values.has(key);
  }

  keys(): IterableIterator<Key> {
    return this.values.keys();
  }

  get size(): number {
    return this.values.size;
  }

  /**
   * Takes one emission; returns the keys it changed (in emission order) and what it skipped. An entry
   * of the wrong shape (a change without a string key or without a value, a snapshot key that is not a
   * non-empty string) is skipped and described in `skipped`; the rest of the emission is applied, so
   * one bad entry loses nothing else. An emission that is not a `Map`, an object or a list throws a
   * `TypeError` naming the problem, and changes nothing.
   */
  apply(emission: Keyed<T>): { readonly changed: Key[]; readonly skipped: string[] } {
    const changed: Key[] = [];
    const skipped: string[] = [];
    if (Array.isArray(emission)) {
      this.seen = true;
      for (const change of emission as readonly unknown[]) {
        const problem = changeProblem(change);
        if (problem !== undefined) {
          skipped.push(problem);
          continue;
        }
        const { key } = change as KeyedChange<T>;
        if ('deleted' in (change as object) && (change as { deleted?: unknown }).deleted === true) {
          if (this.values.delete(key)) changed.push(key);
        } else this.set(key, (change as { value: T }).value, changed);
      }
      return { changed, skipped };
    }
    const given = emission instanceof Map ? (emission as ReadonlyMap<unknown, T>) : entriesOf(emission as Readonly<Record<Key, T>>);
    this.seen = true;
    const next = new Map<Key, T>();
    for (const [key, value] of given) {
      if (typeof key !== 'string' || key === '') skipped.push(`a snapshot key must be a non-empty string (got ${show(key)})`);
      else next.set(key, value);
    }
    for (const key of this.values.keys()) {
      if (!next.has(key)) {
        this.values.delete(key);
        changed.push(key);
      }
    }
    for (const [key, value] of next) this.set(key, value, changed);
    return { changed, skipped };
  }

  private set(key: Key, value: T, changed: Key[]): void {
    const had = this.values.has(key);
    const before = this.values.get(key);
    if (had && (before === value || sameValue(before, value))) return;
    this.values.set(key, value);
    changed.push(key);
  }
}

/** `deepEqual`, where a value that cannot be compared (a throwing getter or Proxy) counts as changed. */
function sameValue(a: unknown, b: unknown): boolean {
  try {
    return deepEqual(a, b);
  } catch {
    return false;
  }
}

/** What is wrong with one entry of a list of changes, or `undefined` when it is a change. */
function changeProblem(change: unknown): string | undefined {
  if (typeof change !== 'object' || change === null || typeof (change as { key?: unknown }).key !== 'string' || (change as { key: string }).key === '') {
    return `a keyed change must be { key, value } or { key, deleted: true } with a non-empty string key (got ${show(change)})`;
  }
  const key = (change as { key: string }).key;
  if ((change as { deleted?: unknown }).deleted === true || 'value' in change) return undefined;
  return `a keyed change needs a value or deleted: true (key ${JSON.stringify(key)})`;
}

function entriesOf<T>(record: Readonly<Record<Key, T>>): ReadonlyMap<Key, T> {
  if (typeof record !== 'object' || record === null) throw new TypeError(`a keyed snapshot must be a Map, a plain object or a list of changes (got ${show(record)})`);
  // A Promise (a `map(async …)` slip), a Set of keys, a Date: read as an object they have no keys, and
  // an empty snapshot would clean up every key. Refused, so the state stays as it was.
  const proto: unknown = Object.getPrototypeOf(record);
  if (proto !== Object.prototype && proto !== null) {
    const name = typeof record.constructor === 'function' && typeof record.constructor.name === 'string' ? record.constructor.name : 'an object with a prototype';
    const hint = typeof (record as { then?: unknown }).then === 'function' ? ' (emit the value, not a Promise of it: mergeMap/concatMap an async function, not map)' : '';
    throw new TypeError(`a keyed snapshot must be a Map, a plain object or a list of changes (got a ${name})${hint}; nothing was changed`);
  }
  const map = new Map<Key, T>();
  for (const key of Object.keys(record)) map.set(key, record[key] as T);
  return map;
}

function show(value: unknown): string {
  try {
    return typeof value === 'object' ? String(JSON.stringify(value)).slice(0, 80) : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
