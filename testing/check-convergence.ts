/**
 * {@link checkConvergence}: under faults, with the desired state changing, the world drifting behind
 * the loop's back and the loop restarting, the loop reaches the final desired state and stays there.
 *
 * @module
 */
import fc from 'fast-check';
import type { Arbitrary } from 'fast-check';
import type { Store } from '../src/index.js';
import { MAX_SEED, RunViolation, addTotals, asRecord, describeWrite, failure, newTotals, params, report, startStates } from './check.js';
import type { CheckOptions, CheckReport, Problem, StartState } from './check.js';
import { checkConvergenceOptions } from './check-kit-options.js';
import { describeCycle, findCycle } from './cycles.js';
import type { LoopDefinition } from './definition.js';
import { BadDefinitionError, NotConvergentError } from './errors.js';
import type { FailingRun } from './errors.js';
import { defaultFaults } from './faults.js';
import type { Faults } from './faults.js';
import { at, stableJson } from './format.js';
import { startSimulation } from './simulate.js';
import type { Simulation } from './simulation.js';
import { defaultStepKinds, stepSchedule } from './step-arbitrary.js';
import type { StepOptions } from './step-arbitrary.js';
import type { Step } from './steps.js';
import { formatTrace } from './trace.js';
import type { Items } from './world.js';

/**
 * Options of {@link checkConvergence}.
 *
 * ## Example
 * ```ts
 * await checkConvergence(def, { desired, current, faults: { world: { lostAck: 0.3 } }, steps: { kinds: { restart: false } } });
 * ```
 */
export interface ConvergenceOptions<Spec, Status, V> extends CheckOptions<Spec, Status, V> {
  /**
   * Faults to inject. Default {@link defaultFaults}. With steps, they happen within
   * `steps.faultWindow` (5 s) of the start and of each step; without steps (or with `faults.until`),
   * everywhere until `faults.until` (default: half of `within`). When they end, parked keys are
   * released once, as an operator would after an incident.
   */
  readonly faults?: Faults;
  /**
   * What changes a run from outside while it runs (see {@link StepOptions} and `Step`): by default a
   * generated schedule of up to 6 steps — desired states from your `desired` generator, world items
   * changed and removed (values from your `current` generator), restarts — between passes and in
   * the middle of them. `false`: none (the start state alone, as before steps existed).
   */
  readonly steps?: false | StepOptions<Spec, Status, V>;
}

/**
 * Checks that a loop converges — and stays converged — while the world is against it. For generated
 * start states, a generated schedule of steps and a generated fault seed, the loop runs in virtual
 * time while:
 * - the desired state changes (resources created, updated, deleted — from your `desired` generator),
 *   someone else changes and removes world items behind the loop's back (values from your
 *   `current` generator; adds too when `expected` reads the initial world), and the loop restarts
 *   (its calls under way never land; a new loop starts on the same store and world);
 * - the store's watch drops, duplicates, reorders and delays events, reads are stale, and writes to
 *   the store and the world fail, conflict or lose their acknowledgement — concentrated within a few
 *   seconds of each step, where the loop is busy.
 *
 * Once the last step and its faults are over, the loop has `within` ms to reach the definition's
 * `expected` world for the **final** desired state and `ready` resources, with no key parked or
 * backing off — and to stay there: it fails when the loop keeps changing things after it converged,
 * when it oscillates (the world, one world item, or — after the faults — the store and the world
 * together come back to a state they had left while nothing outside changed), and when it wrote an
 * old spec back over a desired change. The failure (a {@link NotConvergentError}) shows the shrunk
 * counterexample (key order kept: paste it to reproduce), what went wrong, how to replay it exactly,
 * and the trace.
 *
 * ## Example
 * ```ts
 * import fc from 'fast-check';
 * import type { LoopDefinition } from 'rx-reconcile/testing';
 * import { checkConvergence } from 'rx-reconcile/testing';
 *
 * declare const mirror: LoopDefinition<{ size: number }, unknown, { size: number }>; // see loopDefinition
 * await checkConvergence(mirror, {
 *   desired: fc.uniqueArray(fc.record({ metadata: fc.record({ name: fc.constantFrom('a', 'b') }), spec: fc.record({ size: fc.nat(9) }) }), { selector: (r) => r.metadata.name }),
 *   current: fc.dictionary(fc.constantFrom('a', 'b'), fc.record({ size: fc.nat(9) })),
 * });
 * ```
 */
