/**
 * Quarantine is always visible on status (G12): when a pass that parks its key could not write its
 * own conditions — it was aborted by its timeout or by a stop deadline — the loop writes them after
 * it, from the queue's verdict.
 *
 * @module
 */
import type { SchedulerLike } from 'rxjs';
import { ConflictError, recordPass, toError } from '../../src/index.js';
import type { Logger, PassResult, Store } from '../../src/index.js';
import { isoTime } from '../../src/iso-time.js';

/**
 * Writes the `Degraded` / `Ready` / `Progressing` conditions of a parked key whose last pass was
 * aborted before it could record them. Fire and forget: a failure is logged, never thrown.
 */
export function recordParked(
  result: PassResult,
  options: { readonly store: Store; readonly kind: string; readonly scheduler: SchedulerLike; readonly logger: Logger; readonly prefix?: string | undefined },
): void {
  if (result.parked === undefined || !result.aborted) return;
  const { store, kind, scheduler, logger, prefix } = options;
  const write = async (attempt = 1): Promise<void> => {
    const fresh = await store.get(kind, result.key);
    if (fresh === undefined) return;
    const status = recordPass(
      fresh.status as object | undefined,
      {
        generation: fresh.metadata.generation,
        verdict: { outcome: result.outcome, failureClass: result.failureClass, failures: result.failures, parked: result.parked },
        prefix,
      },
      () => isoTime(scheduler.now()),
    );
    if (status === fresh.status) return;
    try {
      await store.updateStatus({ ...fresh, status });
    } catch (error) {
      // Someone wrote in between: read again (a few times), the key is parked and will not do it.
      if (error instanceof ConflictError && attempt < 3) return write(attempt + 1);
      throw error;
    }
  };
  write().catch((error: unknown) => logger.warn({ key: result.key, error: toError(error).message }, 'Status conditions not written'));
}
