import { noopMetrics } from '../src/index.js';
import type { Logger, LoopProbe, Metrics, PassResult, QueueHooks } from '../src/index.js';

/** Options of {@link instrument}. */
export interface InstrumentOptions {
  /** The loop's child logger (already bound to `loop`). */
  readonly logger: Logger;
  /** The metrics port. Default: records nothing. */
  readonly metrics?: Metrics;
  /** What gauges read at scrape time. */
  readonly probe: LoopProbe;
  /** The user's own hooks, called after the library's. */
  readonly hooks?: QueueHooks;
}

/**
 * Builds the queue hooks that make a loop visible: the structured log lines (`Reconciling`,
 * `Reconcile failed`, quarantine and release) and the metrics of the `metrics` port.
 *
 * `defineLoop` uses it for every loop; a hand-written loop passes its result as `hooks` to
 * `workQueue`. Levels keep a healthy loop quiet at `info`: passes log at `debug`, failures at
 * `warn`, permanent failures and quarantines at `error`.
 *
 * ## Example
 * ```ts
 * import { instrument, workQueue } from 'rx-reconcile/operators';
 *
 * const hooks = instrument({ logger, probe: { name: 'files', stats: () => control.stats() } });
 * triggers$.pipe(workQueue(pass, { control, hooks }));
 * ```
 */
export function instrument(options: InstrumentOptions): QueueHooks {
  const { logger } = options;
  const metrics = (options.metrics ?? noopMetrics).forLoop(options.probe);
  const user = options.hooks;
  return {
    onAdd: (key, reason, revision) => {
      metrics.onAdd?.(key, reason, revision);
      user?.onAdd?.(key, reason, revision);
    },
    onStart: (key, request, queuedMs) => {
      logger.debug({ key, reason: request.reason }, 'Reconciling');
      metrics.onStart?.(key, request, queuedMs);
      user?.onStart?.(key, request, queuedMs);
    },
    onFinish: (result) => {
      logFinish(logger, result);
      metrics.onFinish?.(result);
      user?.onFinish?.(result);
    },
    onRelease: (key, by) => {
      logger.info({ key, by }, 'Key released');
      metrics.onRelease?.(key, by);
      user?.onRelease?.(key, by);
    },
  };
}

function logFinish(logger: Logger, result: PassResult): void {
  const outcome = result.outcome;
  if (outcome.type !== 'retry' && outcome.type !== 'terminal') return;
  const fields = {
    key: result.key,
    error: outcome.error.message,
    code: (outcome.error as { code?: unknown }).code,
    class: result.failureClass,
    retryAfter: result.nextAttemptAt === undefined ? undefined : result.nextAttemptAt - result.finishedAt,
    failures: result.failures,
  };
  if (result.parked === 'quarantined') logger.error(fields, 'Key quarantined');
  else if (result.failureClass === 'permanent') logger.error(fields, 'Reconcile failed');
  else logger.warn(fields, 'Reconcile failed');
}
