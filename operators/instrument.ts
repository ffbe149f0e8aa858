import { noopLogger, noopMetrics } from '../src/index.js';
import type { Key, LogFields, Logger, LoopProbe, Metrics, PassResult, QueueHooks, ReconcileRequest, TriggerReason } from '../src/index.js';

/**
 * Options of {@link instrument}.
 *
 * ## Example
 * ```ts
 * const options: InstrumentOptions = { logger: logger.child({ loop: 'files' }), probe: { name: 'files', stats: () => control.stats() } };
 * ```
 */
export interface InstrumentOptions {
  /** The loop's child logger (already bound to `loop`). */
  readonly logger: Logger;
  /** The metrics port. Default: records nothing. */
  readonly metrics?: Metrics;
  /** What gauges read at scrape time. */
  readonly probe: LoopProbe;
  /** The user's own hooks, called after the library's. */
  readonly hooks?: QueueHooks;
  /** The queue's `convergenceDeadline` in ms, for the `deadlineMs` field of its log line. */
  readonly convergenceDeadline?: number;
}

/**
 * One structured log line a loop can emit: its message, level and fields.
 *
 * Use it to document or check a loop's logs; `describeLoops` prints {@link logLines}.
 *
 * ## Example
 * ```ts
 * const line: LogLine = { message: 'Key released', level: 'info', fields: ['key', 'by'], when: 'a parked key runs again' };
 * ```
 */
export interface LogLine {
  /** The log message (`msg` in pino), stable: match on it. */
  readonly message: string;
  /** The level, or levels separated by ` / ` when it depends on the case (see `when`). */
  readonly level: string;
  /** Structured fields besides the bindings `loop` (every line) and `key`, `reconcileId` (pass lines). */
  readonly fields: readonly string[];
  /** When the line is written. */
  readonly when: string;
  /** Where it is written, when not by {@link instrument}. */
  readonly by?: string;
}

/**
 * Every log line a `defineLoop` loop writes, in the order of a pass.
 *
 * A healthy loop is quiet at `info`: passes, corrections and convergence log at `debug`; `info` is for
 * rare lifecycle events (a key recovering after failures, a release, a stop); failures are `warn`, and
 * what needs a human (permanent failures, quarantine) is `error`. Every line carries the loop's
 * bindings (`loop`); lines about a pass carry `key` and `reconcileId`.
 *
 * ## Example
 * ```ts
 * import { logLines } from 'rx-reconcile/operators';
 * logLines.map((l) => l.message); // ['Reconciling', 'Correction applied', …]
 * ```
 */
