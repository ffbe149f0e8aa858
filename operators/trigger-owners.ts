import { mergeMap } from 'rxjs';
import type { OperatorFunction } from 'rxjs';
import { keyOf } from '../src/index.js';
import { noopLogger, safeLogger } from '../src/index.js';
import type { Logger, ReconcileRequest, WatchEvent } from '../src/index.js';

/** Options of {@link triggerOwners}. */
export interface TriggerOwnersOptions {
  /** Only follow the owner reference marked `controller: true`. Default false. */
  readonly controllerOnly?: boolean;
  /** Where children with malformed owner references are logged. */
  readonly logger?: Logger;
}

/**
 * Maps changes of child resources to `dependency` requests for their owners of `ownerKind`, through
 * each child's `metadata.ownerReferences`.
 *
 * Use it when a loop creates children and must react when one changes or disappears (like
 * controller-runtime's `Owns()`). For relations that are not owner references, use
 * {@link triggerWith}.
 *
 * ## Example
 * ```ts
 * import { merge } from 'rxjs';
 * import { Outcome, createMemoryStore } from 'rx-reconcile';
 * import { triggerOwners, watchRequests, workQueue } from 'rx-reconcile/operators';
 *
 * const store = createMemoryStore();
 * // A change of a Pod wakes the App that owns it (its ownerReferences).
 * merge(watchRequests(store, 'App'), store.watch('Pod').pipe(triggerOwners('App')))
 *   .pipe(workQueue(() => Outcome.converged()))
 *   .subscribe();
 * ```
 */
export function triggerOwners(ownerKind: string, options: TriggerOwnersOptions = {}): OperatorFunction<WatchEvent, ReconcileRequest> {
  const logger = safeLogger(options.logger ?? noopLogger);
  return mergeMap((event) => {
    const requests: ReconcileRequest[] = [];
    if (typeof event !== 'object' || event === null || event.type === 'synced') return requests;
    // Data from a store is not trusted here: a child of the wrong shape must not stop its owner's loop.
    const metadata = (event as { object?: { metadata?: { name?: unknown; ownerReferences?: unknown } } }).object?.metadata;
    const refs: unknown = metadata?.ownerReferences;
    if (refs === undefined) return requests;
    if (!Array.isArray(refs)) {
      logger.warn({ child: String(metadata?.name), ownerReferences: typeof refs }, 'Child with malformed ownerReferences: no owner triggered');
      return requests;
    }
    for (const ref of refs as unknown[]) {
      if (!isReference(ref)) {
        logger.warn({ child: String(metadata?.name) }, 'Child with a malformed owner reference: skipped');
        continue;
      }
      if (ref.kind !== ownerKind) continue;
      if (options.controllerOnly === true && ref.controller !== true) continue;
      requests.push({ key: keyOf({ metadata: ref }), reason: 'dependency' });
    }
    return requests;
  });
}

/** An owner reference with a string kind and a non-empty name (anything else is skipped). */
function isReference(value: unknown): value is { kind: string; name: string; namespace?: string; controller?: boolean } {
  if (typeof value !== 'object' || value === null) return false;
  const ref = value as { kind?: unknown; name?: unknown; namespace?: unknown };
  return (
    typeof ref.kind === 'string' &&
    typeof ref.name === 'string' &&
    ref.name !== '' &&
    (ref.namespace === undefined || typeof ref.namespace === 'string')
  );
}
