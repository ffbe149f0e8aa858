/**
 * The deterministic simulation runner: a whole loop (store, watch, queue, backoff, resync, timeouts)
 * runs in virtual time against a world, with seeded faults, and leaves a trace of its passes, writes,
 * corrections, faults and world states.
 *
 * @module
 */
import type { Subscription } from 'rxjs';
import { createMemoryStore, keyOf } from '../src/index.js';
import type { Correction, Key, MemoryStore, NewResource, PassResult, QueueHooks, Resource, Store, WatchEvent } from '../src/index.js';
import { defineLoop } from '../operators/index.js';
import type { Loop, LoopOptions } from '../operators/index.js';
import { SimulationScheduler, drainMicrotasks } from './clock.js';
import type { DesiredResource, LoopDefinition, LoopEnv } from './definition.js';
import { BadDefinitionError } from './errors.js';
import { faultyStore, faultyWorld } from './faults.js';
import type { Faults, InjectedFault } from './faults.js';
import { at, diffItems, show, stableJson } from './format.js';
import { passSummary } from './marbles.js';
import { memoryWorld } from './world.js';
import type { Items, World } from './world.js';

/**
 * One finished pass in a trace.
 *
 * ## Example
 * ```ts
 * const failed = trace.passes.filter((p) => p.outcome === 'retry').map((p) => p.error);
 * ```
 */
export interface PassRecord {
  readonly seq: number;
  /** When the pass finished (virtual ms). */
  readonly at: number;
  readonly startedAt: number;
  readonly key: Key;
  readonly reason: string;
  readonly outcome: PassResult['outcome']['type'];
  /** `CODE: message` of a failed pass. */
  readonly error: string | undefined;
  /** Consecutive failures of the key after this pass. */
  readonly failures: number;
  readonly parked: string | undefined;
  /** {@link passSummary} of the pass, e.g. `a:retry(CONFLICT)`. */
  readonly summary: string;
}

/**
 * One store write that changed something (no-op writes are not writes).
 *
 * ## Example
 * ```ts
 * const statusWrites = trace.writes.filter((w) => w.changed.includes('status'));
 * ```
 */
export interface WriteRecord {
  readonly seq: number;
  readonly at: number;
  readonly op: 'create' | 'update' | 'updateStatus' | 'delete';
  readonly kind: string;
  readonly key: Key;
  /** What changed: `created`, `removed`, `spec`, `status`, `finalizers`, `deleting`, `labels`, … */
  readonly changed: readonly string[];
  readonly before: Resource | undefined;
  readonly after: Resource | undefined;
}

/**
 * One `world.apply` call by the loop, whatever became of it.
 *
 * ## Example
 * ```ts
 * const lost = trace.applies.filter((a) => a.result.includes('acknowledgement')).length;
 * ```
 */
export interface ApplyRecord<V> {
  readonly seq: number;
  readonly at: number;
  readonly correction: Correction<V>;
  /** `ok`, or `CODE: message` of the error the call ended with. */
  readonly result: string;
  /** Whether the world's true state changed. */
  readonly changed: boolean;
}

/**
 * A non-empty plan computed by a phase loop's `compare`.
 *
 * ## Example
 * ```ts
 * for (const p of trace.plans) console.log(p.key, p.corrections.map((c) => c.action));
 * ```
 */
export interface PlanRecord {
  readonly seq: number;
  readonly at: number;
  readonly key: Key;
  readonly corrections: readonly Correction[];
}

/**
 * An injected fault, in trace order.
 *
 * ## Example
 * ```ts
 * const drops = trace.faults.filter((f) => f.fault === 'drop');
 * ```
 */
export interface FaultRecord extends InjectedFault {
  readonly seq: number;
}

/**
 * The world's true state after a change (and at the start).
 *
 * ## Example
 * ```ts
 * const last = trace.worlds.at(-1)?.items;
 * ```
 */
export interface WorldRecord<V> {
  readonly seq: number;
  readonly at: number;
  readonly items: Items<V>;
}

/**
 * The content of the store and the world (no versions or timestamps of the store), after a change.
 *
 * ## Example
 * ```ts
 * const changes = trace.states.length; // distinct store+world contents the run went through
 * ```
 */
export interface StateRecord {
  readonly seq: number;
  readonly at: number;
  /** Stable JSON of the world's items. */
  readonly world: string;
  /** Stable JSON of the loop kind's resources: spec, status, finalizers, labels, deleting. */
  readonly store: string;
}