export async function checkConvergence<Spec, Status, V, C, T, S extends Store>(
  definition: LoopDefinition<Spec, Status, V, C, T, S>,
  options: ConvergenceOptions<Spec, Status, V>,
): Promise<CheckReport> {
  checkConvergenceOptions(options);
  const layout = startStates('checkConvergence', options);
  if (typeof definition?.expected !== 'function') {
    throw new BadDefinitionError('checkConvergence needs definition.expected: (resources, initial) => the world those resources call for');
  }
  const within = options.within ?? 600_000;
  const base = options.faults ?? defaultFaults;
  const withSteps = options.steps !== false;
  const stepOptions = options.steps === false ? {} : (options.steps ?? {});
  const faults: Faults = withSteps
    ? base.until !== undefined
      ? base
      : { ...base, window: stepOptions.faultWindow ?? base.window ?? 5_000 }
    : { ...base, until: base.until ?? Math.floor(within / 2) };
  const schedule = withSteps ? [scheduleOf(definition, options, stepOptions, layout.states)] : [];
  const seeds = fc.integer({ min: 0, max: MAX_SEED });
  const totals = newTotals();
  // The arguments as before steps existed ([desired, current, seed]), then the schedule.
  const property = fc.asyncProperty(fc.tuple(...layout.arbitraries, seeds, ...schedule), async (values) => {
    const state = layout.read(values);
    const n = layout.arbitraries.length;
    const seed = values[n] as number;
    const steps = values[n + 1] as readonly Step<Spec, Status, V>[] | undefined;
    const sim = await startSimulation(definition, {
      desired: state.desired,
      current: state.current ?? {},
      seed,
      faults,
      releaseWhenFaultsEnd: true,
      ...(steps !== undefined ? { steps } : {}),
    });
    try {
      const { problems, convergedAt } = await convergenceRun(sim, within, withSteps);
      addTotals(totals, sim as unknown as Simulation<unknown, unknown, V, S>);
      if (convergedAt !== undefined) totals.slowest = Math.max(totals.slowest ?? 0, convergedAt);
      if (problems.length > 0) throw new RunViolation(problems, formatTrace(sim.trace, { last: options.traceLines ?? 40, compact: true }));
    } finally {
      await sim.stop();
    }
  });
  const details = await fc.check(property, params(options));
  if (details.failed) {
    const [values = []] = (details.counterexample ?? []) as readonly (readonly unknown[] | undefined)[];
    const state = layout.read(values);
    const n = layout.arbitraries.length;
    const seed = values[n];
    const steps = values[n + 1];
    const desired = state.desired as readonly unknown[];
    const current = asRecord(state.current);
    const simulationSeed = typeof seed === 'number' ? seed : 0;
    const stepList = Array.isArray(steps) ? (steps as readonly Step<unknown, unknown, unknown>[]) : undefined;
    const run: FailingRun = {
      check: 'convergence',
      desired,
      current,
      seed: simulationSeed,
      faults: faults as Readonly<Record<string, unknown>>,
      within,
      gap: 0,
      ...(stepList !== undefined ? { steps: stepList } : {}),
    };
    // The same run with `simulate` (no final assessment) lasts as long as the failing one did.
    const replay = await runLength(definition, run);
    throw failure('checkConvergence', NotConvergentError, details, { desired, current, steps: stepList, simulationSeed }, run, replay);
  }
  return report(details, totals);
}

/** The step schedule generator of a check. */
function scheduleOf<Spec, Status, V, C, T, S extends Store>(
  definition: LoopDefinition<Spec, Status, V, C, T, S>,
  options: ConvergenceOptions<Spec, Status, V>,
  stepOptions: StepOptions<Spec, Status, V>,
  states: Arbitrary<StartState<Spec, Status, V>>,
): Arbitrary<readonly Step<Spec, Status, V>[]> {
  if (stepOptions.schedule !== undefined) return stepOptions.schedule;
  const expectedTakesInitial = (definition.expected?.length ?? 0) >= 2;
  const kinds = defaultStepKinds(expectedTakesInitial, stepOptions.kinds);
  const desired = options.state !== undefined ? states.map((s) => s.desired) : (options.desired as Arbitrary<StartState<Spec, Status, V>['desired']>);
  const current: Arbitrary<Items<V>> | undefined = options.state !== undefined ? states.map((s) => s.current ?? {}) : options.current;
  return stepSchedule(desired, current, { kinds, ...(stepOptions.max !== undefined ? { max: stepOptions.max } : {}), ...(stepOptions.arbitraries ? { arbitraries: stepOptions.arbitraries } : {}) });
}

