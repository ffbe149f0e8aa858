/**
 * A running simulation of one loop: a virtual clock, the true store and world, the faulty ones the
 * loop uses, the steps that change the run from outside, and the trace.
 *
 * @module
 */
import type { Subscription } from 'rxjs';
import { TransientError, createMemoryStore, keyOf } from '../src/index.js';
import type { Key, MemoryStore, PassResult, QueueHooks, Resource, Store, WatchEvent } from '../src/index.js';
import { defineLoop } from '../operators/index.js';
import type { Loop, LoopOptions } from '../operators/index.js';
import { SimulationScheduler, drainMicrotasks } from './clock.js';
import type { LoopDefinition, LoopEnv, LoopSpec } from './definition.js';
import { BadDefinitionError } from './errors.js';
import { faultyStore, faultyWorld } from './faults.js';
import type { Faults, InjectedFault } from './faults.js';
import { at, diffItems, show, stableJson } from './format.js';
import { passSummary } from './marbles.js';
import { seededRandom } from './random.js';
import { runStep } from './run-step.js';
import type { StepHost } from './run-step.js';
import type { Step } from './steps.js';
import type { ApplyRecord, FaultRecord, PassRecord, PlanRecord, StateRecord, StepRecord, Trace, WorldRecord, WriteRecord } from './trace.js';
import type { Items, World } from './world.js';

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

/** What the constructor needs besides the definition (see `startSimulation`). */
export interface SimulationSetup<Spec, Status, V, S extends Store> {
  readonly seed: number;
  readonly current: Items<V>;
  readonly faults: Faults;
  readonly steps: readonly Step<Spec, Status, V>[];
  readonly desiredKeys: readonly Key[];
  readonly maxIoTurns: number;
  readonly maxPassesPerInstant: number;
  readonly releaseWhenFaultsEnd: boolean;
}

/** One run of the loop, from its start to a restart or the end. */
interface Incarnation {
  readonly n: number;
  readonly loop: Loop;
  resync: number | undefined;
  readonly subscriptions: Subscription[];
  dead: boolean;
  instant: number;
  passesAtInstant: number;
}

const noop = (): void => undefined;

/**
 * A running simulation of one loop: a virtual clock, the true store and world, the faulty ones the
 * loop uses, and the trace. Step it with {@link Simulation.runUntil}, {@link Simulation.advance} and
 * {@link Simulation.settle}; poke it with {@link Simulation.trigger} and {@link Simulation.restart}.
 *
 * The loop is built by `defineLoop` from the definition's options, as in production; the only
 * options the run sets are `store` (the faulty view of the true store), `scheduler` (the virtual
 * clock) and `random` (seeded from the run's seed, so backoff jitter, `reconcileId`s and
 * `ctx.random()` replay exactly). What the trace records, it learns from the store's change events
 * and from wrappers that call straight through: the loop makes the same calls, in the same
 * microtasks, as it would on a plain store.
 *
 * Use it for scenario tests that act between steps. Create it with `startSimulation`.
 *
 * ## Example
 * ```ts
 * const sim = await startSimulation(def, { desired: [{ metadata: { name: 'a' }, spec: { size: 1 } }] });
 * await sim.settle(60_000);
 * await sim.store.update({ ...(await sim.store.get('Item', 'a'))!, spec: { size: 2 } });
 * await sim.advance(1000);
 * await sim.restart();
 * await sim.settle(60_000);
 * console.log(sim.world.snapshot(), formatTrace(sim.trace));
 * await sim.stop();
 * ```
 */