export const logLines: readonly LogLine[] = Object.freeze([
  { message: 'Reconciling', level: 'debug', fields: ['key', 'reason', 'reconcileId', 'revision', 'queuedMs'], when: 'a pass starts' },
  {
    message: 'Correction applied',
    level: 'debug',
    fields: ['key', 'reconcileId', 'action', 'target', 'idempotencyKey'],
    when: 'a correction of the plan succeeded (phase-style loops)',
    by: 'defineLoop (ctx.logger)',
  },
  {
    message: 'Converged',
    level: 'debug / info',
    fields: ['key', 'reconcileId', 'durationMs', 'recoveredAfter'],
    when: 'a pass converged; info when the key had been failing (`recoveredAfter` = failures before)',
  },
  {
    message: 'Requeued',
    level: 'debug / info',
    fields: ['key', 'reconcileId', 'durationMs', 'requeueAfter', 'recoveredAfter'],
    when: 'a pass asked to be looked at again after `requeueAfter` ms; info when recovering',
  },
  {
    message: 'Waiting for dependency',
    level: 'debug',
    fields: ['key', 'reconcileId', 'dependency', 'retryAfter'],
    when: 'a dependency is not ready: the key waits `retryAfter` ms without counting a failure',
  },
  {
    message: 'Reconcile failed',
    level: 'debug / warn / error',
    fields: ['key', 'reconcileId', 'error', 'code', 'class', 'retryAfter', 'failures', 'parked'],
    when: 'a pass failed: debug for a conflict retried at once, warn for a retry with backoff, error when the key is parked (terminal or quarantined)',
  },
  {
    message: 'Key quarantined',
    level: 'error',
    fields: ['key', 'reconcileId', 'error', 'code', 'class', 'failures'],
    when: 'too many consecutive failures: no automatic pass until released or the desired state changes (dead-letter)',
  },
  {
    message: 'Convergence deadline exceeded',
    level: 'error',
    fields: ['key', 'since', 'deadlineMs', 'revision'],
    when: 'with `convergenceDeadline`: the key\'s desired revision has not converged in time (it keeps being reconciled)',
  },
  { message: 'Key released', level: 'info', fields: ['key', 'by'], when: 'a parked key runs again (`by`: release, change, trigger)' },
  { message: 'Loop stopped', level: 'info', fields: [], when: 'the loop has stopped', by: 'defineLoop' },
  {
    message: 'Status conditions not written',
    level: 'warn',
    fields: ['key', 'error'],
    when: 'the conditions of a pass could not be written to the status (the pass outcome stands)',
    by: 'withConditions',
  },
  { message: 'Malformed keyed emission: skipped', level: 'error', fields: ['source', 'err'], when: 'a desired$ or current$ emission that is not a Map, an object or a list of changes: nothing of it is applied', by: 'defineLoop' },
  { message: 'Malformed keyed entries: skipped', level: 'error', fields: ['source', 'skipped', 'first'], when: 'entries of a desired$ or current$ emission of the wrong shape: they are skipped, the rest of the emission is applied', by: 'defineLoop' },
  {
    message: 'Dropped malformed watch event',
    level: 'warn',
    fields: ['kind', 'event'],
    when: 'the store sent an event without type, name or generation',
    by: 'watchRequests',
  },
  { message: 'Observability hook failed', level: 'error', fields: ['hook', 'error'], when: 'a metrics adapter or user hook threw (the loop goes on)' },
  {
    message: 'Hot key',
    level: 'warn',
    fields: ['key', 'passesPerSecond'],
    when: 'a key ran again at once, again and again, without a desired change (requeueAfter(0), conflicts, its own writes): its reruns are spaced from now on',
  },
  { message: 'Callback threw', level: 'error', fields: ['where', 'error'], when: 'a queue hook or callback threw, or a trigger source emitted something that is not a key (contained)' },
  {
    message: 'Watch failed: restarting',
    level: 'warn',
    fields: ['kind', 'err', 'retryIn', 'resume'],
    when: 'a watch failed or ended: it restarts after `retryIn` ms, from the last revision seen (`resume`) or with a new list',
    by: 'watchEvents',
  },
  { message: 'Watch history compacted: re-listing', level: 'warn', fields: ['kind', 'requested'], when: 'the store no longer has the revision to resume from', by: 'watchEvents' },
  { message: 'A watch callback threw', level: 'error', fields: ['err'], when: 'an onSynced / onError callback threw (contained)', by: 'watchEvents' },
  { message: 'Watch filter threw: the event is kept', level: 'error', fields: ['kind', 'key', 'err'], when: 'the loop\'s filter threw for an event (a spare pass is harmless)', by: 'watchRequests' },
  { message: 'Resync listing failed: this round is skipped', level: 'warn', fields: ['err'], when: 'listing the keys for a resync failed', by: 'resync' },
  { message: 'Resync listing: entries that are not non-empty strings were left out', level: 'warn', fields: ['dropped'], when: 'the resync listing returned entries that are not keys', by: 'resync' },
  {
    message: 'Dependency map returned a key that is not a non-empty string: skipped',
    level: 'error',
    fields: ['key'],
    when: 'a dependency map yielded something that is not a key',
    by: 'triggerWith',
  },
  {
    message: 'Dependency map threw or returned a non-iterable: this event triggers nothing more',
    level: 'error',
    fields: ['err', 'requests'],
    when: 'a dependency map threw for an event',
    by: 'triggerWith',
  },
  { message: 'Child with malformed ownerReferences: no owner triggered', level: 'warn', fields: ['child', 'ownerReferences'], when: 'a child resource with ownerReferences that is not an array', by: 'triggerOwners' },
  { message: 'Child with a malformed owner reference: skipped', level: 'warn', fields: ['child'], when: 'an owner reference without a string kind and name', by: 'triggerOwners' },
  { message: 'Trigger source failed: restarting', level: 'warn', fields: ['source', 'err', 'attempt', 'retryIn'], when: 'a user trigger source errored: it is subscribed again after `retryIn` ms', by: 'defineLoop' },
  { message: 'Trigger source failed: this round is skipped', level: 'warn', fields: ['source', 'err'], when: 'a periodic source failed one round', by: 'defineLoop' },
  { message: 'Trigger source completed', level: 'info', fields: ['source'], when: 'a user trigger source completed (it is done)', by: 'defineLoop' },
  { message: 'Resync filter threw: the resource is resynced', level: 'error', fields: ['err'], when: 'the loop\'s resyncFilter threw for a resource', by: 'defineLoop' },
  { message: 'Owned children deleted (cascade)', level: 'debug', fields: ['key', 'reconcileId', 'deleted'], when: 'an owner is gone: its owned children are deleted (unless `orphan`)', by: 'defineLoop' },
  { message: 'Writes are not fenced: the store has no fenced()', level: 'warn', fields: ['kind'], when: 'a loop with a coordinator starts on a store that cannot fence its writes (memory, SQLite): a deposed replica\u2019s in-flight write can land', by: 'withOwnership' },
  { message: 'Listed again after gaining keys', level: 'info', fields: ['kind', 'keys'], when: 'the coordinator gave this replica more keys: they are queued (low lane)', by: 'withOwnership' },
  { message: 'Re-list after an ownership gain failed; trying again', level: 'warn', fields: ['kind', 'err', 'attempt'], when: 'listing the kind after a gain failed (retried with backoff)', by: 'withOwnership' },
  { message: 'Pass skipped: another replica owns the key', level: 'debug', fields: ['kind', 'key'], when: 'a queued key was lost before its pass started: forgotten here, its owner reconciles it', by: 'withOwnership' },
  { message: 'Pass ended without ownership; the new owner reconciles the key', level: 'info', fields: ['kind', 'key', 'token'], when: 'the key was lost while its pass ran: its writes were refused (FencedError) and its outcome is dropped here', by: 'withOwnership' },
  { message: 'World keys listing failed: this sweep is skipped', level: 'warn', fields: ['err'], when: 'the loop\'s worldKeys function failed (the next resync tries again)', by: 'defineLoop' },
  { message: 'World keys listing: entries that are not non-empty strings were left out', level: 'warn', fields: ['dropped'], when: 'the loop\'s worldKeys function returned entries that are not keys', by: 'defineLoop' },
  { message: 'Loop completed', level: 'info', fields: [], when: 'a stream loop whose sources all completed has reconciled every key and ends', by: 'defineLoop' },
  { message: 'Loop died', level: 'error', fields: ['err'], when: 'the loop ended without stop() (never expected: sources and passes are contained); health() says why', by: 'defineLoop' },
] satisfies LogLine[]);

