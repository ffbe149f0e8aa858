/**
 * Error classes of `rx-reconcile/testing`. Like the library's errors, each has a stable `code`:
 * match on it, never on the message.
 *
 * @module
 */

/**
 * Stable codes of the testing kit's errors.
 *
 * ## Example
 * ```ts
 * if (error instanceof TestingError && error.code === 'NOT_CONVERGENT') retryLater();
 * ```
 */
export type TestingErrorCode =
  | 'NOT_IDEMPOTENT'
  | 'NOT_CONVERGENT'
  | 'SIMULATION_STUCK'
  | 'MARBLE_MISMATCH'
  | 'BAD_DEFINITION'
  | 'STORE_NOT_CONFORMANT';

/**
 * Base class of the testing kit's errors.
 *
 * Catch it to tell a failed check from a crash in your own code.
 *
 * ## Example
 * ```ts
 * import fc from 'fast-check';
 * import { TestingError, checkIdempotent } from 'rx-reconcile/testing';
 * import type { LoopDefinition } from 'rx-reconcile/testing';
 *
 * declare const def: LoopDefinition<{ size: number }, unknown, { size: number }>;
 * try {
 *   await checkIdempotent(def, { desired: fc.constant([{ metadata: { name: 'a' }, spec: { size: 1 } }]) });
 * } catch (e) {
 *   if (e instanceof TestingError) console.log(e.code); // a failed check; anything else is a crash of your code
 * }
 * ```
 */
