/**
 * The deterministic simulation runner: a whole loop (store, watch, queue, backoff, resync, timeouts)
 * runs in virtual time against a world, with seeded faults and steps that change the run from
 * outside (desired changes, world drift, restarts), and leaves a trace.
 *
 * @module
 */
import type { Key, MemoryStore, Resource, Store } from '../src/index.js';
import type { DesiredResource, LoopDefinition } from './definition.js';
import { checkSimulationOptions } from './check-kit-options.js';
import { BadDefinitionError } from './errors.js';
import type { Faults } from './faults.js';
import { newKey } from './run-step.js';
import { Simulation } from './simulation.js';
import type { Assessment } from './simulation.js';
import type { Step } from './steps.js';
import type { Trace } from './trace.js';
import { memoryWorld } from './world.js';
import type { Items } from './world.js';

/**
 * Options of {@link startSimulation} and {@link simulate}.
 *
 * ## Example
 * ```ts
 * const options: SimulationOptions<{ size: number }, unknown, number> = {
 *   desired: [], current: { a: 1 }, seed: 3, faults: defaultFaults, steps: [{ kind: 'restart', after: 5000 }],
 * };
 * ```
 */
export interface SimulationOptions<Spec, Status, V> {
  /** Resources put in the store before the loop starts. */
  readonly desired?: readonly DesiredResource<Spec, Status>[];
  /** The world's state before the loop starts. Default: empty. */
  readonly current?: Items<V>;
  /** Seed of every injected fault and of the loop's `random` (jitter, `reconcileId`, `ctx.random()`). Default 1. */
  readonly seed?: number;
  /** Faults to inject. Default: none. */
  readonly faults?: Faults;
  /** Steps that change the run from outside, in order (see {@link Step}). Default: none. */
  readonly steps?: readonly Step<Spec, Status, V>[];
  /**
   * Release parked (quarantined, terminal) keys once when the faults end — after the last step, at
   * `faults.until` or `faults.window` after it — as an operator would after an incident.
   * `checkConvergence` runs do. Default false.
   */
  readonly releaseWhenFaultsEnd?: boolean;
  /** Passes that may start at one virtual instant before the run counts as a livelock. Default `max(1000, 50 × keys)`. */
  readonly maxPassesPerInstant?: number;
  /**
   * Real event-loop turns (the first 100 immediate, then 1 ms each) to wait for world calls doing real
   * I/O before virtual time moves. Default 1000. A world must never wait on virtual time itself.
   */
  readonly maxIoTurns?: number;
}

/**
 * Starts a simulation of a loop definition: a fresh store (a memory store, or the definition's own)
 * holding `desired`, a world holding `current`, seeded faults, the steps armed, and the loop built
 * with `defineLoop` on a virtual clock. Nothing runs until you step it.
 *
 * Use it for scenario tests; use {@link simulate} to just run for a while, and the checkers for
 * properties over many generated inputs.
 *
 * ## Example
 * ```ts
 * import { startSimulation } from 'rx-reconcile/testing';
 * import type { LoopDefinition } from 'rx-reconcile/testing';
 *
 * declare const def: LoopDefinition<{ size: number }, unknown, { size: number }>;
 * const desired = [{ metadata: { name: 'a' }, spec: { size: 1 } }];
 * const sim = await startSimulation(def, { desired, current: {}, seed: 3, faults: { store: { dropEvent: 0.2 }, until: 60_000 } });
 * await sim.runUntil(120_000);
 * console.log((await sim.assess()).problems);
 * await sim.stop();
 * ```
 */
export async function startSimulation<Spec, Status, V, C, T, S extends Store = MemoryStore>(
  definition: LoopDefinition<Spec, Status, V, C, T, S>,
  options: SimulationOptions<Spec, Status, V> = {},
): Promise<Simulation<Spec, Status, V, S>> {
  if (typeof definition?.loop !== 'function') {
    throw new BadDefinitionError('a loop definition needs loop: (env) => options of defineLoop (see loopDefinition)');
  }
  checkSimulationOptions('startSimulation', options);
  const def = definition as unknown as LoopDefinition<Spec, Status, V, unknown, unknown, S>;
  const desired = uniqueByKey(options.desired ?? []);
  const current = options.current ?? {};
  const world = (def.world ?? ((initial: Items<V>) => memoryWorld(initial)))(current);
  const sim = new Simulation<Spec, Status, V, S>(def, world, {
    seed: options.seed ?? 1,
    current,
    faults: options.faults ?? {},
    steps: options.steps ?? [],
    desiredKeys: desired.map((d) => newKey(d)),
    maxIoTurns: options.maxIoTurns ?? 1000,
    maxPassesPerInstant: options.maxPassesPerInstant ?? Math.max(1000, 50 * desired.length),
    releaseWhenFaultsEnd: options.releaseWhenFaultsEnd === true,
  });
  await sim.begin();
  // Seed the true store before the loop's first tick: its watch replays these as the initial list.
  for (const resource of desired) {
    const { deleted, ...create } = resource;
    const created = await sim.store.create<Spec, Status>(sim.kind, create);
    sim.seededSpec(newKey(create), created as Resource);
    if (deleted === true) await sim.store.delete(sim.kind, newKey(create));
  }
  sim.seeded();
  return sim;
}

function uniqueByKey<R extends DesiredResource<unknown, unknown>>(resources: readonly R[]): R[] {
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
 * virtual minute) with seeded `faults` and `steps`, and returns its trace and end state. The same
 * inputs and seed give the same trace, byte for byte: this is how a failing check's run is replayed.
 *
 * ## Example
 * ```ts
 * import { formatTrace, simulate } from 'rx-reconcile/testing';
 * import type { LoopDefinition } from 'rx-reconcile/testing';
 *
 * declare const def: LoopDefinition<{ size: number }, unknown, { size: number }>;
 * const desired = [{ metadata: { name: 'a' }, spec: { size: 1 } }];
 * const result = await simulate(def, { desired, current: {}, seed: 1234, faults: { store: { dropEvent: 0.2, staleRead: 0.1 }, world: { lostAck: 0.1 } }, until: 120_000 });
 * console.log(formatTrace(result.trace), result.assessment);
 * ```
 */
export async function simulate<Spec, Status, V, C, T, S extends Store = MemoryStore>(
  definition: LoopDefinition<Spec, Status, V, C, T, S>,
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

