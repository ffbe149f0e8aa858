/**
 * What the property checks of a user's loop share: their options, the inputs they generate, their
 * report, and the failure they throw (counterexample, what went wrong, how to replay it, the trace).
 * The checks themselves are {@link checkIdempotent} and {@link checkConvergence}.
 *
 * @module
 */
import fc from 'fast-check';
import type { Arbitrary } from 'fast-check';
import type { Store } from '../src/index.js';
import type { DesiredResource } from './definition.js';
import { BadDefinitionError } from './errors.js';
import type { CheckFailureDetails, FailingRun, NotConvergentError, NotIdempotentError } from './errors.js';
import { at, diffValues, show } from './format.js';
import type { Simulation } from './simulation.js';
import { describeStep, json } from './steps.js';
import type { Step } from './steps.js';
import type { WriteRecord } from './trace.js';
import type { Items } from './world.js';

/**
 * A desired state and a world to start a run from, generated together (see `CheckOptions.state`).
 *
 * ## Example
 * ```ts
 * const start: StartState<{ size: number }, unknown, number> = { desired: [{ metadata: { name: 'a' }, spec: { size: 1 } }], current: { a: 1 } };
 * ```
 */
export interface StartState<Spec, Status, V> {
  readonly desired: readonly DesiredResource<Spec, Status>[];
  /** Default: an empty world. */
  readonly current?: Items<V>;
}

/**
 * Options shared by the checks. Give the start states as `desired` (and `current`), generated
 * apart, or as `state`, generated together.
 *
 * ## Example
 * ```ts
 * const options: CheckOptions<{ size: number }, unknown, number> = { desired: fc.constant([]), numRuns: 100, seed: 42 };
 * ```
 */
export interface CheckOptions<Spec, Status, V> {
  /** Generates the store's resources a run starts from (names are made unique: the first wins). */
  readonly desired?: Arbitrary<readonly DesiredResource<Spec, Status>[]>;
  /** Generates the world's state a run starts from. Default: an empty world. */
  readonly current?: Arbitrary<Items<V>>;
  /**
   * Generates the desired resources and the world together, instead of `desired` and `current` —
   * for start states where one depends on the other (e.g. "the world holds a subset of what is
   * desired, plus foreign items").
   */
  readonly state?: Arbitrary<StartState<Spec, Status, V>>;
  /** Generated cases. Default 50. */
  readonly numRuns?: number;
  /** fast-check seed: give the seed of a failure (with `path`) to replay it. Default: random. */
  readonly seed?: number;
  /** fast-check path of a failure's counterexample, to replay just that case. */
  readonly path?: string;
  /**
   * Virtual ms a run may take to settle (idempotence) or converge (convergence: counted from the
   * start without steps, from when the last step and its faults are over with steps). Default 600 000.
   */
  readonly within?: number;
  /** Trace lines shown in a failure message. Default 40. */
  readonly traceLines?: number;
}

/**
 * What a passing check did, for logs and for tuning `numRuns`.
 *
 * ## Example
 * ```ts
 * const report = await checkIdempotent(def, { desired });
 * console.log(`${report.numRuns} runs, ${report.passes} passes (seed ${report.seed})`);
 * ```
 */
export interface CheckReport {
  readonly numRuns: number;
  /** fast-check seed of the check (pass it back as `seed` to run the same cases). */
  readonly seed: number;
  /** Passes, store writes, world corrections and injected faults, over all runs. */
  readonly passes: number;
  readonly writes: number;
  readonly corrections: number;
  readonly faults: number;
  /** Steps that changed something (desired changes, world drift, restarts), over all runs. */
  readonly steps: number;
  /** The longest time a run took to converge (convergence check), in virtual ms. */
  readonly slowestConvergence: number | undefined;
}

/** One thing that went wrong in a run, with a short machine-readable code. */
export interface Problem {
  readonly code: string;
  readonly text: string;
}

