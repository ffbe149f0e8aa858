/**
 * A loop whose desired state lives in a store (`defineLoop({ store, kind, … })`): the store's watch
 * of the kind, resync, dependencies and owned kinds as triggers; a pass wrapped by finalizer, schema,
 * cascade and status conditions; the loop's own writes kept from coming back as triggers.
 *
 * @module
 */
import { defer, from, merge, mergeMap } from 'rxjs';
import type { Observable } from 'rxjs';
import { keyOf, toError } from '../../src/index.js';
import type { EventFilter, Key, Logger, ReconcileRequest, Resource, Store, Work } from '../../src/index.js';
import { deepEqual as equal } from '../../src/equal.js';
import { conditionTypesOf } from '../../src/status.js';
import { peekOf } from '../../src/peek.js';
import { deepFreeze } from '../../src/plain-data.js';
import { ignoreOwnWrites } from '../ignore-own-writes.js';
import { resync } from '../resync.js';
import { triggerOwners } from '../trigger-owners.js';
import { triggerWith } from '../trigger-with.js';
import { supervisedWatch } from '../watch-events.js';
import { watchRequests } from '../watch-requests.js';
import { withOwnership } from '../with-ownership.js'; // coordinator (issue 12)
import type { SpecSchema } from '../with-schema.js';
import { goneOwners, recallChildKinds, rememberChildKind } from './child-kinds.js';
import { claimConditions } from './condition-writers.js';
import { LoopScope, newUsage } from './loop-context.js';
import type { LoopEnv } from './loop-context.js';
import type { LoopDescription } from './loop.js';
import { conditionPrefixOf } from './loop-options.js';
import type { PhaseLoopOptions, ReconcileLoopOptions, ResolvedLoopOptions } from './loop-options.js';
import { passOf } from './loop-pass.js';
import { LoopRuntime } from './loop-runtime.js';
import type { Loop } from './loop.js';
import { phaseFacts } from './loop.js';
import { recordParked } from './record-parked.js';
import { worldKeysSource } from './world-keys.js';

