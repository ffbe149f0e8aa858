import { mergeMap } from 'rxjs';
import type { OperatorFunction } from 'rxjs';
import { keyOf } from '../src/index.js';
import type { Request, WatchEvent } from '../src/index.js';

/** Options of {@link triggerOwners}. */
export interface TriggerOwnersOptions {
  /** Only follow the owner reference marked `controller: true`. Default false. */
  readonly controllerOnly?: boolean;
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
 * import { triggerOwners, watchRequests, workQueue } from 'rx-reconcile/operators';
 *
 * merge(watchRequests(store, 'App'), store.watch('Pod').pipe(triggerOwners('App'))).pipe(workQueue(reconcileApp));
 * ```
 */
export function triggerOwners(ownerKind: string, options: TriggerOwnersOptions = {}): OperatorFunction<WatchEvent, Request> {
  return mergeMap((event) => {
    const requests: Request[] = [];
    if (event.type === 'synced') return requests;
    // Data from a store is not trusted here: a child of the wrong shape must not stop its owner's loop.
    const refs: unknown = (event as { object?: { metadata?: { ownerReferences?: unknown } } } | undefined)?.object?.metadata?.ownerReferences;
    if (!Array.isArray(refs)) return requests;
    for (const ref of refs as unknown[]) {
      if (!isReference(ref) || ref.kind !== ownerKind) continue;
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
