/**
 * {@link checkIdempotent}: a second pass over a converged loop must do nothing.
 *
 * @module
 */
import fc from 'fast-check';
import { keyOf } from '../src/index.js';
import type { Key, Store } from '../src/index.js';
import { addTotals, asRecord, describeWrite, failure, newTotals, params, report, RunViolation, startStates } from './check.js';
import type { CheckOptions, CheckReport, Problem } from './check.js';
import { checkIdempotenceOptions } from './check-kit-options.js';
import type { LoopDefinition } from './definition.js';
import { NotIdempotentError } from './errors.js';
import type { FailingRun } from './errors.js';
import { at, diffWorlds, show } from './format.js';
import { startSimulation } from './simulate.js';
import type { Simulation } from './simulation.js';
import { formatTrace } from './trace.js';

/**
 * Options of {@link checkIdempotent}.
 *
 * ## Example
 * ```ts
 * await checkIdempotent(def, { desired, current, gap: 60_000 }); // timestamps move a minute between the passes
 * ```
 */
export interface IdempotenceOptions<Spec, Status, V> extends CheckOptions<Spec, Status, V> {
  /** Virtual ms between the first run settling and the second pass, so timestamps move. Default 1000. */
  readonly gap?: number;
}

/**
 * Checks that a loop is idempotent: for generated desired and current states, the loop runs until it
 * settles; then, after `gap` virtual ms, every key gets a second pass. The check fails if the first
 * run never settles (or ends with keys parked), or if the second pass plans a correction (phase
 * loops), applies one to the world, writes to the store (status included) or changes the world.
 *
 * This is the storm detector: a status that stamps a fresh time on every pass, a compare that never
 * returns an empty plan, a cleanup that fails when there is nothing to clean — each makes a second
 * pass do something. The failure (a {@link NotIdempotentError}) shows the shrunk counterexample,
 * what the second pass did, the trace, and the seed and path to replay it.
 *
 * ## Example
 * ```ts
 * import fc from 'fast-check';
 * import type { LoopDefinition } from 'rx-reconcile/testing';
 * import { checkIdempotent } from 'rx-reconcile/testing';
 *
 * declare const mirror: LoopDefinition<{ size: number }, unknown, { size: number }>; // see loopDefinition
 * await checkIdempotent(mirror, {
 *   desired: fc.uniqueArray(fc.record({ metadata: fc.record({ name: fc.constantFrom('a', 'b', 'c') }), spec: fc.record({ size: fc.nat(9) }) }), { selector: (r) => r.metadata.name }),
 *   current: fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.record({ size: fc.nat(9) })),
 *   numRuns: 50,
 * });
 * ```
 */
export async function checkIdempotent<Spec, Status, V, C, T, S extends Store>(
  definition: LoopDefinition<Spec, Status, V, C, T, S>,
  options: IdempotenceOptions<Spec, Status, V>,
): Promise<CheckReport> {
  checkIdempotenceOptions(options);
  const layout = startStates('checkIdempotent', options);
  const within = options.within ?? 600_000;
  const gap = options.gap ?? 1000;
  const totals = newTotals();
  const property = fc.asyncProperty(fc.tuple(...layout.arbitraries), async (values) => {
    const state = layout.read(values);
    const sim = await startSimulation(definition, { desired: state.desired, current: state.current ?? {}, seed: 1 });
    try {
      const problems = await idempotenceRun(sim, definition, within, gap);
      addTotals(totals, sim as unknown as Simulation<unknown, unknown, V, S>);
      if (problems.length > 0) throw new RunViolation(problems, formatTrace(sim.trace, { last: options.traceLines ?? 40, compact: true }));
    } finally {
      await sim.stop();
    }
  });
  const details = await fc.check(property, params(options));
  if (details.failed) {
    const [values] = (details.counterexample ?? []) as readonly (readonly unknown[] | undefined)[];
    const state = layout.read(values ?? []);
    const desired = state.desired as readonly unknown[];
    const current = asRecord(state.current);
    const run: FailingRun = { check: 'idempotence', desired, current, seed: 1, faults: undefined, within, gap };
    throw failure('checkIdempotent', NotIdempotentError, details, { desired, current, steps: undefined, simulationSeed: undefined }, run, within);
  }
  return report(details, totals);
}