/** Starts a store loop (options already checked). */
export function storeLoop<Spec, Status, C, T>(options: ResolvedLoopOptions<Spec, Status, C, T>, source: string | undefined): Loop {
  const runtime = new LoopRuntime(options);
  const { name, store, kind } = options;
  const { scheduler, logger, health, random } = runtime;
  const usage = newUsage(options.owns);
  /**
   * The loop's own writes (conditions, finalizer, ctx.updateStatus, ctx.store writes of the pass's key)
   * through this view do not come back as triggers — the removal of a deleted resource's last finalizer
   * included, unless the loop owns children (then that removal runs one more pass: the cascade).
   */
  const owned = options.coordinator ? withOwnership({ coordinator: options.coordinator, store, kind, logger, scheduler }) : undefined; // coordinator
  const own = counted(ignoreOwnWrites(owned?.store ?? store, { deletes: () => usage.ownedKinds.size === 0 }));
  // One parse per stored spec: withSchema checks it, and passes see its output (parsedView).
  const schema = options.schema === undefined ? undefined : parsedOnce(options.schema);
  // Child kinds known durably: `owns` (given at every start) and those recorded or recalled.
  const remembered = new Set<string>(options.owns ?? []);
  const env: LoopEnv = {
    loop: name,
    kind,
    store,
    own: own.store,
    ownWrites: own.writes,
    peek: peekOf(store),
    ledger: options.ledger ?? store,
    scheduler,
    logger,
    random,
    usage,
    parsed: schema === undefined ? undefined : parsedView(schema),
    // Without the cascade (`orphan`), the kinds need not be known after a restart.
    rememberChildKind:
      options.orphan === true
        ? undefined
        : async (ledger, childKind) => {
            if (remembered.has(childKind)) return;
            await rememberChildKind(ledger, name, childKind);
            remembered.add(childKind);
          },
  };
  const pass = passOf(schema === undefined ? options : { ...options, schema }, env);
  const scoped: Work = (request, queuePass) => pass(request, new LoopScope<Spec, Status>(env, request, queuePass));
  const work: Work = owned ? owned.work(scoped) : scoped; // coordinator

  const triggers: Observable<Key | ReconcileRequest>[] = [];
  const own$ = `watch ${kind}`;
  health.source(own$, true);
  triggers.push(
    watchRequests<Spec, Status>(own.store, kind, {
      ...runtime.watchOptions,
      ...(options.filter ? { filter: allOf(options.filter) } : {}),
      onSynced: () => health.listed(own$),
      onError: runtime.failed(own$),
    }),
  );
  if (options.resync !== undefined) {
    health.source('resync', false);
    const visit = options.resyncFilter;
    const keys = async (): Promise<Key[]> => {
      const all = await store.list<Spec, Status>(kind);
      return (visit === undefined ? all : all.filter((resource) => keep(visit, resource, logger))).map(keyOf);
    };
    triggers.push(resync({ every: options.resync, scheduler, logger, onError: runtime.failed('resync'), keys }));
  }
  if (options.worldKeys !== undefined) {
    health.source('worldKeys', false);
    triggers.push(worldKeysSource(options.worldKeys, { every: options.resync, scheduler, logger, onError: runtime.failed('worldKeys') }));
  }
  const dependencies = [...(options.dependencies ?? [])];
  for (const owned of options.owns ?? []) {
    if (!dependencies.some((d) => (typeof d === 'string' ? d : d.kind) === owned)) dependencies.push({ kind: owned, controllerOnly: true });
  }
  for (const dep of dependencies) {
    const depKind = typeof dep === 'string' ? dep : dep.kind;
    const label = `dependency ${depKind}`;
    health.source(label, false);
    const events$ = supervisedWatch(store, depKind, { ...runtime.watchOptions, onError: runtime.failed(label) });
    if (typeof dep === 'string') triggers.push(events$.pipe(triggerOwners(kind, { logger })));
    else if ('map' in dep) triggers.push(events$.pipe(triggerWith(dep.map, { logger })));
    else triggers.push(events$.pipe(triggerOwners(kind, { controllerOnly: dep.controllerOnly === true, logger })));
  }
  if (options.orphan !== true) triggers.push(missedCascades(runtime, env, remembered));
  const conditionPrefix = conditionPrefixOf(options.conditions);
  if (options.conditions !== false) {
    const claim = claimConditions(store, kind, conditionPrefix ?? '', name);
    runtime.onStop(claim.release);
    if (claim.others.length > 0) {
      const types = Object.values(conditionTypesOf(conditionPrefix)).join(', ');
      logger.warn(
        { kind, loops: [...claim.others, name], conditions: types },
        `Loops share their status conditions: they overwrite each other's ${types} on ${kind}; give all but one conditions: { prefix: 'Name' } (or conditions: false)`,
      );
    }
  }
  triggers.push(...runtime.userTriggers());

  const { reconcile: _r, observe: _o, compare: _c, correct: _k, verify: _v, ...base } = options as ReconcileLoopOptions<Spec, Status> &
    Partial<PhaseLoopOptions<Spec, Status, C, T>>;
  void [_r, _o, _c, _k, _v];
  return runtime.start({
    triggers: owned ? [merge(...triggers).pipe(owned.triggers)] : triggers, // coordinator
    work,
    queueOptions: options,
    ...(options.conditions === false ? {} : { onFinish: (result) => recordParked(result, { store: own.store, kind, scheduler, logger, prefix: conditionPrefix }) }),
    describe: { ...base, kind, style: 'reconcile' in options ? 'reconcile' : 'phases', mode: 'store', ...phaseFacts(options) } as LoopDescription,
    source,
    usage,
  });
}

