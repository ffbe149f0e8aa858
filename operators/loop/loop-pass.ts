/**
 * The pass of an easy-mode loop: the user's `reconcile` or phases, wrapped by the finalizer, the spec
 * schema and the status conditions, each only when its option is set.
 *
 * @module
 */
import { asyncScheduler, from, isObservable, map, mergeMap, of, take } from 'rxjs';
import type { Observable } from 'rxjs';
import { Outcome, deleteOwnedChildren, parseKey } from '../../src/index.js';
import type { Key, MaybeAsync, Plan, ReconcileRequest, Resource, Work } from '../../src/index.js';
import { completeCorrections } from '../compare.js';
import { correct } from '../correct.js';
import { verify } from '../verify.js';
import { withConditions } from '../with-conditions.js';
import { withFinalizer } from '../with-finalizer.js';
import { withSchema } from '../with-schema.js';
import { isPromiseLike, outcomeOf, toObservable } from '../read.js';
import type { LoopEnv, LoopScope } from './loop-context.js';
import { conditionPrefixOf } from './loop-options.js';
import type { PhaseLoopOptions, ResolvedLoopOptions } from './loop-options.js';

/** Builds a loop's pass: `withConditions(withSchema(withFinalizer(user pass)))`, each when enabled. */
export function passOf<Spec, Status, C, T>(options: ResolvedLoopOptions<Spec, Status, C, T>, env: LoopEnv): Work<LoopScope<Spec, Status>> {
  type Scope = LoopScope<Spec, Status>;
  const { kind, store } = options;
  const { own, logger } = env;
  /** Every wrapper reads the pass's one snapshot as stored (the user's code gets `ctx.get()`: with a schema, parsed). */
  const read = (_request: ReconcileRequest, ctx: Scope) => ctx.stored();

  let pass: Work<Scope>;
  if ('reconcile' in options) {
    const { reconcile, finalizer } = options;
    pass = finalizer
      ? withFinalizer<Spec, Status, Scope>({ store: own, kind, name: finalizer.name, cleanup: finalizer.cleanup, read })(
          (resource, request, ctx) => reconcile(request, ctx.remember(resource)),
        )
      : (request, ctx) => reconcile(request, ctx);
  } else {
    const phases = phasesOf(options);
    const { finalizer } = options;
    pass = finalizer
      ? withFinalizer<Spec, Status, Scope>({
          store: own,
          kind,
          name: finalizer.name,
          cleanup: finalizer.cleanup ?? ((_resource, ctx) => phases(undefined, ctx.request, ctx)),
          read,
        })((resource, request, ctx) => phases(ctx.remember(resource).viewOf(resource), request, ctx))
      : (request, ctx) => {
          // The snapshot is usually at hand: no promise hop, no operator chain (see phasesOf).
          const now = ctx.snapshotNow();
          return now !== undefined ? phases(now.value, request, ctx) : from(ctx.get()).pipe(mergeMap((desired) => toObservable(phases(desired, request, ctx))));
        };
  }
  if (options.orphan !== true) pass = withCascade(env, pass);
  if (options.schema) pass = withSchema<Scope>({ schema: options.schema, store, kind, read })(pass);
  if (options.conditions !== false) {
    const scheduler = options.scheduler ?? asyncScheduler;
    const prefix = conditionPrefixOf(options.conditions);
    pass = withConditions<Scope>({
      store: own,
      kind,
      scheduler,
      read,
      readNow: (_request, ctx) => ctx.storedNow(),
      logger,
      writes: env.ownWrites,
      ...(prefix === undefined ? {} : { prefix }),
    })(pass);
  }
  return pass;
}

/**
 * The four phases as a pass against one desired state (`undefined`: make the world absent).
 *
 * A pass whose `observe` answers with a value or a Promise and whose plan is empty (every no-change
 * pass) runs without an operator chain: it costs a function call, not a few µs of subscriptions. An
 * Observable from `observe`, or any correction to make, goes through `correct` and `verify` as
 * operators; the outcome is the same either way.
 */