/** One idempotence run: settle, wait `gap`, trigger every key, and list what the second pass did. */
export async function idempotenceRun<Spec, Status, V, C, T, S extends Store>(
  sim: Simulation<Spec, Status, V, S>,
  definition: LoopDefinition<Spec, Status, V, C, T, S>,
  within: number,
  gap: number,
): Promise<Problem[]> {
  const first = await sim.settle(within);
  if (first !== 'quiet') return [settleProblem('first run', first, sim, within)];
  const parked = sim.loop.snapshot().parked;
  if (parked.length > 0) {
    return parked.map((p) => ({
      code: 'first-run-failed',
      text: `the first run did not converge: key ${JSON.stringify(p.key)} is ${p.reason} after ${p.failures} failure(s): ${p.lastError ?? '?'}`,
    }));
  }

  const mark = sim.position;
  const worldBefore = sim.world.snapshot();
  const settledAt = sim.now;
  await sim.advance(gap);
  const keys = new Set<Key>([...(await sim.resources()).map(keyOf), ...sim.desiredKeys, ...(definition.keys?.(sim.world.snapshot()) ?? [])]);
  for (const key of [...keys].sort()) sim.trigger(key);
  const second = await sim.settle(within);

  const problems: Problem[] = [];
  const since = <R extends { readonly seq: number }>(records: readonly R[]) => records.filter((r) => r.seq >= mark);
  for (const p of since(sim.trace.plans)) {
    problems.push({ code: 'planned-correction', text: `the second pass of ${JSON.stringify(p.key)} planned ${p.corrections.map((c) => `${c.action} ${c.target}`).join(', ')} at ${at(p.at)}` });
  }
  for (const a of since(sim.trace.applies)) {
    const c = a.correction;
    problems.push({
      code: 'world-correction',
      text: `the second pass applied ${c.action} ${c.target}${c.value === undefined ? '' : ` = ${show(c.value, 80)}`} to the world (→ ${a.result}${a.changed ? '' : ', no change'})`,
    });
  }
  for (const w of since(sim.trace.writes)) problems.push({ code: 'store-write', text: `the second pass wrote ${describeWrite(w)}` });
  for (const line of diffWorlds(worldBefore, sim.world.snapshot())) problems.push({ code: 'world-change', text: `the second pass changed the world: ${line}` });
  for (const p of since(sim.trace.passes)) {
    if (p.outcome === 'retry' || p.outcome === 'terminal') problems.push({ code: 'second-run-failed', text: `a second pass of ${JSON.stringify(p.key)} failed: ${p.error ?? p.outcome}` });
  }
  if (second !== 'quiet') problems.push(settleProblem('second pass', second, sim, within));
  if (problems.length > 0) problems.unshift({ code: 'context', text: `(first run settled at ${at(settledAt)}; second pass triggered at ${at(settledAt + gap)})` });
  return problems;
}

/** Why a run did not settle, as a problem. */
export function settleProblem<Spec, Status, V, S extends Store>(what: string, result: string, sim: Simulation<Spec, Status, V, S>, within: number): Problem {
  switch (result) {
    case 'livelock':
      return { code: `${what === 'first run' ? 'first-run' : 'second-run'}-livelock`, text: `the ${what} never settled: ${sim.livelock ?? ''}` };
    case 'stuck':
      return {
        code: 'stuck',
        text: `the ${what} is stuck at ${at(sim.now)}: a pass waits on something outside virtual time (a real timer or I/O that never ends); take time from env.scheduler`,
      };
    default: {
      const s = sim.loop.snapshot();
      const busy = [...s.delayed.map((d) => `${d.key} ${d.why} (${d.lastError ?? ''})`), ...s.inFlight.map((f) => `${f.key} running`)];
      return { code: 'timeout', text: `the ${what} did not settle within ${within} ms of virtual time: ${busy.join('; ') || 'keys kept being queued'}` };
    }
  }
}