/**
 * At start: the child kinds the loop recorded in an earlier run join its owned kinds (so its cascade
 * covers them), and an owner that is gone while children of those kinds still name it gets a pass
 * (the cascade missed while the loop was down). Kinds in `owns` need no sweep: their watch's first
 * list wakes those owners. Retried with the loop's backoff when the store fails.
 */
function missedCascades(runtime: LoopRuntime, env: LoopEnv, remembered: Set<string>): Observable<ReconcileRequest> {
  const owns = new Set(remembered);
  const sweep = async (): Promise<Key[]> => {
    const kinds = await recallChildKinds(env.ledger, env.loop);
    for (const kind of kinds) {
      env.usage.ownedKinds.add(kind);
      remembered.add(kind);
    }
    const swept = kinds.filter((kind) => !owns.has(kind));
    return swept.length === 0 ? [] : goneOwners(env.store, env.kind, swept, env.logger);
  };
  return runtime.supervise(
    'child kinds',
    defer(sweep).pipe(mergeMap((keys) => from(keys.map((key): ReconcileRequest => ({ key, reason: 'dependency' }))))),
  );
}

/** `store` with a count of the writes made through it. */
function counted(store: Store): { readonly store: Store; readonly writes: () => number } {
  let writes = 0;
  return {
    writes: () => writes,
    store: {
      ...store,
      create: (kind, resource) => (writes++, store.create(kind, resource)),
      update: (resource) => (writes++, store.update(resource)),
      updateStatus: (resource) => (writes++, store.updateStatus(resource)),
      delete: (kind, key) => (writes++, store.delete(kind, key)),
    },
  };
}

/** One filter from a filter or a list of filters (every one must keep the event). */
function allOf<S, St>(filter: EventFilter<S, St> | readonly EventFilter<S, St>[]): EventFilter<S, St> {
  if (typeof filter === 'function') return filter;
  const filters = [...filter];
  return (event) => filters.every((f) => f(event));
}

/** A user predicate that throws keeps its resource (logged). */
function keep<T>(predicate: (value: T) => boolean, value: T, logger: Logger): boolean {
  try {
    return Boolean(predicate(value));
  } catch (error) {
    logger.error({ err: toError(error) }, 'Resync filter threw: the resource is resynced');
    return true;
  }
}

/**
 * A resource with its spec as `schema` gives it (coercions and defaults applied): data written before
 * the schema existed, or to a store that does not parse it, reaches the pass as its type says. The
 * resource itself when the schema refuses the spec (the pass is not run then) or returns it as is.
 */
function parsedView(schema: SpecSchema): (stored: Resource) => Resource {
  // A frozen snapshot's view cannot change either: made once, not on every pass that sees it.
  const views = new WeakMap<Resource, Resource>();
  /** The view, or `undefined` when the schema threw (reported by withSchema; asked again next time). */
  const view = (stored: Resource): Resource | undefined => {
    let result: ReturnType<SpecSchema['safeParse']>;
    try {
      result = schema.safeParse(stored.spec);
    } catch {
      return undefined;
    }
    if (!result.success || equal(result.data, stored.spec)) return stored;
    return Object.freeze({ ...stored, spec: deepFreeze(result.data) });
  };
  return (stored) => {
    const seen = views.get(stored);
    if (seen !== undefined) return seen;
    const made = view(stored);
    if (made === undefined) return stored;
    if (Object.isFrozen(stored)) views.set(stored, made);
    return made;
  };
}

/**
 * `schema` remembering its answer for each spec object: a stored spec is a frozen snapshot that
 * later writes replace rather than change, so its answer cannot change either. A throw is not kept.
 */
function parsedOnce<S>(schema: SpecSchema<S>): SpecSchema<S> {
  const answers = new WeakMap<object, ReturnType<SpecSchema<S>['safeParse']>>();
  return {
    safeParse(data) {
      if (typeof data !== 'object' || data === null || !Object.isFrozen(data)) return schema.safeParse(data);
      let answer = answers.get(data);
      if (answer === undefined) answers.set(data, (answer = schema.safeParse(data)));
      return answer;
    },
  };
}