/**
 * What a simulation did, in order (`seq` orders records across the lists). Replays are identical
 * for the same definition, inputs and seed.
 *
 * ## Example
 * ```ts
 * const { trace } = await simulate(def, { desired, seed: 7, until: 60_000 });
 * console.log(formatTrace(trace));
 * ```
 */
export interface Trace<V> {
  readonly seed: number;
  readonly passes: readonly PassRecord[];
  readonly writes: readonly WriteRecord[];
  readonly applies: readonly ApplyRecord<V>[];
  readonly plans: readonly PlanRecord[];
  readonly faults: readonly FaultRecord[];
  readonly worlds: readonly WorldRecord<V>[];
  readonly states: readonly StateRecord[];
}

/**
 * Options of {@link startSimulation} and {@link simulate}.
 *
 * ## Example
 * ```ts
 * const options: SimulationOptions<{ size: number }, unknown, number> = { desired: [], current: { a: 1 }, seed: 3, faults: defaultFaults };
 * ```
 */
export interface SimulationOptions<Spec, Status, V> {
  /** Resources put in the store before the loop starts. */
  readonly desired?: readonly DesiredResource<Spec, Status>[];
  /** The world's state before the loop starts. Default: empty. */
  readonly current?: Items<V>;
  /** Seed of every injected fault. Default 1. */
  readonly seed?: number;
  /** Faults to inject. Default: none. */
  readonly faults?: Faults;
  /** Passes that may start at one virtual instant before the run counts as a livelock. Default `max(1000, 50 × keys)`. */
  readonly maxPassesPerInstant?: number;
  /**
   * Real event-loop turns (the first 100 immediate, then 1 ms each) to wait for world calls doing real
   * I/O before virtual time moves. Default 1000. A world must never wait on virtual time itself.
   */
  readonly maxIoTurns?: number;
}

/**
 * How the loop stands at the end of a step.
 *
 * ## Example
 * ```ts
 * if ((await sim.settle(60_000)) !== 'quiet') console.log(formatTrace(sim.trace));
 * ```
 */
export type SettleResult = 'quiet' | 'timeout' | 'stuck' | 'livelock';

/**
 * The result of {@link Simulation.assess}: is the run in the desired state, and if not, why.
 *
 * ## Example
 * ```ts
 * const { converged, problems } = await sim.assess();
 * ```
 */
export interface Assessment {
  readonly converged: boolean;
  /** Reasons it is not: world differences, resources not ready, keys parked or backing off. */
  readonly problems: readonly string[];
}

const noop = (): void => undefined;

/**
 * A running simulation of one loop: a virtual clock, the true store and world, the faulty ones the
 * loop uses, and the trace. Step it with {@link Simulation.runUntil}, {@link Simulation.advance} and
 * {@link Simulation.settle}; poke it with {@link Simulation.trigger}.
 *
 * Use it for scenario tests that need to act between steps (change the desired state, trigger a
 * key, check the world at a given time). Create it with {@link startSimulation}.
 *
 * ## Example
 * ```ts
 * const sim = await startSimulation(def, { desired: [{ metadata: { name: 'a' }, spec: { size: 1 } }] });
 * await sim.settle(60_000);
 * await sim.store.update({ ...(await sim.store.get('Item', 'a'))!, spec: { size: 2 } });
 * await sim.advance(1000);
 * console.log(sim.world.snapshot(), formatTrace(sim.trace));
 * await sim.stop();
 * ```
 */
export class Simulation<Spec, Status, V> {
  readonly seed: number;
  readonly scheduler: SimulationScheduler;
  /** The loop's kind. */
  readonly kind: string;
  /** The true store (no faults): change desired state through it. */
  readonly store: MemoryStore;
  /** The true world (no faults). */
  readonly world: World<V>;
  /** The loop, built by `defineLoop` from the definition. */
  readonly loop: Loop;
  readonly trace: Trace<V>;
  /** Every key of the desired input (including deleted ones). */
  readonly desiredKeys: readonly Key[];
  private readonly t: {
    passes: PassRecord[];
    writes: WriteRecord[];
    applies: ApplyRecord<V>[];
    plans: PlanRecord[];
    faults: FaultRecord[];
    worlds: WorldRecord<V>[];
    states: StateRecord[];
  };
  private readonly definition: LoopDefinition<Spec, Status, V, unknown, unknown>;
  private readonly subscriptions: Subscription[] = [];
  private readonly io = { inflight: 0 };
  private readonly maxIoTurns: number;
  private readonly maxPassesPerInstant: number;
  private readonly content = new Map<Key, string>();
  private seq = 0;
  private instant = -1;
  private passesAtInstant = 0;
  private livelockReason: string | undefined;
  private stopped = false;