function phasesOf<Spec, Status, C, T>(phases: PhaseLoopOptions<Spec, Status, C, T>) {
  const inSync = phases.verify === false ? () => undefined : (phases.verify?.inSync ?? Outcome.converged);
  return (desired: Resource<Spec, Status> | undefined, request: ReconcileRequest, ctx: LoopScope<Spec, Status>): MaybeAsync<Outcome | undefined> => {
    const { key } = request;
    const readDesired = () => desired;
    const readCurrent = (k: Key) => phases.observe(k, ctx);
    const plan = (d: Resource<Spec, Status> | undefined, current: C | undefined, k: Key) => phases.compare(d, current as C, k);
    /** The rest of the pass, from a plan: `correct`, then `verify` (or nothing). */
    const rest = (plans: Observable<Plan<Resource<Spec, Status> | undefined, C | undefined, T>>): Observable<Outcome | undefined> => {
      const steps = plans.pipe(
        correct<Resource<Spec, Status> | undefined, C | undefined, T>((c) => phases.correct(c, ctx), {
          onApplied: (c) => ctx.logger.debug({ action: c.action, target: c.target, idempotencyKey: c.idempotencyKey }, 'Correction applied'),
        }),
      );
      if (phases.verify === false) return steps.pipe(map(() => undefined));
      return steps.pipe(
        verify<Resource<Spec, Status>, C, T>({
          desired: readDesired,
          current: readCurrent,
          compare: plan,
          ...(phases.verify?.inSync ? { inSync: phases.verify.inSync } : {}),
          ...(phases.verify?.notConverged ? { notConverged: phases.verify.notConverged } : {}),
        }),
      );
    };
    /** The plan for what `observe` found. */
    const planOf = (current: C | undefined): Plan<Resource<Spec, Status> | undefined, C | undefined, T> => ({
      key,
      observation: { key, desired, current },
      corrections: completeCorrections(key, plan(desired, current, key)),
    });
    /** An empty plan ends the pass here; any other goes through `correct` and `verify`. */
    const planFor = (current: C | undefined): Outcome | undefined | Observable<Outcome | undefined> => {
      const planned = planOf(current);
      return planned.corrections.length === 0 ? inSync() : rest(of(planned));
    };
    const current = readCurrent(key) as MaybeAsync<C | undefined>;
    if (isObservable(current)) return rest(current.pipe(take(1), map(planOf)));
    // A plan with corrections after an async observe runs as an Observable still cancelled on abort.
    if (isPromiseLike(current)) return Promise.resolve(current).then((c) => outcomeOrRest(planFor(c), ctx));
    return planFor(current);
  };
}

/** An outcome as it is, or the outcome an Observable's last value gives (unsubscribed on abort). */
function outcomeOrRest(result: Outcome | undefined | Observable<Outcome | undefined>, ctx: { onAbort(callback: () => void): void }): Outcome | undefined | Promise<Outcome> {
  return isObservable(result) ? outcomeOf(() => result, ctx) : result;
}


/**
 * The cascade: when a pass finds its resource gone, the owned children (of the kinds in `owns`, and
 * of those it passed to `ensureChildren` in this process) are deleted first, like Kubernetes' garbage
 * collector. Then the pass runs as usual (it sees the resource absent).
 */
function withCascade<Spec, Status>(env: LoopEnv, inner: Work<LoopScope<Spec, Status>>): Work<LoopScope<Spec, Status>> {
  // A loop that owns no kind (most) runs the pass as it is: no extra promise per pass.
  return (request, ctx) => (env.usage.ownedKinds.size === 0 ? inner(request, ctx) : cascade(request, ctx));
  async function cascade(request: ReconcileRequest, ctx: LoopScope<Spec, Status>): Promise<Outcome> {
    const kinds = env.usage.ownedKinds;
    if ((await ctx.get()) === undefined) {
      const owner = { kind: env.kind, metadata: parseKey(request.key) };
      const deleted = await deleteOwnedChildren(env.store, owner, [...kinds]);
      if (deleted.length > 0) ctx.logger.debug({ deleted }, 'Owned children deleted (cascade)');
    }
    return outcomeOf(() => inner(request, ctx), ctx);
  }
}
