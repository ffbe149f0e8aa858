import { mergeMap } from 'rxjs';
import type { OperatorFunction } from 'rxjs';
import { noopLogger, safeLogger, toError } from '../src/index.js';
import type { Key, Logger, ReconcileRequest } from '../src/index.js';

/** Options of {@link triggerWith}. */
export interface TriggerWithOptions {
  /** Where a throwing or wrong-shaped `map` is logged (per value). */
  readonly logger?: Logger;
}

/**
 * Maps each value (a watch event of another kind, a message, a timer tick…) to `dependency`
 * requests for the keys `map` returns.
 *
 * Use it for relations that are not owner references: a ConfigMap used by many Apps, a row in
 * another system that several resources mirror. For owner references, use {@link triggerOwners}.
 *
 * ## Example
 * ```ts
 * import { createMemoryStore } from 'rx-reconcile';
 * import { triggerWith } from 'rx-reconcile/operators';
 *
 * const store = createMemoryStore();
 * const appsUsing = (config: string): string[] => (config === 'shared' ? ['web', 'api'] : [config]);
 * // A Config change wakes every App that reads it.
 * store.watch('Config').pipe(triggerWith((event) => (event.type === 'synced' ? [] : appsUsing(event.object.metadata.name))));
 * ```
 *
 * ## Guarantees
 * - A `map` that throws, returns something that is not an iterable, or yields keys that are not
 *   non-empty strings costs that value only (logged at `error`); the stream goes on (G14).
 */
export function triggerWith<T>(map: (value: T) => Iterable<Key>, options: TriggerWithOptions = {}): OperatorFunction<T, ReconcileRequest> {
  const logger = safeLogger(options.logger ?? noopLogger);
  return mergeMap((value) => {
    const requests: ReconcileRequest[] = [];
    try {
      for (const key of map(value)) {
        if (typeof key === 'string' && key !== '') requests.push({ key, reason: 'dependency' });
        else logger.error({ key: String(key) }, 'Dependency map returned a key that is not a non-empty string: skipped');
      }
    } catch (error) {
      logger.error({ err: toError(error), requests: requests.length }, 'Dependency map threw or returned a non-iterable: this event triggers nothing more');
    }
    return requests;
  });
}