  /** @internal Use {@link startSimulation}. */
  constructor(definition: LoopDefinition<Spec, Status, V, unknown, unknown>, options: SimulationOptions<Spec, Status, V>, desiredKeys: readonly Key[]) {
    this.definition = definition;
    this.seed = options.seed ?? 1;
    this.desiredKeys = desiredKeys;
    this.maxIoTurns = options.maxIoTurns ?? 1000;
    this.maxPassesPerInstant = options.maxPassesPerInstant ?? Math.max(1000, 50 * desiredKeys.length);
    this.scheduler = new SimulationScheduler();
    this.t = { passes: [], writes: [], applies: [], plans: [], faults: [], worlds: [], states: [] };
    this.trace = { seed: this.seed, ...this.t };
    this.store = createMemoryStore({ scheduler: this.scheduler, ...(definition.kinds ? { kinds: definition.kinds } : {}) });
    const baseWorld = (definition.world ?? ((initial: Items<V>) => memoryWorld(initial)))(options.current ?? {});
    this.world = baseWorld;

    const faults = options.faults ?? {};
    const until = faults.until ?? Infinity;
    const onFault = (fault: InjectedFault) => this.t.faults.push({ seq: this.seq++, ...fault });
    const common = { seed: this.seed, scheduler: this.scheduler, until, onFault };
    const store = faultyStore(this.recordingStore(this.store), { ...common, ...(faults.store ? { faults: faults.store } : {}) });
    const world = this.recordingWorld(faultyWorld(this.countingWorld(baseWorld), { ...common, ...(faults.world ? { faults: faults.world } : {}) }));
    const env: LoopEnv<V> = { store, scheduler: this.scheduler, world };

    const spec = definition.loop(env);
    if (typeof spec !== 'object' || spec === null || typeof spec.kind !== 'string') {
      throw new BadDefinitionError('definition.loop(env) must return the options of defineLoop (name, kind, reconcile or phases), without store and scheduler');
    }
    this.kind = spec.kind;
    const hooks: QueueHooks = {
      ...spec.hooks,
      onStart: (key, request, queuedMs) => {
        this.countPass(key);
        spec.hooks?.onStart?.(key, request, queuedMs);
      },
    };
    let loopOptions: LoopOptions<Spec, Status, unknown, unknown>;
    if ('compare' in spec) {
      const compare = spec.compare;
      loopOptions = {
        ...spec,
        store,
        scheduler: this.scheduler,
        hooks,
        compare: (desired, current, key) => {
          const plan = compare(desired, current, key);
          if (plan.length > 0) {
            this.t.plans.push({
              seq: this.seq++,
              at: this.scheduler.now(),
              key,
              corrections: plan.map((c) => ({ ...c, idempotencyKey: c.idempotencyKey ?? '' })),
            });
          }
          return plan;
        },
      };
    } else {
      loopOptions = { ...spec, store, scheduler: this.scheduler, hooks };
    }
    this.loop = defineLoop<Spec, Status, unknown, unknown>(loopOptions);
    this.subscriptions.push(this.loop.results$.subscribe((r) => this.recordPass(r)));
    this.subscriptions.push(this.store.watch(this.kind).subscribe((e) => this.recordContent(e)));
    this.recordWorld();
  }

  /** Current virtual time (ms). */
  get now(): number {
    return this.scheduler.now();
  }

  /** The `seq` the next trace record will get: records from a point on have `seq` ≥ this. */
  get position(): number {
    return this.seq;
  }

  /** Why the run was cut as a livelock, if it was. */
  get livelock(): string | undefined {
    return this.livelockReason;
  }

  /** The loop kind's resources in the true store. */
  resources(): Promise<Resource<Spec, Status>[]> {
    return this.store.list<Spec, Status>(this.kind);
  }

