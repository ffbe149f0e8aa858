/**
 * The pass of an easy-mode loop: the user's `reconcile` or phases, wrapped by the finalizer, the spec
 * schema and the status conditions, each only when its option is set.
 *
 * @module
 */
import { asyncScheduler, defer, map, mergeMap, of } from 'rxjs';
import type { Observable } from 'rxjs';
import { deleteOwnedChildren, parseKey } from '../../src/index.js';
import type { Key, Outcome, ReconcileRequest, Resource, Work } from '../../src/index.js';
import { compare } from '../compare.js';
import { correct } from '../correct.js';
import { observe } from '../observe.js';
import { verify } from '../verify.js';
import { withConditions } from '../with-conditions.js';
import { withFinalizer } from '../with-finalizer.js';
import { withSchema } from '../with-schema.js';
import { outcomeOf } from '../read.js';
import type { LoopEnv, LoopScope } from './loop-context.js';
import type { PhaseLoopOptions, ResolvedLoopOptions } from './loop-options.js';

/** Builds a loop's pass: `withConditions(withSchema(withFinalizer(user pass)))`, each when enabled. */
export function passOf<Spec, Status, C, T>(options: ResolvedLoopOptions<Spec, Status, C, T>, env: LoopEnv): Work<LoopScope<Spec, Status>> {
  type Scope = LoopScope<Spec, Status>;
  const { kind, store } = options;
  const { own, logger } = env;
  /** Every step reads the pass's one snapshot. */
  const read = (_request: ReconcileRequest, ctx: Scope) => ctx.get();

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
        })((resource, request, ctx) => phases(resource, request, ctx.remember(resource)))
      : (request, ctx) => defer(() => ctx.get()).pipe(mergeMap((desired) => phases(desired, request, ctx)));
  }
  if (options.orphan !== true) pass = withCascade(env, pass);
  if (options.schema) pass = withSchema<Scope>({ schema: options.schema, store, kind, read })(pass);
  if (options.conditions !== false) {
    const scheduler = options.scheduler ?? asyncScheduler;
    pass = withConditions<Scope>({ store: own, kind, scheduler, read, readNow: (_request, ctx) => ctx.snapshotNow(), logger, writes: env.ownWrites })(pass);
  }
  return pass;
}

/** The four phases as a pass against one desired state (`undefined`: make the world absent). */
function phasesOf<Spec, Status, C, T>(phases: PhaseLoopOptions<Spec, Status, C, T>) {
  return (desired: Resource<Spec, Status> | undefined, request: ReconcileRequest, ctx: LoopScope<Spec, Status>): Observable<Outcome | undefined> => {
    const readDesired = () => desired;
    const readCurrent = (key: Key) => phases.observe(key, ctx);
    const plan = (d: Resource<Spec, Status> | undefined, current: C | undefined, key: Key) => phases.compare(d, current as C, key);
    const steps = of(request).pipe(
      observe<Resource<Spec, Status>, C>({ desired: readDesired, current: readCurrent }),
      compare(plan),
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
