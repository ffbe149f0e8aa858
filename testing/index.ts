/**
 * `rx-reconcile/testing`: proves a loop idempotent and convergent in virtual time, against a world
 * that changes under it, with faults, restarts and exact replays; plus the conformance suite every
 * `Store` passes and marble helpers for hard-mode operators.
 *
 * @module
 */

/* Defining the loop under test and its world */
export { loopDefinition } from './definition.js';
export type { DesiredResource, LoopDefinition } from './definition.js';
export { memoryWorld } from './world.js';
export type { World } from './world.js';

/* The checks */
export { checkIdempotent } from './check-idempotent.js';
export { checkConvergence } from './check-convergence.js';
export type { CheckReport } from './check.js';
export { replayFailure } from './replay-failure.js';
export { checkStoreConformance } from './check-store-conformance.js';

/* Simulation in virtual time */
export { SimulationScheduler } from './clock.js';
export { simulate, startSimulation } from './simulate.js';
export type { SimulationOptions } from './simulate.js';
export { seededRandom } from './random.js';
export type { Random } from './random.js';

/* Faults */
export { faultyActuator, faultyStore, faultyWorld } from './faults.js';
export type { Faults } from './faults.js';

/* Reading results */
export { formatTrace } from './trace.js';
export { createTestScheduler, expectTimeline } from './marbles.js';

/* Errors: each has a stable `code` */
export { CheckFailedError, NotConvergentError, NotIdempotentError, StoreConformanceError, TestingError } from './errors.js';