/** What the queue may tell `onStart` about the pass (the 4th argument, when the queue provides it). */
interface StartedPass {
  readonly reconcileId?: string;
  readonly failures?: number;
}

/**
 * Builds the queue hooks that make a loop visible: the structured log lines of {@link logLines}
 * (`Reconciling`, `Converged`, `Reconcile failed`, quarantine, release, …) and the metrics of the
 * `metrics` port, then the user's own hooks.
 *
 * `defineLoop` uses it for every loop; a hand-written loop passes its result as `hooks` to
 * `workQueue`. Each pass gets a `reconcileId` (the queue's, when it hands one to `onStart`; otherwise a
 * fresh one made here) that is on its `Reconciling` line and on the line that ends it. A metrics
 * adapter or user hook that throws never breaks the loop: the error is logged and the loop goes on.
 *
 * ## Example
 * ```ts
 * import pino from 'pino';
 * import { merge } from 'rxjs';
 * import type { ReconcileRequest } from 'rx-reconcile';
 * import { createQueueControl, instrument, workQueue } from 'rx-reconcile/operators';
 *
 * declare const triggers$: import('rxjs').Observable<string>;
 * declare const pass: (request: ReconcileRequest) => Promise<void>;
 * const control = createQueueControl();
 * const hooks = instrument({ logger: pino(), probe: { name: 'files', stats: () => control.stats() } });
 * merge(triggers$).pipe(workQueue(pass, { control, hooks })).subscribe(); // 'Reconciling', 'Reconcile failed', …
 * ```
 */
