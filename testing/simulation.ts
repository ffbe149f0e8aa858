/**
 * A running simulation of one loop: a virtual clock, the true store and world, the faulty ones the
 * loop uses, the steps that change the run from outside, and the trace.
 *
 * @module
 */
import type { Subscription } from 'rxjs';
import { seededRandom } from './random.js';
import { TransientError, createMemoryStore, keyOf } from '../src/index.js';
import type { Key, MemoryStore, Resource, Store } from '../src/index.js';
import type { Loop } from '../operators/define-loop.js';
import { SimulationScheduler, drainMicrotasks } from './clock.js';
import type { LoopDefinition } from './definition.js';
import { BadDefinitionError } from './errors.js';
import type { Faults } from './faults.js';
import { at, diffItems } from './format.js';
import { startIncarnation } from './incarnation.js';
import type { Incarnation } from './incarnation.js';
import { countingWorld } from './loop-views.js';
import type { StepHost } from './run-step.js';
import { StepDriver } from './step-driver.js';
import type { Step } from './steps.js';
import type { Trace } from './trace.js';
import { TraceRecorder } from './trace-recorder.js';
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
 * import { formatTrace, startSimulation } from 'rx-reconcile/testing';
 * import type { LoopDefinition } from 'rx-reconcile/testing';
 *
 * declare const def: LoopDefinition<{ size: number }, unknown, { size: number }>;
 * const sim = await startSimulation(def, { desired: [{ metadata: { name: 'a' }, spec: { size: 1 } }] });
 * await sim.settle(60_000);
 * const a = await sim.store.get<{ size: number }>('Item', 'a');
 * if (a) await sim.store.update({ ...a, spec: { size: 2 } });
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
  private readonly rec: TraceRecorder<V>;
  private readonly definition: LoopDefinition<Spec, Status, V, unknown, unknown, S>;
  private readonly faults: Faults;
  private readonly releaseWhenFaultsEnd: boolean;
  private readonly io = { inflight: 0 };
  private readonly maxIoTurns: number;
  private readonly maxPassesPerInstant: number;
  private outsideItems: Record<string, V>;
  private trueStoreNow: S | undefined;
  private kindValue: string | undefined;
  private storeWatch: Subscription | undefined;
  private current: Incarnation | undefined;
  private livelockReason: string | undefined;
  private stopped = false;
  private readonly driver: StepDriver<Spec, Status, V>;

  /** @internal Use `startSimulation`. */
  constructor(definition: LoopDefinition<Spec, Status, V, unknown, unknown, S>, world: World<V>, setup: SimulationSetup<Spec, Status, V, S>) {
    this.definition = definition;
    this.seed = setup.seed;
    this.desiredKeys = setup.desiredKeys;
    this.maxIoTurns = setup.maxIoTurns;
    this.maxPassesPerInstant = setup.maxPassesPerInstant;
    this.faults = setup.faults;
    this.releaseWhenFaultsEnd = setup.releaseWhenFaultsEnd;
    this.scheduler = new SimulationScheduler();
    this.world = countingWorld(world, this.io);
    this.rec = new TraceRecorder<V>(this.seed, () => this.scheduler.now(), () => this.world.snapshot());
    this.trace = this.rec.trace;
    this.driver = new StepDriver<Spec, Status, V>(
      {
        scheduler: this.scheduler,
        io: this.io,
        recorder: this.rec,
        faults: this.faults,
        releaseWhenFaultsEnd: this.releaseWhenFaultsEnd,
        running: () => this.current?.loop.snapshot().inFlight.map((f) => f.key) ?? [],
        stepHost: () => this.stepHost(),
        releaseParked: () => {
          const loop = this.current?.loop;
          if (loop !== undefined) for (const p of loop.snapshot().parked) loop.release(p.key);
        },
      },
      setup.steps,
    );
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
    return this.rec.position;
  }

  /** Why the run was cut as a livelock, if it was. */
  get livelock(): string | undefined {
    return this.livelockReason;
  }

  /** True once every step of the schedule has happened. */
  get stepsDone(): boolean {
    return this.driver.done;
  }

  /** Virtual times at which the steps happened so far. */
  get stepTimesSoFar(): readonly number[] {
    return this.driver.times;
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
    return this.driver.faultsActive(now);
  }

  /**
   * When the faults stop for good: `faults.until`, or (with a `window`) `window` ms after the last
   * step; `undefined` while steps remain. Infinity when faults never stop.
   */
  faultsEnd(): number | undefined {
    return this.driver.faultsEnd();
  }

  /** @internal Builds the loop (it starts on the clock's first tick) and starts recording; called once by `startSimulation`. */
  async begin(): Promise<void> {
    const open = this.definition.store;
    this.trueStoreNow =
      open !== undefined
        ? await open({ scheduler: this.scheduler, previous: undefined })
        : (createMemoryStore({
            scheduler: this.scheduler,
            // Seeded uids: a replay creates the same resources, owner references included.
            random: seededRandom(this.seed, 'uids'),
            ...(this.definition.kinds ? { kinds: this.definition.kinds } : {}),
          }) as unknown as S);
    this.current = this.incarnation(0);
    this.watchStore();
    this.rec.world();
  }

  /** @internal Called by `startSimulation` once it seeded the store: from now on writes are the loop's (or the steps'), and steps run. */
  seeded(): void {
    this.rec.seeding = false;
    this.driver.start();
  }

  /**
   * When the run stops changing from outside: the last step has happened and the faults are over
   * (`max(faults end, last step)`); `undefined` while steps remain.
   */
  quietFrom(): number | undefined {
    return this.driver.quietFrom();
  }

  /** Runs the loop until virtual time `time` (timers one at a time, Promises settled in between). */
  async runUntil(time: number, onStep: () => void | Promise<void> = noop): Promise<void> {
    checkTime(time, 'runUntil(time)', this.now);
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
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      return Promise.reject(new BadDefinitionError(`advance(ms) takes a finite number of virtual ms ≥ 0 (got ${String(ms)})`));
    }
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
    if (typeof limit !== 'number' || !Number.isFinite(limit) || limit < 0) {
      throw new BadDefinitionError(`settle(limit) takes a finite number of virtual ms ≥ 0 (got ${String(limit)}): how long to wait for the loop to be quiet`);
    }
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
      const since = this.rec.unseenSince(keyOf(resource));
      if (since !== undefined) problems.push(`${this.kind} ${JSON.stringify(keyOf(resource))} changed at ${at(since).trim()} and no pass has looked at it since`);
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
    return this.rec.lostDesiredChanges(this.kind, await this.resources());
  }

  /**
   * Stops the loop (aborting passes at once) and lets the teardown settle. A store the definition
   * opened (`definition.store`) is closed, when it has `close()`.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.driver.stop();
    if (this.current !== undefined) void this.current.loop.stop({ deadline: 0 });
    for (let i = 0; i < 100 && this.scheduler.due; i++) this.scheduler.runNext();
    await drainMicrotasks();
    for (const s of this.current?.subscriptions ?? []) s.unsubscribe();
    this.storeWatch?.unsubscribe();
    const close = (this.trueStoreNow as { close?: () => unknown } | undefined)?.close;
    if (this.definition.store !== undefined && typeof close === 'function') await close.call(this.trueStoreNow);
  }

  // ---- the loop's runs ------------------------------------------------------------------------

  /** Builds one run of the loop on fresh faulty views of the true store and world. */
  private incarnation(n: number): Incarnation {
    const run = startIncarnation<Spec, Status, V>(n, {
      seed: this.seed,
      scheduler: this.scheduler,
      store: this.store,
      world: this.world,
      faults: this.faults,
      faultsActive: (now) => this.faultsActive(now),
      recorder: this.rec,
      definition: this.definition as unknown as LoopDefinition<Spec, Status, V, unknown, unknown, Store>,
      call: (r, what, make) => this.call(r, what, make),
      maxPassesPerInstant: this.maxPassesPerInstant,
      onLivelock: (reason) => {
        this.livelockReason ??= reason;
      },
    });
    if (this.kindValue === undefined) this.kindValue = run.kind;
    else if (run.kind !== this.kindValue) {
      void run.loop.stop({ deadline: 0 });
      throw new BadDefinitionError(`definition.loop(env) returned kind "${run.kind}" after a restart; it was "${this.kindValue}"`);
    }
    return run;
  }

  // ---- steps ----------------------------------------------------------------------------------

  private stepHost(): StepHost<V> {
    return {
      kind: this.kind,
      trueStore: () => this.store,
      world: this.world,
      now: () => this.scheduler.now(),
      convergedOn: (key) => this.rec.convergedOn(key),
      storeWrite: (key, call) => this.rec.stepWrite(key, call),
      desiredSpec: (key, resource) => this.rec.desiredSpec(key, resource),
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
    this.rec.world();
  }

  // ---- recording --------------------------------------------------------------------------------

  /** Records what the store's change events show: the loop's writes and the content of the kind. */
  private watchStore(): void {
    this.storeWatch?.unsubscribe();
    this.rec.resetStore();
    this.storeWatch = this.store.watch(this.kind).subscribe((event) => this.rec.event(event));
  }

  /** @internal Records a spec `startSimulation` wrote, so the check can tell when the loop writes an old one back. */
  seededSpec(key: Key, resource: Resource): void {
    this.rec.desiredSpec(key, resource);
  }

  /** Lets microtasks and in-flight real I/O settle; fires an armed step once the loop is idle. */
  private async drain(): Promise<void> {
    for (;;) {
      await drainMicrotasks();
      for (let turns = 0; this.io.inflight > 0 && turns < this.maxIoTurns; turns++) {
        await new Promise<void>((resolve) => setTimeout(resolve, turns < 100 ? 0 : 1));
      }
      if (this.io.inflight > 0) await drainMicrotasks();
      if (!this.driver.waitingForCall || this.current === undefined || !this.quiet()) return;
      await this.driver.fireArmed();
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
    const step = this.driver.countCall();
    if (step === undefined) return promise;
    const fireThen = <T>(settle: () => T): Promise<T> => this.driver.fire(step, true).then(settle);
    return promise.then(
      (value) => fireThen(() => value),
      (error: unknown) =>
        fireThen(() => {
          throw error;
        }),
    );
  }
}

function defaultReady(resource: Resource): true | string {
  return resource.metadata.deletionTimestamp === undefined ? true : `still being deleted (finalizers: ${resource.metadata.finalizers.join(', ')})`;
}

/**
 * Refuses a virtual time the run could never reach or pass: `NaN` (every comparison is false, so the
 * run never stopped), `Infinity` (a polling loop never stops: use `settle(limit)`), or one before
 * `now`.
 */
function checkTime(time: number, what: string, now: number): void {
  if (typeof time !== 'number' || !Number.isFinite(time)) {
    throw new BadDefinitionError(`${what} takes a finite virtual time in ms (got ${String(time)}); to run until the loop is quiet, use settle(limit)`);
  }
  if (time < now) throw new BadDefinitionError(`${what}: ${time} is before now (${now}); virtual time only moves forward`);
}