/** How long the failing run lasted (virtual ms), found by running it again. */
async function runLength<Spec, Status, V, C, T, S extends Store>(definition: LoopDefinition<Spec, Status, V, C, T, S>, run: FailingRun): Promise<number> {
  try {
    const sim = await startSimulation(definition, simulationOptionsOf<Spec, Status, V>(run));
    try {
      await convergenceRun(sim, run.within, run.steps !== undefined);
      return sim.now;
    } finally {
      await sim.stop();
    }
  } catch {
    return run.within; // the definition throws: the failure reports that, not the replay
  }
}

/** The `simulate` options that replay a failing convergence run. */
export function simulationOptionsOf<Spec, Status, V>(run: FailingRun) {
  return {
    desired: run.desired as StartState<Spec, Status, V>['desired'],
    current: run.current as Items<V>,
    seed: run.seed,
    ...(run.faults !== undefined ? { faults: run.faults as Faults } : {}),
    ...(run.steps !== undefined ? { steps: run.steps as readonly Step<Spec, Status, V>[] } : {}),
    releaseWhenFaultsEnd: run.check === 'convergence',
  };
}

/**
 * One convergence run: run until the steps are done and the faults over, then `within` more (or,
 * without steps, until `within`); then list what is wrong.
 */
export async function convergenceRun<Spec, Status, V, S extends Store>(
  sim: Simulation<Spec, Status, V, S>,
  within: number,
  withSteps: boolean,
): Promise<{ problems: Problem[]; convergedAt: number | undefined }> {
  let convergedSince: number | undefined;
  let changeMark: number | undefined;
  // The assessment changes only when the trace does (a pass, a write, a world change, a step) or
  // when the queue's state does: assess again only then.
  let assessedAt = -1;
  let assessedQueue = '';
  let converged = false;
  const onStep = async () => {
    const s = sim.loop.snapshot();
    const queue = `${s.depth}/${s.running}/${s.delayed.length}/${s.parked.length}/${sim.restarts}`;
    if (sim.position !== assessedAt || queue !== assessedQueue) {
      assessedAt = sim.position;
      assessedQueue = queue;
      converged = (await sim.assess()).converged;
    }
    if (converged && convergedSince === undefined) {
      convergedSince = sim.now;
      changeMark = sim.position;
    } else if (!converged) {
      convergedSince = undefined;
      changeMark = undefined;
    }
  };
  // First until every step has happened (each step is armed by a timer, so time always moves on).
  while (!sim.stepsDone && sim.livelock === undefined) {
    const next = sim.scheduler.nextAt;
    if (next === undefined) break;
    await sim.runUntil(next, onStep);
  }
  const end = sim.quietFrom() ?? sim.now;
  const quietFrom = Number.isFinite(end) ? end : sim.now;
  const deadline = withSteps ? quietFrom + within : within;
  await sim.runUntil(deadline, onStep);

  const problems: Problem[] = [];
  if (sim.livelock !== undefined) problems.push({ code: 'livelock', text: `the loop never settled: ${sim.livelock}` });
  const assessment = await sim.assess();
  const lastStep = sim.trace.steps.filter((s) => s.did.length > 0).at(-1);
  if (!assessment.converged) {
    const since = withSteps ? ` (the last step at ${at(lastStep?.at ?? 0).trim()}, faults stopped at ${at(quietFrom).trim()})` : ` (faults stopped at ${at(quietFrom)})`;
    problems.push({ code: 'not-converged', text: `not in the desired state at ${at(deadline)}${since}:` });
    for (const p of assessment.problems) problems.push({ code: 'not-converged', text: `  - ${p}` });
    for (const line of originsOfWorldProblems(sim, await sim.expectedWorld())) problems.push({ code: 'hint', text: `  ${line}` });
    for (const line of hints(sim)) problems.push({ code: 'hint', text: `  hint: ${line}` });
  }
  for (const line of await sim.lostDesiredChanges()) problems.push({ code: 'desired-lost', text: `a desired change was lost: ${line}` });
  const cycle = findCycle(sim.trace as never, quietFrom);
  if (cycle !== undefined) problems.push({ code: 'oscillation', text: describeCycle(cycle, sim.trace as never, describeWrite) });
  if (assessment.converged && convergedSince !== undefined && changeMark !== undefined) {
    // After the faults, one resync round may still repair what they left (a status a failed write
    // left behind); from then on, a converged loop changes nothing.
    const grace = withSteps ? (sim.resync ?? 0) : 0;
    const from = Math.max(changeMark, firstSeqAfter(sim, quietFrom + grace));
    const writes = sim.trace.writes.filter((w) => w.seq >= from);
    const worldChanges = sim.trace.applies.filter((a) => a.seq >= from && a.changed);
    if (writes.length > 0 || worldChanges.length > 0) {
      problems.push({
        code: 'unsteady',
        text:
          `the loop kept changing things after it converged at ${at(convergedSince)}: ${writes.length} store write(s), ${worldChanges.length} world change(s)` +
          (writes[0] ? `, first: ${describeWrite(writes[0])}` : '') +
          (worldChanges[0] ? `, first world change: ${worldChanges[0].correction.action} ${worldChanges[0].correction.target}` : ''),
      });
    }
  }
  return { problems, convergedAt: problems.length === 0 ? convergedSince : undefined };
}

