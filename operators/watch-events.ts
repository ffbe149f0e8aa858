import { asyncScheduler, defer, filter, repeat, retry, tap } from 'rxjs';
import type { Observable, SchedulerLike } from 'rxjs';
import { z } from 'zod';
import { Backoff, CompactedError, InvalidArgumentError, noopLogger, safeLogger, timerAfter, toError } from '../src/index.js';
import type { BackoffPolicy, Logger, ResourceEvent, Store, WatchEvent } from '../src/index.js';
import { checkOptions } from '../src/check-options.js';

/** Options of {@link watchEvents}. */
export interface WatchEventsOptions {
  /** Where dropped malformed events and restarts are logged. */
  readonly logger?: Logger;
  /** Delays between restarts after the watch fails (attempts beyond `steps` repeat the last). Default `Backoff.defaultPolicy`. */
  readonly backoff?: BackoffPolicy;
  /** Time source of the restart delays. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Random source for jittered restart delays. Default `Math.random`. */
  readonly random?: () => number;
  /** Called when the watch has delivered the kind's whole list (at start and after each re-list). */
  readonly onSynced?: (revision: number) => void;
  /** Called when the watch failed or ended, before it restarts after `retryInMs`. */
  readonly onError?: (error: Error, retryInMs: number) => void;
}

const fnOf = (what: string) => z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', `must be ${what}`);

/** The zod shape of {@link WatchEventsOptions} (extended by `watchRequests`). */
export const watchEventsShape = {
  logger: z.custom<Logger>((v) => typeof v === 'object' && v !== null, 'must be a pino-compatible logger').optional(),
  backoff: z.custom<BackoffPolicy>((v) => typeof v === 'object' && v !== null, 'must be a backoff policy').optional(),
  scheduler: z.custom<SchedulerLike>((v) => typeof v === 'object' && v !== null, 'must be a SchedulerLike').optional(),
  random: fnOf('a function').optional(),
  onSynced: fnOf('a function (revision) => void').optional(),
  onError: fnOf('a function (error, retryInMs) => void').optional(),
};

/** True when `event` has the shape of a resource event with a named resource. */
export function isWellFormedEvent(event: unknown): event is ResourceEvent {
  if (typeof event !== 'object' || event === null) return false;
  const e = event as Partial<ResourceEvent>;
  if (e.type !== 'added' && e.type !== 'modified' && e.type !== 'deleted') return false;
  const metadata = (e.object as { metadata?: { name?: unknown; generation?: unknown } } | undefined)?.metadata;
  return typeof metadata?.name === 'string' && metadata.name !== '' && typeof metadata.generation === 'number';
}

/**
 * A store's watch of `kind` that never ends: the kind's list, then every change, forever — resuming
 * after failures from the last revision seen, like client-go's reflector. Only well-formed resource
 * events come out (malformed ones are dropped with a warning; `synced` markers are told to `onSynced`).
 *
 * Use it where a raw `store.watch(kind)` would end a loop on the store's first error: dependency
 * triggers (`watchEvents(store, 'Page').pipe(triggerOwners('Site'))`), caches, mirrors.
 * `watchRequests` is built on it.
 *
 * ## Example
 * ```ts
 * import pino from 'pino';
 * import { createMemoryStore } from 'rx-reconcile';
 * import { triggerOwners, watchEvents } from 'rx-reconcile/operators';
 *
 * const store = createMemoryStore();
 * // Never errors: a failing watch resumes from its last revision (or lists again), logged.
 * const pages$ = watchEvents(store, 'Page', { logger: pino() }).pipe(triggerOwners('Site'));
 * ```
 *
 * ## Expected flow
 * 1. The watch lists the kind (`initial` events), then the store says `synced` (`onSynced`).
 * 2. Each change comes out as it is.
 * 3. The watch fails or ends: logged at `warn`, `onError` is told, and after a backoff delay the
 *    watch resumes from the last revision it saw — or lists again when it had not listed fully yet,
 *    or the store answers `CompactedError` (at once, logged: "re-listing").
 *
 * ## Guarantees
 * - The stream never errors and never completes by itself: store failures only delay it (G14).
 * - Resuming replays every change after the last one seen: no gap (G18); a re-list replays the
 *   whole kind (as `initial` events), so no resource that still exists is missed.
 * - Throwing callbacks and loggers are contained.
 *
 * ## Caveats
 * - A resource deleted (without finalizers) while the watch was down and then re-listed gives no
 *   event: clean its world counterpart up with an orphan sweep over the world's keys, or a finalizer.
 */
