/**
 * {@link replayFailure}: the failing run of a check, again, exactly.
 *
 * @module
 */
import type { Resource, Store } from '../src/index.js';
import { convergenceRun, simulationOptionsOf } from './check-convergence.js';
import { idempotenceRun } from './check-idempotent.js';
import type { LoopDefinition } from './definition.js';
import type { CheckFailedError } from './errors.js';
import { startSimulation } from './simulate.js';
import type { Trace } from './trace.js';
import type { Items } from './world.js';

/**
 * What {@link replayFailure} found when it ran a failing case again.
 *
 * ## Example
 * ```ts
 * const { problems, trace } = await replayFailure(def, error);
 * console.log(problems, formatTrace(trace));
 * ```
 */
export interface Replay<Spec, Status, V> {
  /** The problems, as in the failure message (empty if the run no longer fails). */
  readonly problems: readonly string[];
  readonly trace: Trace<V>;
  /** The world's true state at the end of the run. */
  readonly world: Items<V>;
  readonly resources: readonly Resource<Spec, Status>[];
}

/**
 * Runs the failing case of a check again, exactly (same inputs, steps, fault seed and timings; the
 * loop's `random` seeded the same way), and returns its problems and full trace: two replays give
 * the same trace, byte for byte.
 *
 * Use it while fixing a loop: print `formatTrace(replay.trace)`, change the loop, replay again until
 * `problems` is empty — then run the whole check again.
 *
 * ## Example
 * ```ts
 * import fc from 'fast-check';
 * import type { LoopDefinition } from 'rx-reconcile/testing';
 * import { CheckFailedError, checkConvergence, formatTrace, replayFailure } from 'rx-reconcile/testing';
 *
 * declare const def: LoopDefinition<{ size: number }, unknown, { size: number }>;
 * const desired = fc.constant([{ metadata: { name: 'a' }, spec: { size: 1 } }]);
 * try {
 *   await checkConvergence(def, { desired, current: fc.constant({}) });
 * } catch (error) {
 *   if (error instanceof CheckFailedError) console.log(formatTrace((await replayFailure(def, error)).trace)); // the same run, byte for byte
 * }
 * ```
 */
export async function replayFailure<Spec, Status, V, C, T, S extends Store>(
  definition: LoopDefinition<Spec, Status, V, C, T, S>,
  error: CheckFailedError,
): Promise<Replay<Spec, Status, V>> {
  const run = error.details.run;
  const sim = await startSimulation(definition, simulationOptionsOf<Spec, Status, V>(run));
  try {
    const problems =
      run.check === 'idempotence' ? await idempotenceRun(sim, definition, run.within, run.gap) : (await convergenceRun(sim, run.within, run.steps !== undefined)).problems;
    return {
      problems: problems.filter((p) => p.code !== 'context' && p.code !== 'hint').map((p) => p.text),
      trace: sim.trace,
      world: sim.world.snapshot(),
      resources: await sim.resources(),
    };
  } finally {
    await sim.stop();
  }
}