export function instrument(options: InstrumentOptions): QueueHooks {
  const { logger } = options;
  const metrics = loopMetrics(options);
  const user = options.hooks;
  /** The running pass of each key (G1: at most one), for the line that ends it. */
  const running = new Map<Key, string>();
  /** Keys whose last pass failed, with their failures: a later success logs at info. */
  const failing = new Map<Key, number>();
  const idBase = Math.floor(Math.random() * 0x100000000)
    .toString(16)
    .padStart(8, '0');
  let seq = 0;

  const failed = (hook: string, thrown: unknown): void => hookFailed(logger, hook, thrown);
  const guard = (hook: string, call: () => void): void => {
    try {
      call();
    } catch (thrown) {
      failed(hook, thrown);
    }
  };

  // With the default logger (it drops everything) and no start hook of metrics or user, there is no
  // `onStart` at all: the queue then neither reads the clock at enqueue for `queuedMs` nor calls a
  // hook per pass, and no pass id is made for a line nobody writes.
  const quiet = logger === noopLogger;
  const metricsStart = hasHook(metrics, 'onStart');
  const metricsFinish = hasHook(metrics, 'onFinish');
  const metricsAdd = hasHook(metrics, 'onAdd');
  const userStart = hasHook(user, 'onStart');
  const userFinish = hasHook(user, 'onFinish');
  const userAdd = hasHook(user, 'onAdd');
  const onStart = (key: Key, request: ReconcileRequest, queuedMs: number, pass?: StartedPass): void => {
    if (!quiet) {
      const reconcileId = pass?.reconcileId ?? `${idBase}-${(++seq).toString(36)}`;
      running.set(key, reconcileId);
      guard('log', () => {
        const fields: Record<string, unknown> = { key, reason: request.reason, reconcileId, queuedMs };
        if (request.revision !== undefined) fields['revision'] = request.revision;
        logger.debug(fields, 'Reconciling');
      });
    }
    if (metricsStart) guard('metrics.onStart', () => metrics.onStart?.(key, request, queuedMs));
    if (userStart) guard('hooks.onStart', () => user?.onStart?.(key, request, queuedMs));
  };
  // The per-event hooks call theirs in a plain `try` (no closure per call). Nobody to tell about each
  // trigger (no metrics or user `onAdd`): no `onAdd` at all, no call per event.
  const onAdd = (key: Key, reason: TriggerReason, revision: number | undefined): void => {
    if (metricsAdd) {
      try {
        metrics.onAdd?.(key, reason, revision);
      } catch (thrown) {
        failed('metrics.onAdd', thrown);
      }
    }
    if (userAdd) {
      try {
        user?.onAdd?.(key, reason, revision);
      } catch (thrown) {
        failed('hooks.onAdd', thrown);
      }
    }
  };

  const onFinish = (result: PassResult): void => {
    if (!quiet) {
      const reconcileId = running.get(result.key);
      running.delete(result.key);
      guard('log', () => logFinish(logger, result, reconcileId, failing));
    }
    if (metricsFinish) {
      try {
        metrics.onFinish?.(result);
      } catch (thrown) {
        failed('metrics.onFinish', thrown);
      }
    }
    if (userFinish) {
      try {
        user?.onFinish?.(result);
      } catch (thrown) {
        failed('hooks.onFinish', thrown);
      }
    }
  };

  return {
    ...(metricsAdd || userAdd ? { onAdd } : {}),
    ...(quiet && !metricsStart && !userStart ? {} : { onStart }),
    ...(quiet && !metricsFinish && !userFinish ? {} : { onFinish }),
    onRelease: (key, by) => {
      guard('log', () => logger.info({ key, by }, 'Key released'));
      guard('metrics.onRelease', () => metrics.onRelease?.(key, by));
      guard('hooks.onRelease', () => user?.onRelease?.(key, by));
    },
    onHot: (key, passesPerSecond) => {
      guard('log', () => logger.warn({ key, passesPerSecond }, 'Hot key'));
      guard('metrics.onHot', () => metrics.onHot?.(key, passesPerSecond));
      guard('hooks.onHot', () => user?.onHot?.(key, passesPerSecond));
    },
    onSourceError: (source, error) => {
      guard('metrics.onSourceError', () => metrics.onSourceError?.(source, error));
      guard('hooks.onSourceError', () => user?.onSourceError?.(source, error));
    },
    onCallbackError: (error, where) => {
      guard('log', () => logger.error({ where, error: error.message }, 'Callback threw'));
      guard('hooks.onCallbackError', () => user?.onCallbackError?.(error, where));
    },
    onOverdue: (key, since, revision) => {
      guard('log', () => {
        const fields: Record<string, unknown> = { key, since: new Date(since).toISOString() };
        if (options.convergenceDeadline !== undefined) fields['deadlineMs'] = options.convergenceDeadline;
        if (revision !== undefined) fields['revision'] = revision;
        logger.error(fields, 'Convergence deadline exceeded');
      });
      guard('metrics.onOverdue', () => metrics.onOverdue?.(key, since, revision));
      guard('hooks.onOverdue', () => user?.onOverdue?.(key, since, revision));
    },
  };
}