  /** Runs the loop until virtual time `time` (timers one at a time, Promises settled in between). */
  async runUntil(time: number, onStep: () => void | Promise<void> = noop): Promise<void> {
    for (;;) {
      await this.drain();
      await onStep();
      if (this.livelockReason !== undefined) break;
      const next = this.scheduler.nextAt;
      if (next === undefined || next > time) break;
      this.scheduler.runNext();
    }
    this.scheduler.advanceTo(time);
  }

  /** Runs the loop for `ms` more virtual milliseconds. */
  advance(ms: number, onStep?: () => void | Promise<void>): Promise<void> {
    return this.runUntil(this.now + ms, onStep);
  }

  /**
   * True when no pass runs, no key is ready, no key waits for a retry or a dependency (a key polling
   * with `requeueAfter` is fine) and no timer is due now.
   */
  quiet(): boolean {
    const s = this.loop.snapshot();
    return s.depth === 0 && s.running === 0 && s.delayed.every((d) => d.why === 'requeue') && !this.scheduler.due;
  }

  /**
   * Runs until the loop is {@link quiet} (`'quiet'`), `limit` virtual ms have passed (`'timeout'`),
   * a pass waits on something outside virtual time (`'stuck'`), or passes loop without time passing
   * (`'livelock'`).
   */
  async settle(limit: number): Promise<SettleResult> {
    const deadline = this.now + limit;
    for (;;) {
      await this.drain();
      if (this.livelockReason !== undefined) return 'livelock';
      if (this.quiet()) return 'quiet';
      const next = this.scheduler.nextAt;
      if (next === undefined) return 'stuck';
      if (next > deadline) {
        this.scheduler.advanceTo(deadline);
        return 'timeout';
      }
      this.scheduler.runNext();
    }
  }

  /** A manual trigger of `key` (runs it now, even in backoff or parked). */
  trigger(key: Key): boolean {
    return this.loop.trigger(key);
  }

  /** Releases a quarantined or terminal key. */
  release(key: Key): boolean {
    return this.loop.release(key);
  }

  /** The world the definition's `expected` asks for, given the store's resources now (if it has one). */
  async expectedWorld(): Promise<Items<V> | undefined> {
    return this.definition.expected?.(await this.resources());
  }

  /**
   * Whether the run is in the desired state now: the world equals `definition.expected` of the
   * resources (when given), every resource is `ready`, and no key is parked or backing off.
   */
  async assess(): Promise<Assessment> {
    const problems: string[] = [];
    const resources = await this.resources();
    if (this.definition.expected !== undefined) {
      for (const line of diffItems(this.definition.expected(resources), this.world.snapshot())) problems.push(`world: ${line}`);
    }
    const ready = this.definition.ready ?? defaultReady;
    for (const resource of resources) {
      const verdict = ready(resource);
      if (verdict !== true) problems.push(`${this.kind} ${JSON.stringify(keyOf(resource))} not ready: ${verdict}`);
    }
    const snapshot = this.loop.snapshot();
    for (const p of snapshot.parked) problems.push(`key ${JSON.stringify(p.key)} is ${p.reason} after ${p.failures} failure(s): ${p.lastError ?? '?'}`);
    for (const d of snapshot.delayed) {
      if (d.why !== 'requeue') problems.push(`key ${JSON.stringify(d.key)} is ${d.why === 'backoff' ? 'backing off' : 'waiting'} (${d.failures} failure(s)): ${d.lastError ?? '?'}`);
    }
    if (snapshot.running > 0 || snapshot.depth > 0) problems.push(`${snapshot.running} pass(es) running, ${snapshot.depth} key(s) queued`);
    return { converged: problems.length === 0, problems };
  }

  /** Stops the loop (aborting passes at once) and lets the teardown settle. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    void this.loop.stop({ deadline: 0 });
    for (let i = 0; i < 100 && this.scheduler.due; i++) this.scheduler.runNext();
    await drainMicrotasks();
    for (const s of this.subscriptions) s.unsubscribe();
  }

  /** Lets microtasks and in-flight real I/O of the world settle. */
  private async drain(): Promise<void> {
    await drainMicrotasks();
    for (let turns = 0; this.io.inflight > 0 && turns < this.maxIoTurns; turns++) {
      await new Promise<void>((resolve) => setTimeout(resolve, turns < 100 ? 0 : 1));
    }
    if (this.io.inflight > 0) await drainMicrotasks();
  }

