/**
 * One run of a simulated loop, from its start to a restart (or the end of the simulation): the
 * loop built by `defineLoop` from the definition, on fresh faulty views of the true store and world.
 *
 * @module
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import type { Key, QueueHooks, Store } from '../src/index.js';
import { defineLoop } from '../operators/define-loop.js';
import type { Loop, LoopOptions } from '../operators/define-loop.js';
import type { LoopDefinition, LoopEnv, LoopSpec } from './definition.js';
import { BadDefinitionError } from './errors.js';
import { faultyStore, faultyWorld } from './faults.js';
import type { Faults } from './faults.js';
import { at } from './format.js';
import { loopStore, loopWorld, recordingWorld } from './loop-views.js';
import { seededRandom } from './random.js';
import type { TraceRecorder } from './trace-recorder.js';
import type { World } from './world.js';

/** One run of the loop. */
export interface Incarnation {
  /** 0, then one more after each restart. */
  readonly n: number;
  readonly loop: Loop;
  /** The kind's name. */
  readonly kind: string;
  readonly resync: number | undefined;
  readonly subscriptions: Subscription[];
  /** Set at a restart: the run's calls are refused from then on. */
  dead: boolean;
}

/** What a run is built from. */
export interface IncarnationEnv<Spec, Status, V> {
  readonly seed: number;
  readonly scheduler: SchedulerLike;
  /** The true store and world (no faults). */
  readonly store: Store;
  readonly world: World<V>;
  readonly faults: Faults;
  faultsActive(now: number): boolean;
  readonly recorder: TraceRecorder<V>;
  readonly definition: LoopDefinition<Spec, Status, V, unknown, unknown, Store>;
  /** Makes one of the run's calls (refused once it is dead; then maybe a step). */
  call<R>(run: Incarnation, what: string, make: () => Promise<R>): Promise<R>;
  readonly maxPassesPerInstant: number;
  /** Told once passes loop without virtual time passing (the run is stopped). */
  onLivelock(reason: string): void;
}

/**
 * Builds run `n` of the loop: the definition's options, with `store` and `world` views that fail as
 * the faults say and report what they did, the virtual clock, and a `random` seeded by the run's
 * seed (and `n`), so jitter, pass ids and `ctx.random()` replay exactly.
 */
export function startIncarnation<Spec, Status, V>(n: number, env: IncarnationEnv<Spec, Status, V>): Incarnation {
  const { seed, scheduler, recorder, faults } = env;
  const common = {
    seed,
    scheduler,
    ...(faults.until !== undefined ? { until: faults.until } : {}),
    active: (now: number) => env.faultsActive(now),
    onFault: recorder.fault.bind(recorder),
  };
  const faultSeed = n === 0 ? seed : (seed ^ Math.imul(n, 0x9e3779b1)) | 0;
  const faulty = faultyStore(env.store, { ...common, seed: faultSeed, ...(faults.store ? { faults: faults.store } : {}) });
  const faultyW = faultyWorld(env.world, { ...common, seed: faultSeed, ...(faults.world ? { faults: faults.world } : {}) });
  const run = { n, loop: undefined as unknown as Loop, kind: '', resync: undefined as number | undefined, subscriptions: [] as Subscription[], dead: false };
  const call = <R>(what: string, make: () => Promise<R>) => env.call(run, what, make);
  const store = loopStore(faulty, env.store, call);
  const record = (correction: Parameters<World<V>['apply']>[0], result: string, changed: boolean) => {
    recorder.apply({ correction, result, changed });
    if (changed) recorder.world();
  };
  const world = loopWorld(recordingWorld(faultyW, env.world, record), call);
  const loopEnv: LoopEnv<V> = { store, scheduler, world };
  const spec = env.definition.loop(loopEnv) as LoopSpec<Spec, Status, unknown, unknown>;
  // The kind: a name, or a typed kind (`defineKind`) — defineLoop registers its schema on the store
  // it is given, which reaches the true store (see loopStore).
  const kind = typeof spec?.kind === 'string' ? spec.kind : (spec?.kind as { name?: unknown } | undefined)?.name;
  if (typeof spec !== 'object' || spec === null || typeof kind !== 'string') {
    throw new BadDefinitionError('definition.loop(env) must return the options of defineLoop (name, kind, reconcile or phases), without store and scheduler');
  }
  run.kind = kind;
  run.resync = typeof spec.resync === 'number' ? spec.resync : undefined;
  const livelock = livelockCounter(scheduler, env.maxPassesPerInstant, (reason) => {
    env.onLivelock(reason);
    void run.loop.stop({ deadline: 0 });
  });
  const hooks: QueueHooks = {
    ...spec.hooks,
    onStart: (key, request, queuedMs, pass) => {
      recorder.passStarted(key);
      livelock(key);
      spec.hooks?.onStart?.(key, request, queuedMs, pass);
    },
  };
  const random = seededRandom(seed, n === 0 ? 'loop' : `loop#${n}`);
  let options: LoopOptions<Spec, Status, unknown, unknown>;
  if ('compare' in spec) {
    const compare = spec.compare;
    options = {
      ...spec,
      store,
      scheduler,
      random,
      hooks,
      compare: (desired, current, key) => {
        const plan = compare(desired, current, key);
        if (plan.length > 0) recorder.plan(key, plan.map((c) => ({ ...c, idempotencyKey: c.idempotencyKey ?? '' })));
        return plan;
      },
    };
  } else {
    options = { ...spec, store, scheduler, random, hooks };
  }
  run.loop = defineLoop<Spec, Status, unknown, unknown>(options);
  run.subscriptions.push(run.loop.results$.subscribe((r) => recorder.pass(n, r)));
  return run;
}

/** Counts passes started at one virtual instant; past `max`, reports a livelock once. */
function livelockCounter(scheduler: SchedulerLike, max: number, report: (reason: string) => void): (key: Key) => void {
  let instant = -1;
  let count = 0;
  let reported = false;
  return (key) => {
    const now = scheduler.now();
    if (now !== instant) {
      instant = now;
      count = 0;
    }
    if (++count > max && !reported) {
      reported = true;
      report(
        `${count} passes started at ${at(now)} without virtual time passing (last key ${JSON.stringify(key)}): ` +
          'each pass triggers the next one — typically a write that changes something on every pass (a write storm)',
      );
    }
  };
}