export function watchEvents<Spec = unknown, Status = unknown>(store: Store, kind: string, options: WatchEventsOptions = {}): Observable<ResourceEvent<Spec, Status>> {
  checkOptions('watchEvents', z.strictObject(watchEventsShape), options);
  return supervisedWatch<Spec, Status>(store, kind, options);
}

/** {@link watchEvents} without the option check (for operators that checked their own options). */
export function supervisedWatch<Spec, Status>(store: Store, kind: string, options: WatchEventsOptions): Observable<ResourceEvent<Spec, Status>> {
  const logger = safeLogger(options.logger ?? noopLogger);
  const policy = options.backoff ?? Backoff.defaultPolicy;
  const scheduler = options.scheduler ?? asyncScheduler;
  const random = options.random ?? Math.random;
  const steps = Backoff.steps(policy);

  return defer(() => {
    /** The revision to resume after, once the kind was listed fully; undefined: list again. */
    let resumeAfter: number | undefined;
    let failures = 0;
    const restartIn = (error: Error): number => {
      if (error instanceof CompactedError) {
        resumeAfter = undefined;
        logger.warn({ kind, requested: error.requested }, 'Watch history compacted: re-listing');
        return 0;
      }
      // The store refused to resume from that revision (a value it never gave out): list again.
      if (error instanceof InvalidArgumentError && resumeAfter !== undefined) resumeAfter = undefined;
      failures += 1;
      return Backoff.delayFor(policy, Math.min(failures, steps), random);
    };
    const restart = (error: Error): Observable<0> => {
      const delay = restartIn(error);
      logger.warn({ kind, err: error, retryIn: delay, resume: resumeAfter ?? 'list' }, 'Watch failed: restarting');
      call(logger, () => options.onError?.(error, delay));
      return timerAfter(delay, scheduler);
    };
    return defer(() =>
      resumeAfter === undefined ? store.watch<Spec, Status>(kind) : store.watch<Spec, Status>(kind, { sinceRevision: resumeAfter }),
    ).pipe(
      tap((event: WatchEvent<Spec, Status>) => {
        failures = 0;
        if (typeof event !== 'object' || event === null) return;
        if (event.type === 'synced') {
          if (isRevision(event.revision)) resumeAfter = event.revision;
          call(logger, () => options.onSynced?.(event.revision));
        } else if (resumeAfter !== undefined && isWellFormedEvent(event) && isRevision(event.object.metadata.revision)) {
          // Only a real revision (a safe integer ≥ 0): one Infinity or NaN would be resumed from forever.
          resumeAfter = Math.max(resumeAfter, event.object.metadata.revision);
        }
      }),
      retry({ delay: (thrown: unknown) => restart(toError(thrown)) }),
      repeat({ delay: () => restart(new Error(`the watch of ${kind} ended`)) }),
      filter((event): event is ResourceEvent<Spec, Status> => {
        if (isWellFormedEvent(event)) return true;
        if ((event as WatchEvent | undefined)?.type !== 'synced') logger.warn({ kind, event: describeEvent(event) }, 'Dropped malformed watch event');
        return false;
      }),
    );
  });
}

/** A revision a store can resume from: a safe integer ≥ 0. */
function isRevision(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Calls a user callback; a throw is logged, never thrown. */
function call(logger: Logger, callback: () => void): void {
  try {
    callback();
  } catch (error) {
    logger.error({ err: toError(error) }, 'A watch callback threw');
  }
}

function describeEvent(event: unknown): string {
  try {
    const text = JSON.stringify(event);
    return text === undefined ? String(event) : text.slice(0, 200);
  } catch {
    return Object.prototype.toString.call(event);
  }
}