  private countPass(key: Key): void {
    const now = this.scheduler.now();
    if (now !== this.instant) {
      this.instant = now;
      this.passesAtInstant = 0;
    }
    if (++this.passesAtInstant > this.maxPassesPerInstant && this.livelockReason === undefined) {
      this.livelockReason =
        `${this.passesAtInstant} passes started at ${at(now)} without virtual time passing (last key ${JSON.stringify(key)}): ` +
        'each pass triggers the next one — typically a write that changes something on every pass (a write storm)';
      void this.loop.stop({ deadline: 0 });
    }
  }

  private recordPass(r: PassResult): void {
    const o = r.outcome;
    let error: string | undefined;
    if (o.type === 'retry' || o.type === 'terminal') {
      const code = (o.error as { code?: unknown }).code;
      error = `${typeof code === 'string' ? code : o.error.name}: ${o.error.message}`;
    }
    this.t.passes.push({
      seq: this.seq++,
      at: r.finishedAt,
      startedAt: r.startedAt,
      key: r.key,
      reason: r.request.reason,
      outcome: o.type,
      error,
      failures: r.failures,
      parked: r.parked,
      summary: passSummary(r),
    });
  }

  private recordContent(event: WatchEvent): void {
    if (event.type === 'synced') return;
    const key = keyOf(event.object);
    if (event.type === 'deleted') this.content.delete(key);
    else this.content.set(key, stableJson(contentOf(event.object)));
    this.pushState();
  }

  private recordWorld(): void {
    this.t.worlds.push({ seq: this.seq++, at: this.scheduler.now(), items: this.world.snapshot() });
    this.pushState();
  }

