import { combineLatest, defer, finalize, isObservable, map, mergeMap, take, throwError } from 'rxjs';
import type { ObservableInput, OperatorFunction } from 'rxjs';
import type { Key, MaybeAsync, Observation, ReconcileRequest } from '../src/index.js';
import { isPromiseLike, openReader, toObservable } from './read.js';
import type { Reader } from './read.js';

/** Where `observe` reads the desired and the current state of a key. */
export interface ObserveOptions<D, C> {
  /** `key => desired` (value, Promise or Observable), or `{ latest$ }`: a stream of keyed collections. */
  readonly desired: Reader<D>;
  /** `key => current` (value, Promise or Observable), or `{ latest$ }`: a stream of keyed collections. */
  readonly current: Reader<C>;
}

/**
 * Reads the desired and current state of each key into an `Observation { key, desired, current }`.
 *
 * The first step of a pass. Each side comes from a function of the key (returning a value, a Promise
 * or an Observable, whose first value counts) or from the latest value of a stream of keyed
 * collections (`{ latest$ }`, a `Map` or a record by key; a key absent from it reads `undefined`).
 * Keys that arrive before a stream's first value wait for it: nothing is dropped.
 *
 * ## Example
 * ```ts
 * import { of } from 'rxjs';
 * import { createMemoryStore, setDiff } from 'rx-reconcile';
 * import { compare, observe } from 'rx-reconcile/operators';
 *
 * const store = createMemoryStore();
 * const running = new Map<string, number>(); // the world: replicas running per app
 * of('web').pipe(
 *   observe({ desired: (key) => store.get<{ replicas: number }>('App', key), current: (key) => running.get(key) }),
 *   compare((desired, current, key) => setDiff({ [key]: desired?.spec.replicas ?? 0 }, current === undefined ? {} : { [key]: current })),
 * );
 * ```
 *
 * @see {@link compare} the next step.
 */
export function observe<D, C>(options: ObserveOptions<D, C>): OperatorFunction<Key | ReconcileRequest, Observation<D | undefined, C | undefined>> {
  const { desired, current } = options;
  if (typeof desired === 'function' && typeof current === 'function') {
    // Function readers keep no state: read both per key, without an operator chain when the reads
    // are plain values or Promises (the common case, once per pass).
    return mergeMap((item) => readBoth(typeof item === 'string' ? item : item.key, desired, current));
  }
  return (source) =>
    defer(() => {
      const d = openReader(desired);
      const c = openReader(current);
      return source.pipe(
        mergeMap((item) => {
          const key = typeof item === 'string' ? item : item.key;
          return combineLatest([d.read(key).pipe(take(1)), c.read(key).pipe(take(1))]).pipe(
            map(([dv, cv]): Observation<D | undefined, C | undefined> => ({ key, desired: dv, current: cv })),
          );
        }),
        finalize(() => {
          d.close();
          c.close();
        }),
      );
    });
}


function readBoth<D, C>(
  key: Key,
  readDesired: (key: Key) => MaybeAsync<D | undefined>,
  readCurrent: (key: Key) => MaybeAsync<C | undefined>,
): ObservableInput<Observation<D | undefined, C | undefined>> {
  let d: MaybeAsync<D | undefined>;
  let c: MaybeAsync<C | undefined>;
  try {
    d = readDesired(key);
    c = readCurrent(key);
  } catch (error) {
    return throwError(() => error);
  }
  if (isObservable(d) || isObservable(c)) {
    return combineLatest([toObservable(d).pipe(take(1)), toObservable(c).pipe(take(1))]).pipe(
      map(([dv, cv]): Observation<D | undefined, C | undefined> => ({ key, desired: dv, current: cv })),
    );
  }
  if (!isPromiseLike(d) && !isPromiseLike(c)) return [{ key, desired: d, current: c }];
  return Promise.all([d, c]).then(([dv, cv]): Observation<D | undefined, C | undefined> => ({ key, desired: dv, current: cv }));
}