/** Hints for a run that did not converge, from what its trace shows. */
function hints<Spec, Status, V, S extends Store>(sim: Simulation<Spec, Status, V, S>): string[] {
  const out: string[] = [];
  const trace = sim.trace;
  if (trace.passes.length === 0) {
    out.push(
      'no pass ever ran: nothing triggered the loop. A loop triggered by its store runs only for the keys of its resources; ' +
        'world items no resource names need a trigger of their own (a dependency, or a source over the world)',
    );
  }
  const dropped = trace.faults.filter((f) => f.fault === 'drop').length;
  if (dropped > 0 && trace.passes.every((p) => p.reason !== 'resync')) {
    out.push(`${dropped} watch event(s) were dropped and the loop has no resync: a level-triggered loop needs a resync period to repair lost events`);
  }
  const drift = trace.steps.filter((s) => s.did.length > 0 && (s.kind === 'change' || s.kind === 'remove' || s.kind === 'add'));
  if (drift.length > 0 && trace.passes.every((p) => p.reason !== 'resync')) {
    out.push(`the world changed behind the loop's back (${drift.length} step(s)) and the loop has no resync: no store event tells it, so nothing makes it look again`);
  }
  return out;
}

/** For each world item that is extra, wrong or missing at the end: the correction (or step) that made it so. */
function originsOfWorldProblems<Spec, Status, V, S extends Store>(sim: Simulation<Spec, Status, V, S>, expected: Items<V> | undefined): string[] {
  if (expected === undefined) return [];
  const finalWorld = sim.world.snapshot();
  const worlds = sim.trace.worlds;
  const out: string[] = [];
  const ABSENT = '\u0000absent';
  const valueIn = (items: Items<V>, target: string) => (Object.hasOwn(items, target) ? stableJson(items[target]) : ABSENT);
  const targets = [...new Set([...Object.keys(finalWorld), ...Object.keys(expected)])].sort();
  for (const target of targets) {
    const final = valueIn(finalWorld, target);
    if (final === valueIn(expected, target)) continue;
    // The first world state from which the item held its final value (or absence) for good.
    let since: number | undefined;
    for (let i = worlds.length - 1; i >= 0; i--) {
      if (valueIn((worlds[i] as { items: Items<V> }).items, target) !== final) break;
      since = i;
    }
    if (since === undefined || since === 0) continue;
    const record = worlds[since] as { seq: number; at: number };
    const what = final === ABSENT ? 'went missing' : 'got its value';
    const step = sim.trace.steps.find((st) => st.firstSeq <= record.seq && record.seq < st.seq);
    if (step !== undefined) {
      out.push(`${JSON.stringify(target)} ${what} at ${at(record.at).trim()} in a step: ${step.did.join('; ')} — and the loop never corrected it`);
      continue;
    }
    // The loop's correction of that item just before, else the one of another item (a custom one may change several).
    const before = [...sim.trace.applies].reverse().filter((a) => a.seq < record.seq && a.changed);
    const apply = before.find((a) => a.correction.target === target) ?? before[0];
    if (apply === undefined) continue;
    out.push(
      `${JSON.stringify(target)} ${what} at ${at(record.at).trim()} by the loop's ${apply.correction.action} ${apply.correction.target} ` +
        `(idempotency key ${JSON.stringify(apply.correction.idempotencyKey)}, call → ${apply.result})`,
    );
  }
  return out;
}

function firstSeqAfter<Spec, Status, V, S extends Store>(sim: Simulation<Spec, Status, V, S>, time: number): number {
  const all = [...sim.trace.writes, ...sim.trace.applies, ...sim.trace.passes].filter((r) => r.at >= time);
  return all.length === 0 ? sim.position : Math.min(...all.map((r) => r.seq));
}