export class TestingError extends Error {
  readonly code: TestingErrorCode;
  constructor(code: TestingErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * The exact failing run of a check, as data: `replayFailure(definition, error)` runs it again and
 * returns its trace.
 *
 * ## Example
 * ```ts
 * const { desired, current, seed } = error.details.run;
 * ```
 */
export interface FailingRun {
  readonly check: 'idempotence' | 'convergence';
  readonly desired: readonly unknown[];
  readonly current: Readonly<Record<string, unknown>>;
  /** Seed of the simulation's faults. */
  readonly seed: number;
  /** The faults of the run, with the time they stopped (convergence). */
  readonly faults: Readonly<Record<string, unknown>> | undefined;
  readonly within: number;
  /** Virtual ms between the first run and the second pass (idempotence). */
  readonly gap: number;
  /**
   * The run's steps, as generated (convergence with steps; `[]` when none were drawn). Absent for a
   * run without steps (`steps: false`, and idempotence).
   */
  readonly steps?: readonly unknown[];
}

/**
 * What a failed property check knows: the seeds to replay it and the shrunk counterexample.
 *
 * ## Example
 * ```ts
 * catch (e) { if (e instanceof CheckFailedError) console.log(e.details.seed, e.details.path, e.details.counterexample); }
 * ```
 */
export interface CheckFailureDetails {
  /** fast-check's seed of the whole check: pass it back as `seed` (with `path`) to replay. */
  readonly seed: number;
  /** fast-check's path to the shrunk counterexample: pass it back as `path` to replay it first. */
  readonly path: string;
  /** The shrunk counterexample, by name (`desired`, `current`, `steps` and `simulationSeed` when faults ran). */
  readonly counterexample: Readonly<Record<string, unknown>>;
  /** The seed of the simulation of the counterexample: `simulate(def, { ..., seed })` replays it. */
  readonly simulationSeed: number;
  /** Short machine-readable names of what went wrong, e.g. `['store-write', 'world-change']`. */
  readonly problems: readonly string[];
  /** The failing run itself: give it to `replayFailure` to run it again, exactly. */
  readonly run: FailingRun;
  /** Runs before the first failure, and shrink steps after it. */
  readonly numRuns: number;
  readonly numShrinks: number;
}

/**
 * A property check of a loop failed. The message shows the counterexample, what went wrong, the
 * seeds to replay it, and the end of the simulation's trace.
 *
 * Thrown by {@link checkIdempotent} (as {@link NotIdempotentError}) and `checkConvergence` (as
 * {@link NotConvergentError}). Read `details` in a test to assert on the counterexample.
 *
 * ## Example
 * ```ts
 * import fc from 'fast-check';
 * import { expect } from 'vitest';
 * import { checkIdempotent } from 'rx-reconcile/testing';
 * import type { LoopDefinition } from 'rx-reconcile/testing';
 *
 * declare const def: LoopDefinition<{ size: number }, unknown, { size: number }>; // a loop that writes on every pass
 * const opts = { desired: fc.constant([{ metadata: { name: 'a' }, spec: { size: 1 } }]) };
 * await expect(checkIdempotent(def, opts)).rejects.toMatchObject({ code: 'NOT_IDEMPOTENT' });
 * ```
 */
export class CheckFailedError extends TestingError {
  readonly details: CheckFailureDetails;
  constructor(code: 'NOT_IDEMPOTENT' | 'NOT_CONVERGENT', message: string, details: CheckFailureDetails) {
    super(code, message);
    this.details = details;
  }
}

/**
 * A loop is not idempotent: a second pass over a converged key planned a correction, wrote to the
 * store (status included), or changed the world — or the first run never settled.
 *
 * Thrown by `checkIdempotent`.
 *
 * ## Example
 * ```ts
 * import fc from 'fast-check';
 * import { NotIdempotentError, checkIdempotent } from 'rx-reconcile/testing';
 * import type { LoopDefinition } from 'rx-reconcile/testing';
 *
 * declare const def: LoopDefinition<{ size: number }, unknown, { size: number }>;
 * try {
 *   await checkIdempotent(def, { desired: fc.constant([{ metadata: { name: 'a' }, spec: { size: 1 } }]) });
 * } catch (e) {
 *   if (e instanceof NotIdempotentError) console.log(e.details.counterexample);
 * }
 * ```
 */
export class NotIdempotentError extends CheckFailedError {
  constructor(message: string, details: CheckFailureDetails) {
    super('NOT_IDEMPOTENT', message, details);
  }
}

/**
 * A loop did not reach the desired state in time under faults, oscillated (a cycle of corrections),
 * or kept writing after it had converged.
 *
 * Thrown by `checkConvergence`.
 *
 * ## Example
 * ```ts
 * import fc from 'fast-check';
 * import { NotConvergentError, checkConvergence } from 'rx-reconcile/testing';
 * import type { LoopDefinition } from 'rx-reconcile/testing';
 *
 * declare const def: LoopDefinition<{ size: number }, unknown, { size: number }>;
 * try {
 *   await checkConvergence(def, { desired: fc.constant([{ metadata: { name: 'a' }, spec: { size: 1 } }]) });
 * } catch (e) {
 *   if (e instanceof NotConvergentError) console.log(e.details.problems, 'simulate with seed', e.details.simulationSeed);
 * }
 * ```
 */
export class NotConvergentError extends CheckFailedError {
  constructor(message: string, details: CheckFailureDetails) {
    super('NOT_CONVERGENT', message, details);
  }
}

/**
 * A simulation could not go on: a pass waits on something outside virtual time (a real timer,
 * real I/O that never ends), or passes keep starting without virtual time passing (a livelock).
 *
 * Use virtual-time-aware code in loops under test (take the `scheduler` from the loop env).
 *
 * ## Example
 * ```ts
 * import { SimulationStuckError, simulate } from 'rx-reconcile/testing';
 * import type { LoopDefinition } from 'rx-reconcile/testing';
 *
 * declare const def: LoopDefinition<{ size: number }, unknown, { size: number }>;
 * try {
 *   await simulate(def, { desired: [{ metadata: { name: 'a' }, spec: { size: 1 } }] });
 * } catch (e) {
 *   if (e instanceof SimulationStuckError) console.log(e.message); // a livelock, or a pass waiting on real time
 * }
 * ```
 */
export class SimulationStuckError extends TestingError {
  constructor(message: string) {
    super('SIMULATION_STUCK', message);
  }
}

/**
 * A marble assertion failed: the message shows the expected and actual timelines frame by frame.
 * `expected` and `actual` hold the compared values, so test runners can show a diff.
 *
 * Thrown by the assertion of {@link createTestScheduler} and by {@link expectTimeline}.
 *
 * ## Example
 * ```ts
 * import { expect } from 'vitest';
 * import { MarbleMismatchError, expectTimeline } from 'rx-reconcile/testing';
 *
 * const events = [{ at: 0, value: 'x' }, { at: 20, value: 'y' }];
 * expect(() => expectTimeline(events, 'a 9ms b', { a: 'x', b: 'y' })).toThrow(MarbleMismatchError); // y came at 20, not 10
 * ```
 */
export class MarbleMismatchError extends TestingError {
  readonly expected: unknown;
  readonly actual: unknown;
  constructor(message: string, expected: unknown, actual: unknown) {
    super('MARBLE_MISMATCH', message);
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * A loop definition or check option cannot be used (e.g. a convergence check without `expected`).
 *
 * ## Example
 * ```ts
 * import { Outcome } from 'rx-reconcile';
 * import { BadDefinitionError, checkConvergence, loopDefinition } from 'rx-reconcile/testing';
 * import fc from 'fast-check';
 *
 * const def = loopDefinition({ loop: () => ({ name: 'n', kind: 'N', reconcile: () => Outcome.converged() }) });
 * try {
 *   await checkConvergence(def, { desired: fc.constant([]) }); // no `expected`: refused
 * } catch (e) {
 *   if (e instanceof BadDefinitionError) console.log(e.message);
 * }
 * ```
 */
export class BadDefinitionError extends TestingError {
  constructor(message: string) {
    super('BAD_DEFINITION', message);
  }
}

/**
 * What a failed store conformance property knows: its name, the shrunk counterexample, and the seed
 * and path that replay it.
 *
 * ## Example
 * ```ts
 * catch (e) { if (e instanceof StoreConformanceError) console.log(e.details.property, e.details.seed); }
 * ```
 */
export interface StoreConformanceDetails {
  /** The name of the failed property (pass it in `only` to run it alone). */
  readonly property: string;
  /** fast-check's seed: pass it back as `seed` (with `path`) to replay. */
  readonly seed: number;
  /** fast-check's path to the shrunk counterexample. */
  readonly path: string;
  /** The shrunk generated input of the failing case. */
  readonly counterexample: unknown;
  readonly numRuns: number;
  readonly numShrinks: number;
}

/**
 * A store broke a promise of the `Store` contract. The message names the property, what differed,
 * the counterexample and the call that replays it; the original failure is the `cause`.
 *
 * Thrown by `checkStoreConformance`.
 *
 * ## Example
 * ```ts
 * import { expect } from 'vitest';
 * import { createMemoryStore } from 'rx-reconcile';
 * import { checkStoreConformance } from 'rx-reconcile/testing';
 *
 * const make = () => ({ store: createMemoryStore() }); // a store under test (here one that conforms)
 * await expect(checkStoreConformance(make)).resolves.toBeDefined(); // a broken one: rejects with code 'STORE_NOT_CONFORMANT'
 * ```
 */
export class StoreConformanceError extends TestingError {
  readonly details: StoreConformanceDetails;
  constructor(message: string, details: StoreConformanceDetails, cause?: unknown) {
    super('STORE_NOT_CONFORMANT', message, cause === undefined ? undefined : { cause });
    this.details = details;
  }
}
