/**
 * A loop whose desired state is a stream (`defineLoop({ desired$, current$, … })`): "a pipeline of
 * desired$ and current$ streams merged with resync timers". Each stream emits keyed snapshots or
 * keyed changes; the loop triggers exactly the keys whose value changed or disappeared in either (a
 * removed key gets a pass at once), its passes read the latest values, a resync re-runs every known
 * key, and `worldKeys` sweeps orphans. No store is needed (a store is one source of `desired$` among
 * others: use the store mode for its watch, finalizers and status).
 *
 * @module
 */
import { defer, map, mergeMap, of } from 'rxjs';
import type { Observable, SchedulerLike } from 'rxjs';
import { createMemoryStore, once, toError } from '../../src/index.js';
import type { Key, Logger, MaybeAsync, PassContext, PassVerdict, ReconcileRequest, Work } from '../../src/index.js';
import { isoTime } from '../../src/iso-time.js';
import { compare } from '../compare.js';
import { correct } from '../correct.js';
import { observe } from '../observe.js';
import { resync } from '../resync.js';
import { verify } from '../verify.js';
import { KeyedState } from './keyed-state.js';
import type { Keyed } from './keyed-state.js';
import type { Loop } from './loop.js';
import { phaseFacts } from './loop.js';
import { newUsage } from './loop-context.js';
import { LoopRuntime } from './loop-runtime.js';
import type { StreamContext, StreamLoopOptions, StreamPhaseOptions, StreamReconcileOptions } from './stream-options.js';
import { worldKeysSource } from './world-keys.js';

