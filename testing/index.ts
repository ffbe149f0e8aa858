/**
 * `rx-reconcile/testing`: prove a loop idempotent and convergent, under faults, in virtual time.
 *
 * - {@link checkStoreConformance}: fast-check properties of the `Store` contract, to run against
 *   any store adapter (the memory store and the SQLite store pass them).
 * - {@link checkIdempotent} and {@link checkConvergence}: fast-check properties over a
 *   {@link LoopDefinition} (the options of `defineLoop` without store and scheduler, plus its world);
 *   they run the real loop and fail with the shrunk counterexample and the seeds to replay it.
 * - {@link simulate} / {@link startSimulation}: the deterministic simulation runner — store, watch,
 *   queue, backoff, resync and timeouts on a virtual clock ({@link SimulationScheduler}), with
 *   {@link Step}s that change the run from outside (desired changes, world drift, restarts) and a
 *   {@link Trace} of passes, writes, corrections, faults, steps and world states that replays byte
 *   for byte from its seed.
 * - {@link faultyStore}, {@link faultyWorld}, {@link faultyActuator}: seeded fault injection.
 * - {@link World} and {@link memoryWorld}: the world a loop acts on, as the checkers see it.
 * - {@link createTestScheduler}, {@link summarizePasses}, {@link expectTimeline}, {@link marblesOf}:
 *   marble helpers for a loop's timing.
 *
 * @module
 */
export type { CheckOptions, CheckReport, StartState } from './check.js';
export { checkConvergence } from './check-convergence.js';
export type { ConvergenceOptions } from './check-convergence.js';
export { checkIdempotent } from './check-idempotent.js';
export type { IdempotenceOptions } from './check-idempotent.js';
export { replayFailure } from './replay-failure.js';
export type { Replay } from './replay-failure.js';
export { checkStoreConformance, storePropertyNames } from './check-store-conformance.js';
export type { StoreConformanceOptions, StoreConformanceReport } from './check-store-conformance.js';
export type { MakeStore, StoreSetup, StoreUnderTest } from './store-harness.js';
export { SimulationScheduler, drainMicrotasks } from './clock.js';
export { loopDefinition } from './definition.js';
export type { DesiredResource, DistributiveOmit, LoopDefinition, LoopEnv, LoopSpec, StoreEnv } from './definition.js';
export {
  BadDefinitionError,
  CheckFailedError,
  MarbleMismatchError,
  NotConvergentError,
  NotIdempotentError,
  SimulationStuckError,
  StoreConformanceError,
  TestingError,
} from './errors.js';
export type { CheckFailureDetails, FailingRun, StoreConformanceDetails, TestingErrorCode } from './errors.js';
export { defaultFaults, faultyActuator, faultyStore, faultyWorld } from './faults.js';
export type { ActuatorFaults, FaultKind, FaultOptions, Faults, FaultyStore, InjectedFault, StoreFaults, WorldFaults } from './faults.js';
export { diffItems, diffValues, diffWorlds, show, stableJson } from './format.js';
export { createTestScheduler, expectTimeline, marblesOf, passSummary, summarizePasses } from './marbles.js';
export type { Timed } from './marbles.js';
export { seededRandom } from './random.js';
export type { Random } from './random.js';
export { simulate, startSimulation } from './simulate.js';
export type { SimulationOptions, SimulationResult } from './simulate.js';
export { Simulation } from './simulation.js';
export type { Assessment, SettleResult } from './simulation.js';
export { defaultStepKinds, stepSchedule } from './step-arbitrary.js';
export type { StepOptions } from './step-arbitrary.js';
export { STEP_KINDS, describeStep } from './steps.js';
export type { Step, StepContext, StepKind, StepTiming } from './steps.js';
export { formatTrace } from './trace.js';
export type {
  ApplyRecord,
  FaultRecord,
  FormatTraceOptions,
  PassRecord,
  PlanRecord,
  StateRecord,
  StepRecord,
  Trace,
  WorldRecord,
  WriteRecord,
} from './trace.js';
export { memoryWorld } from './world.js';
export type { Items, MemoryWorld, MemoryWorldOptions, World } from './world.js';