/** Thrown inside a property run; fast-check keeps the one of the shrunk counterexample. */
export class RunViolation extends Error {
  readonly problems: readonly Problem[];
  readonly trace: string;
  constructor(problems: readonly Problem[], trace: string) {
    super(problems.map((p) => p.text).join('\n'));
    this.problems = problems;
    this.trace = trace;
  }
}

/** Counts over all runs of a check. */
export interface Totals {
  passes: number;
  writes: number;
  corrections: number;
  faults: number;
  steps: number;
  slowest: number | undefined;
}

export function newTotals(): Totals {
  return { passes: 0, writes: 0, corrections: 0, faults: 0, steps: 0, slowest: undefined };
}

export function addTotals<V, S extends Store>(totals: Totals, sim: Simulation<unknown, unknown, V, S>): void {
  totals.passes += sim.trace.passes.length;
  totals.writes += sim.trace.writes.length;
  totals.corrections += sim.trace.applies.length;
  totals.faults += sim.trace.faults.length;
  totals.steps += sim.trace.steps.filter((s) => s.did.length > 0).length;
}

export const MAX_SEED = 0x7fffffff;

/**
 * How a check generates start states: the arbitraries it passes to fast-check (`[desired, current]`,
 * as before joint states existed — so a seed and path found then replay the same case — or
 * `[state]`), and how to read a start state back from their values.
 */
export interface StartLayout<Spec, Status, V> {
  readonly arbitraries: readonly Arbitrary<unknown>[];
  read(values: readonly unknown[]): StartState<Spec, Status, V>;
  /** The start states alone, as one arbitrary (for step schedules drawn from the same generators). */
  readonly states: Arbitrary<StartState<Spec, Status, V>>;
}

/** The generator of start states: `state`, or `desired` with `current`. */
export function startStates<Spec, Status, V>(where: string, options: CheckOptions<Spec, Status, V>): StartLayout<Spec, Status, V> {
  if (options === undefined || (options.desired === undefined && options.state === undefined)) {
    throw new BadDefinitionError(`${where} needs options.desired (a fast-check arbitrary of the store's resources) or options.state (desired and current together)`);
  }
  if (options.state !== undefined) {
    if (options.desired !== undefined || options.current !== undefined) {
      throw new BadDefinitionError(`${where}: give options.state (desired and current together) or options.desired/options.current, not both`);
    }
    const state = options.state;
    return { arbitraries: [state], read: (values) => (values[0] ?? { desired: [] }) as StartState<Spec, Status, V>, states: state };
  }
  const desired = options.desired as Arbitrary<readonly DesiredResource<Spec, Status>[]>;
  const current = options.current ?? fc.constant({} as Items<V>);
  return {
    arbitraries: [desired, current],
    read: (values) => ({
      desired: Array.isArray(values[0]) ? (values[0] as readonly DesiredResource<Spec, Status>[]) : [],
      current: asRecord(values[1]) as Items<V>,
    }),
    states: fc.tuple(desired, current).map(([d, c]) => ({ desired: d, current: c })),
  };
}

export function params(options: CheckOptions<unknown, unknown, unknown>): fc.Parameters<unknown> {
  return {
    numRuns: options.numRuns ?? 50,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.path !== undefined ? { path: options.path } : {}),
  };
}

export function report(details: fc.RunDetails<unknown>, totals: Totals): CheckReport {
  return {
    numRuns: details.numRuns,
    seed: details.seed,
    passes: totals.passes,
    writes: totals.writes,
    corrections: totals.corrections,
    faults: totals.faults,
    steps: totals.steps,
    slowestConvergence: totals.slowest,
  };
}

/** A store write as one line: what it changed, field by field. */
export function describeWrite(w: WriteRecord): string {
  const fields = w.changed
    .map((field) => {
      if (field === 'status' || field === 'spec') {
        const before = (w.before as Record<string, unknown> | undefined)?.[field];
        const after = (w.after as Record<string, unknown> | undefined)?.[field];
        return diffValues(before, after, field).join(', ');
      }
      return field;
    })
    .join('; ');
  return `${w.op} ${w.kind}/${w.key} at ${at(w.at)}: ${fields}`;
}

