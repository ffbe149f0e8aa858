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
   * Takes one emission; returns the keys it changed (in emission order). Throws a `TypeError` naming
   * the problem for an emission of the wrong shape (the caller logs it and goes on).
   */
  apply(emission: Keyed<T>): Key[] {
    this.seen = true;
    const changed: Key[] = [];
    if (Array.isArray(emission)) {
      for (const change of emission as readonly KeyedChange<T>[]) {
        if (typeof change !== 'object' || change === null || typeof change.key !== 'string' || change.key === '') {
          throw new TypeError(`a keyed change must be { key, value } or { key, deleted: true } with a non-empty string key (got ${show(change)})`);
        }
        if ('deleted' in change && change.deleted === true) {
          if (this.values.delete(change.key)) changed.push(change.key);
        } else if ('value' in change) this.set(change.key, change.value, changed);
        else throw new TypeError(`a keyed change needs a value or deleted: true (key ${JSON.stringify(change.key)})`);
      }
      return changed;
    }
    const next = emission instanceof Map ? (emission as ReadonlyMap<Key, T>) : entriesOf(emission as Readonly<Record<Key, T>>);
    for (const key of this.values.keys()) {
      if (!next.has(key)) {
        this.values.delete(key);
        changed.push(key);
      }
    }
    for (const [key, value] of next) {
      if (typeof key !== 'string' || key === '') throw new TypeError(`a snapshot key must be a non-empty string (got ${show(key)})`);
      this.set(key, value, changed);
    }
    return changed;
  }

  private set(key: Key, value: T, changed: Key[]): void {
    const had = this.values.has(key);
    const before = this.values.get(key);
    if (had && (before === value || deepEqual(before, value))) return;
    this.values.set(key, value);
    changed.push(key);
  }
}

function entriesOf<T>(record: Readonly<Record<Key, T>>): ReadonlyMap<Key, T> {
  if (typeof record !== 'object' || record === null) throw new TypeError(`a keyed snapshot must be a Map, a plain object or a list of changes (got ${show(record)})`);
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