export class Simulation<Spec, Status, V, S extends Store = MemoryStore> {
  readonly seed: number;
  readonly scheduler: SimulationScheduler;
  /** The true world (no faults). */
  readonly world: World<V>;
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
    steps: StepRecord[];
  };
  private readonly definition: LoopDefinition<Spec, Status, V, unknown, unknown, S>;
  private readonly faults: Faults;
  private readonly releaseWhenFaultsEnd: boolean;
  private readonly io = { inflight: 0 };
  private readonly maxIoTurns: number;
  private readonly maxPassesPerInstant: number;
  private readonly content = new Map<Key, string>();
  private readonly lastSeen = new Map<Key, Resource>();
  private readonly uids = new Map<string, string>();
  private readonly convergedKeys = new Set<Key>();
  private readonly stepWriting = new Set<Key>();
  /** `key@version` of the steps' writes whose change events have not come yet (stores that tell watchers later). */
  private readonly stepVersions = new Set<string>();
  /** Keys a step deleted for good, whose `deleted` event has not come yet. */
  private readonly stepDeletes = new Set<Key>();
  /** Keys a step wrote, with the trace position of that write: the loop has not looked at them since. */
  private readonly unseen = new Map<Key, { readonly seq: number; readonly at: number }>();
  /** The trace position at which each key's running pass started. */
  private readonly passStart = new Map<Key, number>();
  private readonly desiredSpecs = new Map<Key, { readonly spec: string; readonly earlier: Set<string>; readonly at: number }>();
  private outsideItems: Record<string, V>;
  private trueStoreNow: S | undefined;
  private kindValue: string | undefined;
  private storeWatch: Subscription | undefined;
  private current: Incarnation | undefined;
  private seq = 0;
  private livelockReason: string | undefined;
  private stopped = false;
  private afterSeeding = false;
  private releaseScheduled = false;
  private readonly steps: readonly Step<Spec, Status, V>[];
  private nextStep = 0;
  private stepTimer: Subscription | undefined;
  private armed: { step: Step<Spec, Status, V>; callsLeft: number } | undefined;
  /** A step claimed by one of the loop's calls, to happen when that call settles. */
  private claimed: Step<Spec, Status, V> | undefined;
  private firing: Promise<void> | undefined;
  private readonly stepTimes: number[] = [];

  /** @internal Use `startSimulation`. */
  constructor(definition: LoopDefinition<Spec, Status, V, unknown, unknown, S>, world: World<V>, setup: SimulationSetup<Spec, Status, V, S>) {
    this.definition = definition;
    this.seed = setup.seed;
    this.desiredKeys = setup.desiredKeys;
    this.maxIoTurns = setup.maxIoTurns;
    this.maxPassesPerInstant = setup.maxPassesPerInstant;
    this.faults = setup.faults;
    this.releaseWhenFaultsEnd = setup.releaseWhenFaultsEnd;
    this.steps = setup.steps;
    this.scheduler = new SimulationScheduler();
    this.t = { passes: [], writes: [], applies: [], plans: [], faults: [], worlds: [], states: [], steps: [] };
    this.trace = { seed: this.seed, ...this.t };
    this.world = this.countingWorld(world);
    this.outsideItems = { ...structuredClone(setup.current) } as Record<string, V>;
  }

  /** The loop's kind. */
  get kind(): string {
    if (this.kindValue === undefined) throw new BadDefinitionError('the simulation has not started its loop yet (use startSimulation)');
    return this.kindValue;
  }

  /** The true store (no faults): change desired state through it. After a restart with a durable store, the reopened one. */
  get store(): S {
    if (this.trueStoreNow === undefined) throw new BadDefinitionError('the simulation has not opened its store yet (use startSimulation)');
    return this.trueStoreNow;
  }

  /** The running loop (after a restart, the new one), built by `defineLoop` from the definition. */
  get loop(): Loop {
    if (this.current === undefined) throw new BadDefinitionError('the simulation has not started its loop yet (use startSimulation)');
    return this.current.loop;
  }

  /** The running loop's resync period (ms), if it has one. */
  get resync(): number | undefined {
    return this.current?.resync;
  }

  /** How many times the loop was restarted. */
  get restarts(): number {
    return this.current?.n ?? 0;
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

  /** True once every step of the schedule has happened. */
  get stepsDone(): boolean {
    return this.nextStep >= this.steps.length && this.stepTimer === undefined && this.armed === undefined && this.claimed === undefined && this.firing === undefined;
  }

  /** Virtual times at which the steps happened so far. */
  get stepTimesSoFar(): readonly number[] {
    return this.stepTimes;
  }

  /**
   * The world as others left it: the start state with every change made behind the loop's back
   * (steps `change`, `remove`, `add`, custom `setWorldItem`) — the `initial` given to `expected`.
   */
  outside(): Items<V> {
    return structuredClone(this.outsideItems);
  }

  /** The loop kind's resources in the true store. */
  resources(): Promise<Resource<Spec, Status>[]> {
    return this.store.list<Spec, Status>(this.kind);
  }

  /**
   * Whether faults may happen at `now`: before `faults.until`, or — with a fault `window` and no
   * `until` — within `window` ms of the start or of a step.
   */
  faultsActive(now: number): boolean {
    if (now >= (this.faults.until ?? Infinity)) return false;
    const window = this.faults.window;
    if (window === undefined || this.faults.until !== undefined) return true;
    if (now < window) return true;
    return this.stepTimes.some((t) => t <= now && now < t + window);
  }

  /**
   * When the faults stop for good: `faults.until`, or (with steps and a `window`) `window` ms after
   * the last step; `undefined` while steps remain. Infinity when faults never stop.
   */
  faultsEnd(): number | undefined {
    if (this.faults.until !== undefined) return this.faults.until;
    if (this.faults.window === undefined) return this.faults.store === undefined && this.faults.world === undefined ? 0 : Infinity;
    if (!this.stepsDone) return undefined;
    return Math.max(this.faults.window, ...this.stepTimes.map((t) => t + (this.faults.window ?? 0)));
  }

  /** @internal Builds the loop (it starts on the clock's first tick) and starts recording; called once by `startSimulation`. */
  async begin(): Promise<void> {
    const open = this.definition.store;
    this.trueStoreNow =
      open !== undefined
        ? await open({ scheduler: this.scheduler, previous: undefined })
        : (createMemoryStore({ scheduler: this.scheduler, ...(this.definition.kinds ? { kinds: this.definition.kinds } : {}) }) as unknown as S);
    this.current = this.incarnation(0);
    this.watchStore();
    this.recordWorld();
  }

  /** @internal Called by `startSimulation` once it seeded the store: from now on writes are the loop's (or the steps'), and steps run. */
  seeded(): void {
    this.afterSeeding = true;
    this.armNext();
  }

  /**
   * When the run stops changing from outside: the last step has happened and the faults are over
   * (`max(faults end, last step)`); `undefined` while steps remain.
   */
  quietFrom(): number | undefined {
    const end = this.faultsEnd();
    if (end === undefined) return undefined;
    return Math.max(end, ...this.stepTimes);
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
   * Runs until the loop is {@link quiet} with every step done (`'quiet'`), `limit` virtual ms have
   * passed (`'timeout'`), a pass waits on something outside virtual time (`'stuck'`), or passes loop
   * without time passing (`'livelock'`).
   */
  async settle(limit: number): Promise<SettleResult> {
    const deadline = this.now + limit;
    for (;;) {
      await this.drain();
      if (this.livelockReason !== undefined) return 'livelock';
      if (this.stepsDone && this.quiet()) return 'quiet';
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

  /**
   * Restarts the loop as a process restart would: the running loop stops at once and everything it
   * still had under way fails (its store and world calls after this point never land); a new loop,
   * built from the definition again, starts on the same store (reopened, when the definition opens
   * a durable one) and the same world. Queue state (backoff, quarantine) does not survive.
   */
  async restart(): Promise<void> {
    const old = this.current;
    if (old === undefined || this.stopped) return;
    old.dead = true;
    for (const s of old.subscriptions) s.unsubscribe();
    void old.loop.stop({ deadline: 0 });
    if (this.definition.store !== undefined) {
      this.io.inflight++;
      try {
        this.trueStoreNow = await this.definition.store({ scheduler: this.scheduler, previous: this.store });
      } finally {
        this.io.inflight--;
      }
      this.watchStore();
    }
    this.current = this.incarnation(old.n + 1);
  }

  /** The world the definition's `expected` asks for, given the store's resources now (if it has one). */
  async expectedWorld(): Promise<Items<V> | undefined> {
    return this.definition.expected?.(await this.resources(), this.outside());
  }

  /**
   * Whether the run is in the desired state now: the world equals `definition.expected` of the
   * resources (when given), every resource is `ready` and was looked at by a pass since a step last
   * changed it, and no key is parked or backing off.
   */
  async assess(): Promise<Assessment> {
    const problems: string[] = [];
    const resources = await this.resources();
    if (this.definition.expected !== undefined) {
      for (const line of diffItems(this.definition.expected(resources, this.outside()), this.world.snapshot())) problems.push(`world: ${line}`);
    }
    const ready = this.definition.ready ?? defaultReady;
    for (const resource of resources) {
      const verdict = ready(resource);
      if (verdict !== true) problems.push(`${this.kind} ${JSON.stringify(keyOf(resource))} not ready: ${verdict}`);
    }
    for (const resource of resources) {
      const unseen = this.unseen.get(keyOf(resource));
      if (unseen !== undefined) problems.push(`${this.kind} ${JSON.stringify(keyOf(resource))} changed at ${at(unseen.at).trim()} and no pass has looked at it since`);
    }
    const snapshot = this.loop.snapshot();
    for (const p of snapshot.parked) problems.push(`key ${JSON.stringify(p.key)} is ${p.reason} after ${p.failures} failure(s): ${p.lastError ?? '?'}`);
    for (const d of snapshot.delayed) {
      if (d.why !== 'requeue') problems.push(`key ${JSON.stringify(d.key)} is ${d.why === 'backoff' ? 'backing off' : 'waiting'} (${d.failures} failure(s)): ${d.lastError ?? '?'}`);
    }
    if (snapshot.running > 0 || snapshot.depth > 0) problems.push(`${snapshot.running} pass(es) running, ${snapshot.depth} key(s) queued`);
    return { converged: problems.length === 0, problems };
  }

  /**
   * Desired changes the loop undid: resources whose spec is back to a value an earlier desired
   * change replaced (a write with a stale copy overwrote the user's change). One line each.
   */
  async lostDesiredChanges(): Promise<string[]> {
    const out: string[] = [];
    for (const resource of await this.resources()) {
      const key = keyOf(resource);
      const wanted = this.desiredSpecs.get(key);
      if (wanted === undefined) continue;
      const spec = stableJson(resource.spec);
      if (spec !== wanted.spec && wanted.earlier.has(spec)) {
        out.push(`${this.kind}/${key} spec is ${show(resource.spec, 80)} again: the desired change at ${at(wanted.at).trim()} set ${show(JSON.parse(wanted.spec), 80)}, and the loop wrote the old spec back`);
      }
    }
    return out;
  }

  /** Stops the loop (aborting passes at once) and lets the teardown settle. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stepTimer?.unsubscribe();
    if (this.current !== undefined) void this.current.loop.stop({ deadline: 0 });
    for (let i = 0; i < 100 && this.scheduler.due; i++) this.scheduler.runNext();
    await drainMicrotasks();
    for (const s of this.current?.subscriptions ?? []) s.unsubscribe();
    this.storeWatch?.unsubscribe();
  }

  // ---- the loop's runs ------------------------------------------------------------------------

  /** Builds one run of the loop on fresh faulty views of the true store and world. */
  private incarnation(n: number): Incarnation {
    const salt = n === 0 ? '' : `#${n}`;
    const onFault = (fault: InjectedFault) => this.t.faults.push({ seq: this.seq++, ...fault });
    const common = {
      seed: this.seed,
      scheduler: this.scheduler,
      ...(this.faults.until !== undefined ? { until: this.faults.until } : {}),
      active: (now: number) => this.faultsActive(now),
      onFault,
    };
    const faultSeed = n === 0 ? this.seed : (this.seed ^ Math.imul(n, 0x9e3779b1)) | 0;
    const faulty = faultyStore(this.store, { ...common, seed: faultSeed, ...(this.faults.store ? { faults: this.faults.store } : {}) });
    const faultyW = faultyWorld(this.world, { ...common, seed: faultSeed, ...(this.faults.world ? { faults: this.faults.world } : {}) });
    const run: Incarnation = { n, loop: undefined as unknown as Loop, resync: undefined, subscriptions: [], dead: false, instant: -1, passesAtInstant: 0 };
    const store = this.gateStore(faulty, run);
    const world = this.gateWorld(this.recordingWorld(faultyW), run);
    const env: LoopEnv<V> = { store, scheduler: this.scheduler, world };
    const spec = this.definition.loop(env) as LoopSpec<Spec, Status, unknown, unknown>;
    // The kind: a name, or a typed kind (`defineKind`) — defineLoop registers its schema on the
    // store it is given, which reaches the true store (see gateStore).
    const kind = typeof spec?.kind === 'string' ? spec.kind : (spec?.kind as { name?: unknown } | undefined)?.name;
    if (typeof spec !== 'object' || spec === null || typeof kind !== 'string') {
      throw new BadDefinitionError('definition.loop(env) must return the options of defineLoop (name, kind, reconcile or phases), without store and scheduler');
    }
    run.resync = typeof spec.resync === 'number' ? spec.resync : undefined;
    if (this.kindValue === undefined) this.kindValue = kind;
    else if (kind !== this.kindValue) throw new BadDefinitionError(`definition.loop(env) returned kind "${kind}" after a restart; it was "${this.kindValue}"`);
    const hooks: QueueHooks = {
      ...spec.hooks,
      onStart: (key, request, queuedMs, pass) => {
        this.passStart.set(key, this.seq);
        this.countPass(run, key);
        spec.hooks?.onStart?.(key, request, queuedMs, pass);
      },
    };
    const random = seededRandom(this.seed, `loop${salt}`);
    let options: LoopOptions<Spec, Status, unknown, unknown>;
    if ('compare' in spec) {
      const compare = spec.compare;
      options = {
        ...spec,
        store,
        scheduler: this.scheduler,
        random,
        hooks,
        compare: (desired, current, key) => {
          const plan = compare(desired, current, key);
          if (plan.length > 0) {
            this.t.plans.push({ seq: this.seq++, at: this.scheduler.now(), key, corrections: plan.map((c) => ({ ...c, idempotencyKey: c.idempotencyKey ?? '' })) });
          }
          return plan;
        },
      };
    } else {
      options = { ...spec, store, scheduler: this.scheduler, random, hooks };
    }
    const loop = defineLoop<Spec, Status, unknown, unknown>(options);
    (run as { loop: Loop }).loop = loop;
    run.subscriptions.push(loop.results$.subscribe((r) => this.recordPass(run, r)));
    return run;
  }

  private countPass(run: Incarnation, key: Key): void {
    const now = this.scheduler.now();
    if (now !== run.instant) {
      run.instant = now;
      run.passesAtInstant = 0;
    }
    if (++run.passesAtInstant > this.maxPassesPerInstant && this.livelockReason === undefined) {
      this.livelockReason =
        `${run.passesAtInstant} passes started at ${at(now)} without virtual time passing (last key ${JSON.stringify(key)}): ` +
        'each pass triggers the next one — typically a write that changes something on every pass (a write storm)';
      void run.loop.stop({ deadline: 0 });
    }
  }

  // ---- steps ----------------------------------------------------------------------------------

  /** Arms the next step of the schedule: a timer `after` ms from now. */
  private armNext(): void {
    const step = this.steps[this.nextStep];
    if (step === undefined || this.stopped) {
      if (step === undefined) this.scheduleRelease();
      return;
    }
    this.nextStep++;
    const after = Math.max(0, Number.isFinite(step.after) ? (step.after as number) : 0);
    this.stepTimer = this.scheduler.schedule(() => {
      this.stepTimer = undefined;
      if (step.calls !== undefined && step.calls > 0) this.armed = { step, callsLeft: Math.trunc(step.calls) };
      else this.fire(step, false);
    }, after);
  }

  /** With `releaseWhenFaultsEnd`: once the faults end, parked keys are released once, as an operator would after an incident. */
  private scheduleRelease(): void {
    if (!this.releaseWhenFaultsEnd || this.releaseScheduled) return;
    const end = this.quietFrom();
    if (end === undefined || !Number.isFinite(end)) return;
    this.releaseScheduled = true;
    this.scheduler.schedule(() => {
      if (this.current === undefined || this.stopped) return;
      for (const p of this.current.loop.snapshot().parked) this.current.loop.release(p.key);
    }, Math.max(0, end - this.scheduler.now()));
  }

  /** Counts one of the loop's calls; the armed step when it is due right after this call. */
  private countCall(): Step<Spec, Status, V> | undefined {
    const armed = this.armed;
    if (armed === undefined || --armed.callsLeft > 0) return undefined;
    this.armed = undefined;
    this.claimed = armed.step;
    return armed.step;
  }

  /** Runs a step now, records it (its record comes right after what it changed), then arms the next one. */
  private fire(step: Step<Spec, Status, V>, midPass: boolean): Promise<void> {
    if (this.armed?.step === step) this.armed = undefined;
    if (this.claimed === step) this.claimed = undefined;
    const running = this.current?.loop.snapshot().inFlight.map((f) => f.key) ?? [];
    const at = this.scheduler.now();
    const firstSeq = this.seq;
    this.stepTimes.push(at);
    this.io.inflight++;
    const done = runStep(this.stepHost(), step).then((effect) => {
      // Passes that started while the step was under way may have read what it had not changed yet.
      const after = this.current?.loop.snapshot().inFlight.map((f) => f.key) ?? [];
      const keys = [...new Set([...running, ...after])].sort();
      this.t.steps.push({ seq: this.seq++, firstSeq, at, kind: step.kind, did: effect.did, note: effect.note, running: keys, midPass });
    });
    this.firing = done.finally(() => {
      this.io.inflight--;
      this.firing = undefined;
      this.armNext();
    });
    return this.firing;
  }

  private stepHost(): StepHost<V> {
    return {
      kind: this.kind,
      trueStore: () => this.store,
      world: this.world,
      now: () => this.scheduler.now(),
      convergedOn: (key) => this.convergedKeys.has(key),
      storeWrite: <R>(key: Key, call: () => Promise<R>) => {
        // A store that tells watchers inside the write (the memory store) is known by the key; one that
        // tells them later, by the version the write returns (a delete that removed it: by the key).
        this.stepWriting.add(key);
        let promise: Promise<R>;
        try {
          promise = call();
        } finally {
          this.stepWriting.delete(key);
        }
        return promise.then((result) => {
          const version = (result as Partial<Resource> | undefined)?.metadata?.version;
          if (typeof version === 'string') this.stepVersions.add(`${key}@${version}`);
          else this.stepDeletes.add(key);
          return result;
        });
      },
      desiredSpec: (key, resource) => {
        const before = this.desiredSpecs.get(key);
        if (resource === undefined) {
          this.desiredSpecs.delete(key);
          return;
        }
        const earlier = before?.earlier ?? new Set<string>();
        if (before !== undefined) earlier.add(before.spec);
        const spec = stableJson(resource.spec);
        earlier.delete(spec);
        this.desiredSpecs.set(key, { spec, earlier, at: this.scheduler.now() });
      },
      setWorldItem: (target, value) => this.setWorldItem(target, value),
      unfairAdd: async (target, value) => {
        const expected = this.definition.expected;
        if (expected === undefined) return undefined;
        const wanted = expected(await this.resources(), { ...this.outside(), [target]: value });
        return Object.hasOwn(wanted, target)
          ? undefined
          : `not added: expected neither keeps an item others add at "${target}" nor has a resource call for it, so no loop could tell it must go`;
      },
      restart: () => this.restart(),
    };
  }

  /** Changes the true world behind the loop's back, and the outside world `expected` sees. */
  private async setWorldItem(target: string, value: V | undefined): Promise<void> {
    const exists = Object.hasOwn(this.world.snapshot(), target);
    if (value === undefined) {
      if (exists) await this.world.apply({ action: 'delete', target, idempotencyKey: '' });
      delete this.outsideItems[target];
    } else {
      await this.world.apply({ action: exists ? 'update' : 'create', target, value, idempotencyKey: '' });
      this.outsideItems[target] = structuredClone(value);
    }
    this.recordWorld();
  }

  // ---- recording --------------------------------------------------------------------------------

  /** Records what the store's change events show: the loop's writes and the content of the kind. */
  private watchStore(): void {
    this.storeWatch?.unsubscribe();
    this.content.clear();
    this.lastSeen.clear();
    this.storeWatch = this.store.watch(this.kind).subscribe((event) => this.recordEvent(event));
  }

  /** @internal Records a spec `startSimulation` wrote, so the check can tell when the loop writes an old one back. */
  seededSpec(key: Key, resource: Resource): void {
    this.desiredSpecs.set(key, { spec: stableJson(resource.spec), earlier: new Set(), at: this.scheduler.now() });
  }

  private recordEvent(event: WatchEvent): void {
    if (event.type === 'synced') return;
    const object = event.object;
    const key = keyOf(object);
    const before = this.lastSeen.get(key);
    if (event.type === 'deleted') {
      this.content.delete(key);
      this.lastSeen.delete(key);
    } else {
      this.content.set(key, stableJson(contentOf(object)));
      this.lastSeen.set(key, object);
    }
    if (event.type === 'added') this.convergedKeys.delete(key);
    const byStep =
      !event.initial &&
      (this.stepWriting.has(key) || this.stepVersions.delete(`${key}@${object.metadata.version}`) || (event.type === 'deleted' && this.stepDeletes.delete(key)));
    if (byStep) this.unseen.set(key, { seq: this.seq++, at: this.scheduler.now() });
    if (!event.initial && this.afterSeeding && !byStep) {
      const after = event.type === 'deleted' ? undefined : object;
      const changed = event.type === 'added' ? ['created'] : event.type === 'deleted' ? (object.metadata.deletionTimestamp !== undefined ? ['finalizers', 'removed'] : ['removed']) : changes(before, after);
      if (changed.length > 0) {
        this.t.writes.push({
          seq: this.seq++,
          at: this.scheduler.now(),
          op: opOf(event, before),
          kind: object.kind,
          key,
          changed,
          before: this.withStableUid(before),
          after: this.withStableUid(after),
        });
      }
    }
    this.pushState();
  }

  /** A copy of `resource` whose uid is numbered in order of appearance (a replay gets the same ones). */
  private withStableUid(resource: Resource | undefined): Resource | undefined {
    if (resource === undefined) return undefined;
    const uid = resource.metadata.uid;
    let stable = this.uids.get(uid);
    if (stable === undefined) this.uids.set(uid, (stable = `uid-${this.uids.size + 1}`));
    return { ...resource, metadata: { ...resource.metadata, uid: stable } };
  }

  private recordPass(run: Incarnation, r: PassResult): void {
    const o = r.outcome;
    let error: string | undefined;
    if (o.type === 'retry' || o.type === 'terminal') {
      const code = (o.error as { code?: unknown }).code;
      error = `${typeof code === 'string' ? code : o.error.name}: ${o.error.message}`;
    }
    if (o.type === 'converged' || o.type === 'requeueAfter') this.convergedKeys.add(r.key);
    const unseen = this.unseen.get(r.key);
    if (unseen !== undefined && (this.passStart.get(r.key) ?? -1) > unseen.seq) this.unseen.delete(r.key);
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
      reconcileId: r.reconcileId,
      incarnation: run.n,
    });
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

  /** Lets microtasks and in-flight real I/O settle; fires an armed step once the loop is idle. */
  private async drain(): Promise<void> {
    for (;;) {
      await drainMicrotasks();
      for (let turns = 0; this.io.inflight > 0 && turns < this.maxIoTurns; turns++) {
        await new Promise<void>((resolve) => setTimeout(resolve, turns < 100 ? 0 : 1));
      }
      if (this.io.inflight > 0) await drainMicrotasks();
      const armed = this.armed;
      if (armed === undefined || this.firing !== undefined || this.current === undefined || !this.quiet()) return;
      await this.fire(armed.step, false);
    }
  }

  // ---- the loop's views of the store and the world -------------------------------------------------

  /**
   * A call of the loop: refused once its run is dead (restarted), else made at once — in the same
   * microtask, as on the plain store — and followed by an armed step when it is the one it waits for.
   */
  private call<R>(run: Incarnation, what: string, make: () => Promise<R>): Promise<R> {
    if (run.dead) return Promise.reject(new TransientError(`the loop was restarted: ${what} of the stopped loop never happened`));
    let promise: Promise<R>;
    try {
      promise = make();
    } catch (error) {
      promise = Promise.reject(error);
    }
    const step = this.countCall();
    if (step === undefined) return promise;
    const fireThen = <T>(settle: () => T): Promise<T> => this.fire(step, true).then(settle);
    return promise.then(
      (value) => fireThen(() => value),
      (error: unknown) =>
        fireThen(() => {
          throw error;
        }),
    );
  }

  private gateStore(store: Store, run: Incarnation): Store {
    const c = <R>(what: string, make: () => Promise<R>) => this.call(run, what, make);
    const registerKind = (this.trueStoreNow as Partial<MemoryStore> | undefined)?.registerKind;
    return {
      // A loop given a typed kind registers its schema on its store, as on a memory store in production.
      ...(typeof registerKind === 'function' ? { registerKind: registerKind.bind(this.trueStoreNow) } : {}),
      get: (kind, key) => c(`get ${kind}/${key}`, () => store.get(kind, key)),
      list: (kind, options) => c(`list ${kind}`, () => store.list(kind, options)),
      create: (kind, resource) => c(`create ${kind}`, () => store.create(kind, resource)),
      update: (resource) => c(`update ${resource?.kind}`, () => store.update(resource)),
      updateStatus: (resource) => c(`updateStatus ${resource?.kind}`, () => store.updateStatus(resource)),
      delete: (kind, key) => c(`delete ${kind}/${key}`, () => store.delete(kind, key)),
      watch: (kind, options) => store.watch(kind, options),
    };
  }

  private gateWorld(world: World<V>, run: Incarnation): World<V> {
    const c = <R>(what: string, make: () => Promise<R>) => this.call(run, what, make);
    return {
      read: () => c('world read', () => world.read()),
      get: (target) => c(`world get ${target}`, () => world.get(target)),
      apply: (correction) => c(`world ${correction?.action} ${correction?.target}`, () => world.apply(correction)),
      snapshot: () => world.snapshot(),
    };
  }

  /** Records every `apply` of the loop and the world states it leads to. */
  private recordingWorld(world: World<V>): World<V> {
    return {
      read: () => world.read(),
      get: (target) => world.get(target),
      snapshot: () => world.snapshot(),
      apply: (correction) => {
        // Whether this call changed the world: a world in memory changes within the call (before any
        // other pass can act); one doing real I/O, by the time the call succeeds.
        const before = stableJson(this.world.snapshot());
        const promise = world.apply(correction);
        const changedAtOnce = stableJson(this.world.snapshot()) !== before;
        const done = (result: string, ok: boolean) => {
          const changed = changedAtOnce || (ok && stableJson(this.world.snapshot()) !== before);
          this.t.applies.push({ seq: this.seq++, at: this.scheduler.now(), correction, result, changed });
          if (changed) this.recordWorld();
        };
        return promise.then(
          () => done('ok', true),
          (error: unknown) => {
            done(errorText(error), false);
            throw error;
          },
        );
      },
    };
  }

  /** Counts world calls in flight (real I/O must end before virtual time moves). */
  private countingWorld(world: World<V>): World<V> {
    const count = <R>(call: () => Promise<R>): Promise<R> => {
      this.io.inflight++;
      let promise: Promise<R>;
      try {
        promise = call();
      } catch (error) {
        promise = Promise.reject(error);
      }
      return promise.finally(() => this.io.inflight--);
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

/** The call a change event comes from. */
function opOf(event: WatchEvent, before: Resource | undefined): WriteRecord['op'] {
  if (event.type === 'added') return 'create';
  if (event.type === 'synced') return 'update';
  const object = event.object;
  if (event.type === 'deleted') return object.metadata.deletionTimestamp !== undefined ? 'update' : 'delete';
  if (object.metadata.deletionTimestamp !== undefined && before?.metadata.deletionTimestamp === undefined) return 'delete';
  const sameButStatus =
    before !== undefined &&
    stableJson(before.spec) === stableJson(object.spec) &&
    (['finalizers', 'labels', 'annotations', 'ownerReferences'] as const).every((f) => stableJson(before.metadata[f]) === stableJson(object.metadata[f]));
  return sameButStatus ? 'updateStatus' : 'update';
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