/** The failing case as the check generated it. */
export interface FailingCase {
  readonly desired: readonly unknown[];
  readonly current: Readonly<Record<string, unknown>>;
  readonly steps: readonly Step<unknown, unknown, unknown>[] | undefined;
  readonly simulationSeed: number | undefined;
}

/** The error a failed check throws: the counterexample in the order it reproduces, the problems, the replay, the trace. */
export function failure(
  check: 'checkIdempotent' | 'checkConvergence',
  ErrorClass: typeof NotIdempotentError | typeof NotConvergentError,
  details: fc.RunDetails<unknown>,
  found: FailingCase,
  run: FailingRun,
  untilForSimulate: number,
): Error {
  const counterexample: Record<string, unknown> = { desired: found.desired, current: found.current };
  if (found.steps !== undefined) counterexample['steps'] = found.steps;
  if (found.simulationSeed !== undefined) counterexample['simulationSeed'] = found.simulationSeed;
  const violation = details.errorInstance;
  if (!(violation instanceof RunViolation)) {
    // The loop definition, an arbitrary or the kit itself threw: report it as it is.
    const error = violation instanceof Error ? violation : new Error(String(violation));
    error.message = `${check}: a run threw (seed ${details.seed}, path "${details.counterexamplePath ?? ''}"): ${error.message}\n  counterexample: ${show(counterexample, 2000)}`;
    return error;
  }
  const path = details.counterexamplePath ?? '';
  const problems = violation.problems.filter((p) => p.code !== 'context' && p.code !== 'hint').map((p) => p.code);
  const fullDetails: CheckFailureDetails = {
    seed: details.seed,
    path,
    counterexample,
    simulationSeed: run.seed,
    problems: [...new Set(problems)],
    run,
    numRuns: details.numRuns,
    numShrinks: details.numShrinks,
  };
  const steps = found.steps;
  const simulateOptions = [
    'desired',
    'current',
    ...(steps !== undefined ? ['steps'] : []),
    `seed: ${run.seed}`,
    `faults: ${json(run.faults)}`,
    ...(run.check === 'convergence' ? ['releaseWhenFaultsEnd: true'] : []),
    `until: ${untilForSimulate}`,
  ].join(', ');
  const lines = [
    `${check} failed after ${details.numRuns} run(s) (shrunk ${details.numShrinks} time(s)).`,
    `  seed: ${details.seed}, path: "${path}"${found.simulationSeed !== undefined ? `, simulation seed: ${run.seed}` : ''}`,
    '  counterexample: (as generated, key order kept: paste it to reproduce)',
    `    desired: ${found.desired.length === 0 ? '[]' : ''}`,
    ...found.desired.map((d) => `      ${json(d)}`),
    `    current: ${json(found.current)}`,
    ...(steps !== undefined ? [`    steps: ${steps.length === 0 ? '[] (none)' : ''}`, ...steps.map((s) => `      ${describeStep(s)}`)] : []),
    ...(found.simulationSeed !== undefined ? [`    simulationSeed: ${run.seed}`] : []),
    '  what went wrong:',
    ...violation.problems.map((p) => `    ${p.text.replace(/\n/g, '\n    ')}`),
    '  replay:',
    `    ${check}(definition, { ...options, seed: ${details.seed}, path: "${path}" })`,
    `    replayFailure(definition, error)  // this very run, with its trace (error.details.run)`,
    ...(found.simulationSeed !== undefined ? [`    simulate(definition, { ${simulateOptions} })  // the same run, without the final assessment`] : []),
    '  trace of the failing run:',
    ...violation.trace.split('\n').map((l) => `    ${l}`),
  ];
  return new ErrorClass(lines.join('\n'), fullDetails);
}

export function asRecord(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}