/** Logs a hook that threw; a logger that throws too is ignored. */
function hookFailed(logger: Logger, hook: string, thrown: unknown): void {
  try {
    logger.error({ hook, error: thrown instanceof Error ? thrown.message : String(thrown) }, 'Observability hook failed');
  } catch {
    // A logger that throws cannot be told about it; the loop goes on.
  }
}

/**
 * The metrics of this loop from the `metrics` port. A port whose `forLoop` throws (or hands back
 * nothing) does not stop the loop from being defined: the error is logged and the loop runs without
 * metrics.
 */
function loopMetrics(options: InstrumentOptions): ReturnType<Metrics['forLoop']> {
  if (options.metrics === undefined) return noopMetrics.forLoop(options.probe);
  let found: unknown;
  try {
    found = options.metrics.forLoop(options.probe);
  } catch (thrown) {
    hookFailed(options.logger, 'metrics.forLoop', thrown);
  }
  return typeof found === 'object' && found !== null ? (found as ReturnType<Metrics['forLoop']>) : noopMetrics.forLoop(options.probe);
}

/**
 * Whether `hooks` has a `name` hook (read once, when the loop is built). A getter that throws counts
 * as a hook: calling it then throws inside the guard, which logs it, as for any throwing hook.
 */
function hasHook(hooks: object | undefined, name: string): boolean {
  try {
    return (hooks as Record<string, unknown> | undefined)?.[name] !== undefined;
  } catch {
    return true;
  }
}

function logFinish(logger: Logger, result: PassResult, reconcileId: string | undefined, failing: Map<Key, number>): void {
  const { key, outcome } = result;
  const durationMs = result.finishedAt - result.startedAt;
  const retryAfter = result.nextAttemptAt === undefined ? undefined : result.nextAttemptAt - result.finishedAt;
  switch (outcome.type) {
    case 'converged':
    case 'requeueAfter': {
      const before = failing.get(key);
      failing.delete(key);
      const fields: Record<string, unknown> = { key, reconcileId, durationMs };
      if (outcome.type === 'requeueAfter') fields['requeueAfter'] = outcome.ms;
      const message = outcome.type === 'converged' ? 'Converged' : 'Requeued';
      if (before === undefined) logger.debug(fields, message);
      else logger.info({ ...fields, recoveredAfter: before }, message);
      return;
    }
    case 'waiting':
      logger.debug({ key, reconcileId, dependency: outcome.dependency, retryAfter: outcome.ms }, 'Waiting for dependency');
      return;
    case 'retry':
    case 'terminal': {
      // A conflict retried at once counts no failure: its success is no recovery.
      if (result.failures > 0 || result.parked !== undefined) failing.set(key, Math.max(1, result.failures));
      const error = outcome.error;
      const code = (error as { code?: unknown }).code;
      const base: LogFields = {
        key,
        reconcileId,
        error: error.message,
        ...(typeof code === 'string' ? { code } : {}),
        class: result.failureClass,
        failures: result.failures,
      };
      const fields: LogFields = {
        ...base,
        ...(retryAfter === undefined ? {} : { retryAfter }),
        ...(result.parked === undefined ? {} : { parked: result.parked }),
      };
      if (result.parked !== undefined || result.failureClass === 'permanent') logger.error(fields, 'Reconcile failed');
      else if (result.failureClass === 'conflict' && retryAfter === 0) logger.debug(fields, 'Reconcile failed');
      else logger.warn(fields, 'Reconcile failed');
      if (result.parked === 'quarantined') logger.error(base, 'Key quarantined');
      return;
    }
  }
}
