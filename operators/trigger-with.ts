import { mergeMap } from 'rxjs';
import type { OperatorFunction } from 'rxjs';
import type { Key, Request } from '../src/index.js';

/**
 * Maps each value (a watch event of another kind, a message, a timer tick…) to `dependency`
 * requests for the keys `map` returns.
 *
 * Use it for relations that are not owner references: a ConfigMap used by many Apps, a row in
 * another system that several resources mirror. For owner references, use {@link triggerOwners}.
 *
 * ## Example
 * ```ts
 * import { triggerWith } from 'rx-reconcile/operators';
 *
 * store.watch('Config').pipe(triggerWith((event) => appsUsing(event.object.metadata.name)));
 * ```
 */
export function triggerWith<T>(map: (value: T) => Iterable<Key>): OperatorFunction<T, Request> {
  return mergeMap((value) => {
    const requests: Request[] = [];
    for (const key of map(value)) requests.push({ key, reason: 'dependency' });
    return requests;
  });
}
