/**
 * The options of a stream loop (`defineLoop({ desired$, current$, … })`), its pass context, and their
 * zod check.
 *
 * @module
 */
import type { Observable } from 'rxjs';
import { z } from 'zod';
import { InvalidArgumentError } from '../../src/index.js';
import type { Correction, Delivery, Plan, Key, Logger, MaybeAsync, Metrics, OnceResult, Outcome, PassContext, QueueHooks, ReconcileRequest, Store } from '../../src/index.js';
import { checkOptions, fn, name as nonEmpty, period, withMethods } from '../../src/check-options.js';
import { queueOptionsShape } from '../../src/queue-options.js';
import type { CorrectionInput } from '../compare.js';
import type { Keyed } from './keyed-state.js';
import { passShape } from './loop-options.js';
import type { LoopQueueOptions } from './loop-options.js';
import { checkLoopDocs, loopDocsShape } from '../describe/loop-docs.js';
import type { LoopDocs } from '../describe/loop-docs.js';

/** What a pass of a stream loop can use besides its request. */
export interface StreamContext<D, C> extends PassContext {
  readonly loop: string;
  readonly key: Key;
  readonly request: ReconcileRequest;
  /** A child logger with `loop`, `key` and the pass's `reconcileId`. */
  readonly logger: Logger;
  /** The latest desired value of this key (undefined: not desired — make the world absent). */
  desired(): D | undefined;
  /** The latest current value of this key from `current$` (undefined without one, or when absent). */
  current(): C | undefined;
  /** The scheduler's time as an ISO string. */
  now(): string;
  /** A number in [0, 1) from the loop's `random` (seeded in simulations). */
  random(): number;
  /** Runs `effect` once per `id` for this key, recorded in the loop's `ledger` (see `once`). */
  once<T>(id: string, effect: () => T | PromiseLike<T>, options: { readonly delivery: Delivery }): Promise<OnceResult<T>>;
}

/** Options shared by both styles of a stream loop. */
export interface StreamLoopBase<D, C> extends LoopQueueOptions {
  readonly name: string;
  readonly source?: string;
  /**
   * The desired state, keyed: snapshots (`Map` / object of key → value) or lists of `{ key, value }` /
   * `{ key, deleted: true }`. A `Subject` (here, in `current$` and in `triggers`) is subscribed when the
   * loop is defined, so what the app emits right after `defineLoop` is kept; other Observables are
   * subscribed on the loop's first tick (a hot one that is not a `Subject`, e.g. `subject.asObservable()`,
   * loses what it emits before then). An entry of the wrong shape (a key that is not a non-empty
   * string, a change without a value) is skipped and logged; the rest of its emission still counts.
   */
  readonly desired$: Observable<Keyed<D>>;
  /** The current state of the world, keyed the same way (optional: passes may observe it themselves). */
  readonly current$?: Observable<Keyed<C>>;
  /** The orphan sweep: the world's keys, listed at start and at every resync (see `worldKeys` of store loops). */
  readonly worldKeys?: () => MaybeAsync<Iterable<Key>>;
  /** Resync period in ms: every known key (desired or current) again at this period. Default off. */
  readonly resync?: number;
  /** External event sources: keys or Requests through the queue (backoff and quarantine respected; a `Subject` is held from definition, as `desired$`). */
  readonly triggers?: readonly Observable<Key | ReconcileRequest>[];
  readonly convergenceDeadline?: number;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly hooks?: QueueHooks;
  /** Where `ctx.once` records effects. Default: an in-memory store (not durable: pass a durable store to keep it across restarts). */
  readonly ledger?: Store;
  /** What `describeLoops` cannot read from the code (see `LoopDocs`). */
  readonly describe?: LoopDocs;
}

/** A stream loop in Halo style: one `reconcile(request, ctx)`. */
export interface StreamReconcileOptions<D, C> extends StreamLoopBase<D, C> {
  readonly reconcile: (request: ReconcileRequest, context: StreamContext<D, C>) => MaybeAsync<Outcome | undefined | void>;
}

/** A stream loop in four phases. */
export interface StreamPhaseOptions<D, C, T> extends StreamLoopBase<D, C> {
  /** Reads the world for a key. Default: the latest value of `current$`. */
  readonly observe?: (key: Key, context: StreamContext<D, C>) => MaybeAsync<C | undefined>;
  /** Pure: the corrections that move `current` to `desired` (`undefined`: not desired any more). */
  readonly compare: (desired: D | undefined, current: C | undefined, key: Key) => readonly CorrectionInput<T>[];
  /** Applies one correction; must be idempotent for its `idempotencyKey`. */
  readonly correct: (correction: Correction<T>, context: StreamContext<D, C>) => MaybeAsync<unknown>;
  /** After corrections: observe and compare again (default), with the outcome when in sync. `false` skips. */
  readonly verify?:
    | false
    | {
        /** Outcome when nothing is left to correct. Default `Outcome.converged()`. */
        readonly inSync?: () => Outcome;
        /** Outcome when corrections remain after `correct`. Default: a transient retry naming them. */
        readonly notConverged?: (plan: Plan<D | undefined, C | undefined, T>) => Outcome;
      };
}

/** Options of a stream loop. */
export type StreamLoopOptions<D, C = unknown, T = unknown> = StreamReconcileOptions<D, C> | StreamPhaseOptions<D, C, T>;

const streamSchema = z.strictObject({
  ...queueOptionsShape,
  convergenceDeadline: queueOptionsShape.convergenceDeadline,
  name: nonEmpty('the name of the loop (a non-empty string), used in logs and metrics'),
  source: z.string().optional(),
  desired$: withMethods<object>('an Observable of keyed snapshots or changes', 'subscribe', 'pipe'),
  current$: withMethods<object>('an Observable of keyed snapshots or changes', 'subscribe', 'pipe').optional(),
  worldKeys: fn('a function () => keys of the world').optional(),
  resync: period().optional(),
  triggers: z.array(withMethods<object>('an Observable of keys or Requests', 'subscribe', 'pipe'), { error: 'must be an array of Observables' }).optional(),
  logger: withMethods<Logger>('a pino-compatible logger', 'debug', 'info', 'warn', 'error', 'child').optional(),
  metrics: withMethods<Metrics>('a metrics port such as prometheusMetrics(...)', 'forLoop').optional(),
  hooks: z.custom<QueueHooks>((v) => typeof v === 'object' && v !== null, 'must be an object of hook functions').optional(),
  ledger: withMethods<Store>('a store', 'get', 'create').optional(),
  describe: loopDocsShape,
  ...passShape,
});

/** Refuses stream-loop options that cannot run, naming the option. */
export function checkStreamOptions(options: object): void {
  const o = options as Readonly<Record<string, unknown>>;
  const label = typeof o['name'] === 'string' && o['name'] !== '' ? `defineLoop "${o['name']}"` : 'defineLoop';
  checkOptions(label, streamSchema, options);
  checkLoopDocs(label, o['describe']);
  const isFn = (key: string): boolean => typeof o[key] === 'function';
  if (!isFn('reconcile') && !(isFn('compare') && isFn('correct'))) {
    throw new InvalidArgumentError(`${label}: a stream loop needs reconcile(request, ctx), or compare and correct (observe defaults to current$)`);
  }
  if (isFn('reconcile') && (isFn('observe') || isFn('compare') || isFn('correct'))) {
    throw new InvalidArgumentError(`${label}: the loop has both reconcile and phases: keep one style (reconcile, or observe/compare/correct)`);
  }
}
