import { combineLatest, defer, finalize, map, mergeMap, take } from 'rxjs';
import type { OperatorFunction } from 'rxjs';
import type { Key, Observation, Request } from '../src/index.js';
import { openReader } from './read.js';
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
 * import { observe, compare } from 'rx-reconcile/operators';
 *
 * of('web').pipe(
 *   observe({ desired: (key) => store.get('App', key), current: (key) => runtime.inspect(key) }),
 *   compare((desired, current) => planFor(desired, current)),
 * );
 * ```
 *
 * @see {@link compare} the next step.
 */
export function observe<D, C>(options: ObserveOptions<D, C>): OperatorFunction<Key | Request, Observation<D | undefined, C | undefined>> {
  return (source) =>
    defer(() => {
      const desired = openReader(options.desired);
      const current = openReader(options.current);
      return source.pipe(
        mergeMap((item) => {
          const key = typeof item === 'string' ? item : item.key;
          return combineLatest([desired.read(key).pipe(take(1)), current.read(key).pipe(take(1))]).pipe(
            map(([d, c]): Observation<D | undefined, C | undefined> => ({ key, desired: d, current: c })),
          );
        }),
        finalize(() => {
          desired.close();
          current.close();
        }),
      );
    });
}