  private pushState(): void {
    const store = `{${[...this.content].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
    const world = stableJson(this.world.snapshot());
    const last = this.t.states[this.t.states.length - 1];
    if (last !== undefined && last.store === store && last.world === world) return;
    this.t.states.push({ seq: this.seq++, at: this.scheduler.now(), world, store });
  }

  /** The innermost store layer: records every write that changed something. */
  private recordingStore(store: MemoryStore): Store {
    const record = async <R>(op: WriteRecord['op'], kind: string, key: Key, call: () => Promise<R>): Promise<R> => {
      const before = await store.get(kind, key);
      const result = await call();
      const after = await store.get(kind, key);
      const changed = changes(before, after);
      if (changed.length > 0) this.t.writes.push({ seq: this.seq++, at: this.scheduler.now(), op, kind, key, changed, before, after });
      return result;
    };
    return {
      get: (kind, key) => store.get(kind, key),
      list: (kind, options) => store.list(kind, options),
      watch: (kind, options) => store.watch(kind, options),
      create: <S, St>(kind: string, resource: NewResource<S, St>) => record('create', kind, newKey(resource), () => store.create<S, St>(kind, resource)),
      update: (resource) => record('update', resource.kind, keyOf(resource), () => store.update(resource)),
      updateStatus: (resource) => record('updateStatus', resource.kind, keyOf(resource), () => store.updateStatus(resource)),
      delete: (kind, key) => record('delete', kind, key, () => store.delete(kind, key)),
    };
  }

  /** The outermost world layer: records every `apply` and the world states it leads to. */
  private recordingWorld(world: World<V>): World<V> {
    return {
      read: () => world.read(),
      get: (target) => world.get(target),
      snapshot: () => world.snapshot(),
      apply: async (correction) => {
        const before = stableJson(this.world.snapshot());
        const done = (result: string) => {
          const changed = stableJson(this.world.snapshot()) !== before;
          this.t.applies.push({ seq: this.seq++, at: this.scheduler.now(), correction, result, changed });
          if (changed) this.recordWorld();
        };
        try {
          await world.apply(correction);
        } catch (error) {
          done(errorText(error));
          throw error;
        }
        done('ok');
      },
    };
  }

  /** The innermost world layer: counts calls in flight (real I/O must end before time moves). */
  private countingWorld(world: World<V>): World<V> {
    const count = async <R>(call: () => Promise<R>): Promise<R> => {
      this.io.inflight++;
      try {
        return await call();
      } finally {
        this.io.inflight--;
      }
    };
    return {
      read: () => count(() => world.read()),
      get: (target) => count(() => world.get(target)),
      apply: (correction) => count(() => world.apply(correction)),
      snapshot: () => world.snapshot(),
    };
  }
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return `thrown: ${show(error, 100)}`;
  const code = (error as { code?: unknown }).code;
  return `${typeof code === 'string' ? code : error.name}: ${error.message}`;
}

function newKey(resource: NewResource<unknown, unknown>): Key {
  const m = resource?.metadata;
  return m?.namespace ? `${m.namespace}/${m.name}` : (m?.name ?? '?');
}

function defaultReady(resource: Resource): true | string {
  return resource.metadata.deletionTimestamp === undefined ? true : `still being deleted (finalizers: ${resource.metadata.finalizers.join(', ')})`;
}

/** What of a resource counts as content (no version, uid or timestamps of the store). */
function contentOf(r: Resource): unknown {
  const m = r.metadata;
  return {
    spec: r.spec,
    status: r.status,
    labels: m.labels,
    annotations: m.annotations,
    finalizers: m.finalizers,
    ownerReferences: m.ownerReferences,
    deleting: m.deletionTimestamp !== undefined,
  };
}

/** The names of what changed between two versions of a resource. */
function changes(before: Resource | undefined, after: Resource | undefined): string[] {
  if (before === undefined && after === undefined) return [];
  if (before === undefined) return ['created'];
  if (after === undefined) return ['removed'];
  if (before.metadata.version === after.metadata.version) return [];
  const out: string[] = [];
  if (stableJson(before.spec) !== stableJson(after.spec)) out.push('spec');
  if (stableJson(before.status) !== stableJson(after.status)) out.push('status');
  for (const field of ['finalizers', 'labels', 'annotations', 'ownerReferences'] as const) {
    if (stableJson(before.metadata[field]) !== stableJson(after.metadata[field])) out.push(field);
  }
  if (before.metadata.deletionTimestamp !== after.metadata.deletionTimestamp) out.push('deleting');
  return out.length > 0 ? out : ['version'];
}

/**
 * Starts a simulation of a loop definition: a fresh memory store holding `desired`, a world holding
 * `current`, seeded faults, and the loop built with `defineLoop` on a virtual clock. Nothing runs
 * until you step it.
 *
 * Use it for scenario tests; use {@link simulate} to just run for a while, and the checkers for
 * properties over many generated inputs.
 *
 * ## Example
 * ```ts
 * const sim = await startSimulation(def, { desired, current: {}, seed: 3, faults: defaultFaults });
 * await sim.runUntil(120_000);
 * console.log((await sim.assess()).problems);
 * await sim.stop();
 * ```
 */
export async function startSimulation<Spec, Status, V, C, T>(
  definition: LoopDefinition<Spec, Status, V, C, T>,
  options: SimulationOptions<Spec, Status, V> = {},
): Promise<Simulation<Spec, Status, V>> {
  if (typeof definition?.loop !== 'function') {
    throw new BadDefinitionError('a loop definition needs loop: (env) => options of defineLoop (see loopDefinition)');
  }
  const desired = uniqueByKey(options.desired ?? []);
  const sim = new Simulation<Spec, Status, V>(definition as unknown as LoopDefinition<Spec, Status, V, unknown, unknown>, options, desired.map((d) => newKey(d)));
  // Seed the true store before the loop's first tick: its watch replays these as the initial list.
  for (const resource of desired) {
    const { deleted, ...create } = resource;
    await sim.store.create<Spec, Status>(sim.kind, create);
    if (deleted === true) await sim.store.delete(sim.kind, newKey(create));
  }
  return sim;
}

function uniqueByKey<R extends NewResource<unknown, unknown>>(resources: readonly R[]): R[] {
  const seen = new Set<Key>();
  return resources.filter((r) => {
    const key = newKey(r);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The outcome of {@link simulate}.
 *
 * ## Example
 * ```ts
 * const { world, resources, assessment } = await simulate(def, { desired, until: 60_000 });
 * ```
 */
export interface SimulationResult<Spec, Status, V> {
  readonly seed: number;
  readonly trace: Trace<V>;
  /** The world's true state at the end. */
  readonly world: Items<V>;
  /** The loop kind's resources at the end. */
  readonly resources: readonly Resource<Spec, Status>[];
  /** Whether the end state is the desired one (see {@link Simulation.assess}). */
  readonly assessment: Assessment;
  /** Set when the run was cut because passes looped without time passing. */
  readonly livelock: string | undefined;
}

/**
 * Runs a loop definition in virtual time from `desired` and `current` for `until` ms (default one
 * virtual minute) with seeded `faults`, and returns its trace and end state. The same inputs and
 * seed give the same trace: this is how a failing check's seed is replayed.
 *
 * ## Example
 * ```ts
 * import { defaultFaults, formatTrace, simulate } from 'rx-reconcile/testing';
 *
 * const result = await simulate(def, { desired, current: {}, seed: 1234, faults: defaultFaults, until: 120_000 });
 * console.log(formatTrace(result.trace), result.assessment);
 * ```
 */
export async function simulate<Spec, Status, V, C, T>(
  definition: LoopDefinition<Spec, Status, V, C, T>,
  options: SimulationOptions<Spec, Status, V> & { readonly until?: number } = {},
): Promise<SimulationResult<Spec, Status, V>> {
  const sim = await startSimulation(definition, options);
  try {
    await sim.runUntil(options.until ?? 60_000);
    return {
      seed: sim.seed,
      trace: sim.trace,
      world: sim.world.snapshot(),
      resources: await sim.resources(),
      assessment: await sim.assess(),
      livelock: sim.livelock,
    };
  } finally {
    await sim.stop();
  }
}

/**
 * Options of {@link formatTrace}.
 *
 * ## Example
 * ```ts
 * formatTrace(trace, { last: 30, compact: true });
 * ```
 */
export interface FormatTraceOptions {
  /** Only the last `last` lines. Default: all. */
  readonly last?: number;
  /** Only records with `seq` ≥ `from`. */
  readonly from?: number;
  /**
   * Folds runs of three or more uneventful passes (converged or requeued, with nothing else between
   * them) into one line, so faults and writes stay in view. Default false.
   */
  readonly compact?: boolean;
}

/**
 * The trace as text, one line per record in order: passes, store writes, world corrections, plans,
 * faults. Put it in failure messages or print it while debugging a seed.
 *
 * ## Example
 * ```ts
 * console.log(formatTrace(result.trace, { last: 30 }));
 * // t=   1000 pass   a (retry) → converged
 * // t=   1000 write  updateStatus Item/a: status
 * ```
 */
export function formatTrace<V>(trace: Trace<V>, options: FormatTraceOptions = {}): string {
  const lines: { seq: number; text: string }[] = [];
  const quiet = new Set<number>();
  for (const p of trace.passes) {
    if (p.outcome === 'converged' || p.outcome === 'requeueAfter') quiet.add(p.seq);
    lines.push({ seq: p.seq, text: `${at(p.at)} pass   ${p.key} (${p.reason}) → ${p.outcome}${p.error ? ` ${p.error}` : ''}${p.parked ? ` [${p.parked}]` : ''}` });
  }
  for (const w of trace.writes) lines.push({ seq: w.seq, text: `${at(w.at)} write  ${w.op} ${w.kind}/${w.key}: ${w.changed.join(', ')}` });
  for (const a of trace.applies) {
    const c = a.correction;
    lines.push({ seq: a.seq, text: `${at(a.at)} world  ${c.action} ${c.target}${c.value === undefined ? '' : ` = ${show(c.value, 60)}`} → ${a.result}${a.changed ? '' : ' (no change)'}` });
  }
  for (const p of trace.plans) lines.push({ seq: p.seq, text: `${at(p.at)} plan   ${p.key}: ${p.corrections.map((c) => `${c.action} ${c.target}`).join(', ')}` });
  for (const f of trace.faults) lines.push({ seq: f.seq, text: `${at(f.at)} fault  ${f.where} ${f.fault}: ${f.target}` });
  const from = options.from ?? 0;
  const ordered = lines.filter((l) => l.seq >= from).sort((a, b) => a.seq - b.seq);
  const sorted: string[] = [];
  for (let i = 0; i < ordered.length; ) {
    let j = i;
    while (options.compact === true && j < ordered.length && quiet.has((ordered[j] as { seq: number }).seq)) j++;
    if (j - i >= 3) {
      const last = trace.passes.find((p) => p.seq === (ordered[j - 1] as { seq: number }).seq);
      sorted.push((ordered[i] as { text: string }).text, `${' '.repeat(10)} … ${j - i - 1} more uneventful pass(es), until ${at(last?.at ?? 0).trim()}`);
      i = j;
    } else {
      sorted.push((ordered[i] as { text: string }).text);
      i++;
    }
  }
  const cut = options.last !== undefined && sorted.length > options.last ? [`… ${sorted.length - options.last} earlier line(s)`, ...sorted.slice(-options.last)] : sorted;
  return cut.join('\n');
}