/** Starts a stream loop (options already checked). */
export function streamLoop<D, C, T>(options: StreamLoopOptions<D, C, T>, source: string | undefined): Loop {
  const runtime = new LoopRuntime(options);
  const { name } = options;
  const { scheduler, logger, health, random } = runtime;
  const desired = new KeyedState<D>();
  const current = new KeyedState<C>();
  /** A counter per key, bumped by each desired change: the revision that wakes a key in backoff. */
  const versions = new Map<Key, number>();
  const ledger = options.ledger ?? createMemoryStore();
  const usage = newUsage();

  const fromStream = <V>(label: string, stream$: Observable<Keyed<V>>, state: KeyedState<V>, isDesired: boolean): Observable<ReconcileRequest> => {
    health.source(label, true);
    return runtime.supervise(label, runtime.hold(stream$)).pipe(
      mergeMap((emission): ReconcileRequest[] => {
        const first = !state.seen;
        let changed: Key[];
        try {
          const applied = state.apply(emission);
          changed = applied.changed;
          if (applied.skipped.length > 0) {
            // The rest of the emission counts; the bad entries are told, once per emission.
            runtime.flawed(label, new TypeError(`${applied.skipped.length} malformed entr${applied.skipped.length === 1 ? 'y' : 'ies'}: ${applied.skipped[0]}`));
            logger.error({ source: label, skipped: applied.skipped.length, first: applied.skipped.slice(0, 3) }, 'Malformed keyed entries: skipped');
          }
        } catch (error) {
          runtime.failed(label)(toError(error));
          logger.error({ source: label, err: toError(error) }, 'Malformed keyed emission: skipped');
          return [];
        }
        health.listed(label);
        return changed.map((key): ReconcileRequest => {
          if (isDesired) versions.set(key, (versions.get(key) ?? 0) + 1);
          const revision = versions.get(key);
          const request: ReconcileRequest = { key, reason: first ? 'initial' : 'watch', priority: first ? 'low' : 'high' };
          return revision === undefined ? request : { ...request, revision };
        });
      }),
    );
  };

  const triggers: Observable<Key | ReconcileRequest>[] = [fromStream('desired$', options.desired$, desired, true)];
  if (options.current$ !== undefined) triggers.push(fromStream('current$', options.current$, current, false));
  if (options.resync !== undefined) {
    health.source('resync', false);
    triggers.push(resync({ every: options.resync, scheduler, logger, onError: runtime.failed('resync'), keys: () => new Set([...desired.keys(), ...current.keys()]) }));
  }
  if (options.worldKeys !== undefined) {
    health.source('worldKeys', false);
    triggers.push(worldKeysSource(options.worldKeys, { every: options.resync, scheduler, logger, onError: runtime.failed('worldKeys') }));
  }
  triggers.push(...runtime.userTriggers());

  const contextOf = (request: ReconcileRequest, pass: PassContext): StreamContext<D, C> => {
    let passLogger: Logger | undefined;
    return {
      loop: name,
      key: request.key,
      request,
      get logger(): Logger {
        passLogger ??= logger.child({ key: request.key, reconcileId: pass.reconcileId });
        return passLogger;
      },
      get reconcileId(): string {
        return pass.reconcileId;
      },
      get failures(): number {
        return pass.failures;
      },
      get signal(): AbortSignal {
        return pass.signal;
      },
      get aborted(): boolean {
        return pass.aborted;
      },
      get startedAt(): number {
        return pass.startedAt;
      },
      get convergingSince(): number | undefined {
        return pass.convergingSince;
      },
      get overdue(): boolean {
        return pass.overdue;
      },
      onAbort: (callback) => pass.onAbort(callback),
      assess: (outcome): PassVerdict => pass.assess(outcome),
      desired: () => desired.get(request.key),
      current: () => current.get(request.key),
      now: () => isoTime(scheduler.now()),
      random,
      once: (id, effect, onceOptions) => {
        usage.once += 1;
        return once(ledger, { loop: name, key: request.key }, id, onceOptions?.delivery, effect);
      },
    };
  };

  let work: Work;
  if ('reconcile' in options) {
    const reconcile = options.reconcile;
    work = (request, pass) => reconcile(request, contextOf(request, pass));
  } else work = phases(options, contextOf, scheduler);

  const { reconcile: _r, observe: _o, compare: _c, correct: _k, verify: _v, desired$: _d, current$: _cu, ...base } = options as StreamReconcileOptions<D, C> &
    Partial<StreamPhaseOptions<D, C, T>>;
  void [_r, _o, _c, _k, _v, _d, _cu];
  return runtime.start({
    triggers,
    work,
    queueOptions: options,
    describe: { ...base, style: 'reconcile' in options ? 'reconcile' : 'phases', mode: 'streams', ...phaseFacts(options) },
    source,
    usage,
    mayComplete: true,
  });
}

/** The four phases of a stream loop as its work: observe (default: current$) → compare → correct → verify. */
function phases<D, C, T>(
  options: StreamPhaseOptions<D, C, T>,
  contextOf: (request: ReconcileRequest, pass: PassContext) => StreamContext<D, C>,
  _scheduler: SchedulerLike,
): Work {
  return (request, pass) => {
    const ctx = contextOf(request, pass);
    const readDesired = (): D | undefined => ctx.desired();
    const readCurrent = (key: Key): MaybeAsync<C | undefined> => (options.observe ? options.observe(key, ctx) : ctx.current());
    const plan = (d: D | undefined, c: C | undefined, key: Key) => options.compare(d, c, key);
    const steps = of(request).pipe(
      observe<D, C>({ desired: readDesired, current: readCurrent }),
      compare(plan),
      correct<D | undefined, C | undefined, T>((c) => options.correct(c, ctx), {
        onApplied: (c) => ctx.logger.debug({ action: c.action, target: c.target, idempotencyKey: c.idempotencyKey }, 'Correction applied'),
      }),
    );
    const check = options.verify;
    if (check === false) return steps.pipe(map(() => undefined));
    const inSync = check?.inSync;
    const notConverged = check?.notConverged;
    return defer(() =>
      steps.pipe(verify<D, C, T>({ desired: readDesired, current: readCurrent, compare: plan, ...(inSync ? { inSync } : {}), ...(notConverged ? { notConverged } : {}) })),
    );
  };
}
