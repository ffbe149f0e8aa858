/**
 * Steps: desired changes, world drift and restarts during a run — in `simulate` by hand, and as
 * `checkConvergence` generates them (kinds, custom steps, the fault window around them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { firstValueFrom, timer } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { NotFoundError, Outcome } from 'rx-reconcile';
import { idempotencyKeyOf } from '../../src/diff.js';
import type { SchedulerLike } from 'rxjs';
import { createSqliteStore } from 'rx-reconcile/sqlite';
import type { SqliteStore } from 'rx-reconcile/sqlite';
import { checkConvergence, loopDefinition, memoryWorld, simulate, startSimulation } from 'rx-reconcile/testing';
import { BadDefinitionError } from '../../testing/errors.js';
import { defaultStepKinds, stepSchedule } from '../../testing/step-arbitrary.js';
import { describeStep } from '../../testing/steps.js';
import type { World } from 'rx-reconcile/testing';
import type { Items } from '../../testing/world.js';
import type { Step } from '../../testing/steps.js';
import { itemCurrent, itemDesired, itemLoop } from './loops.js';

interface Box {
  readonly v: number;
}

const put = (world: World<number>, target: string, value: number) =>
  world.apply({ action: 'update', target, value, idempotencyKey: idempotencyKeyOf('', 'update', target, value) });

/** One world item per `Box`, with a finalizer; items no box names are someone else's and stay. */
function boxes(options: { readonly resync?: number; readonly onFactory?: () => void; readonly wait?: (scheduler: SchedulerLike) => Promise<unknown> } = {}) {
  return loopDefinition<Box, unknown, number>({
    loop: ({ world, scheduler }) => {
      options.onFactory?.();
      return {
        name: 'boxes',
        kind: 'Box',
        resync: options.resync ?? 10_000,
        finalizer: {
          name: 'boxes.example.com/item',
          cleanup: (box) =>
            world.apply({ action: 'delete', target: box.metadata.name, idempotencyKey: '' }).catch((e: unknown) => {
              if (!(e instanceof NotFoundError)) throw e;
            }),
        },
        async reconcile(_request, ctx) {
          const box = await ctx.get();
          if (box === undefined) return Outcome.converged();
          const have = await world.get(box.metadata.name);
          if (options.wait !== undefined) await options.wait(scheduler);
          if (have !== box.spec.v) await put(world, box.metadata.name, box.spec.v);
          return Outcome.converged();
        },
      };
    },
    world: (initial) => memoryWorld(initial, { onUpdateMissing: 'create' }),
    expected: (resources, initial) => {
      const owned = new Set(resources.map((r) => r.metadata.name));
      const foreign = Object.entries(initial).filter(([target]) => !owned.has(target) && !['a', 'b'].includes(target));
      return { ...Object.fromEntries(foreign), ...Object.fromEntries(resources.filter((r) => r.metadata.deletionTimestamp === undefined).map((r) => [r.metadata.name, r.spec.v])) };
    },
  });
}

describe('steps in a simulation', () => {
  it('change the desired state and the world behind the loop, restart it — and `expected` sees the world others left', async () => {
    const steps: Step<Box, unknown, number>[] = [
      { kind: 'update', name: 'a', spec: { v: 2 }, after: 100 },
      { kind: 'change', target: 'a', value: 9, after: 1000 },
      { kind: 'add', target: 'theirs', value: 5, after: 0 },
      { kind: 'remove', target: 'old', after: 0 },
      { kind: 'create', resource: { metadata: { name: 'b' }, spec: { v: 3 } }, after: 0 },
      { kind: 'restart', after: 0, calls: 1 },
      { kind: 'delete', name: 'b', after: 5000 },
    ];
    const sim = await startSimulation(boxes(), { desired: [{ metadata: { name: 'a' }, spec: { v: 1 } }], current: { old: 7 }, steps });
    expect(await sim.settle(120_000)).toBe('quiet');
    const did = sim.trace.steps.map((s) => s.did.join('; '));
    expect(did).toEqual([
      'update Box/a spec {"v":2}',
      'change "a" in the world: 2 → 9',
      'add "theirs" = 5 to the world',
      'remove "old" from the world (was 7)',
      'create Box/b {"v":3}',
      'restart: the loop stopped (its calls under way never land), a new one started',
      'delete Box/b (finalizers: boxes.example.com/item)',
    ]);
    expect(sim.outside()).toEqual({ a: 9, theirs: 5 }); // the start, with what others changed (old removed, a changed, theirs added)
    expect(sim.world.snapshot()).toEqual({ a: 2, theirs: 5 });
    expect(await sim.expectedWorld()).toEqual({ a: 2, theirs: 5 });
    expect((await sim.assess()).converged).toBe(true);
    expect(sim.restarts).toBe(1);
    expect(new Set(sim.trace.passes.map((p) => p.incarnation))).toEqual(new Set([0, 1]));
    await sim.stop();
  });

  it('a restart kills the running pass: what it does after never lands (as after kill -9)', async () => {
    // Each pass reads, then waits 5 s of virtual time, then writes: the restart comes in between.
    const wait = (scheduler: SchedulerLike) => firstValueFrom(timer(5000, scheduler));
    const sim = await startSimulation(boxes({ wait }), {
      desired: [{ metadata: { name: 'a' }, spec: { v: 1 } }],
      steps: [{ kind: 'restart', after: 1000 }],
    });
    await sim.runUntil(4000);
    expect(sim.world.snapshot()).toEqual({}); // both loops are waiting
    await sim.runUntil(5500);
    // The first loop's write (due at 5000) never happened; the second loop's lands at 6000.
    expect(sim.trace.applies).toEqual([]);
    await sim.runUntil(6000);
    expect(sim.world.snapshot()).toEqual({ a: 1 });
    expect(sim.trace.applies.map((a) => a.at)).toEqual([6000]);
    await sim.stop();
  });

  it('a step with `calls` lands in the middle of a pass: here between its read and its write', async () => {
    const wait = (scheduler: SchedulerLike) => firstValueFrom(timer(5000, scheduler));
    const sim = await startSimulation(boxes({ wait }), {
      desired: [{ metadata: { name: 'a' }, spec: { v: 1 } }],
      steps: [{ kind: 'update', name: 'a', spec: { v: 2 }, after: 1000, calls: 1 }],
    });
    expect(await sim.settle(60_000)).toBe('quiet');
    const [step] = sim.trace.steps;
    expect(step).toMatchObject({ at: 5000, midPass: true, running: ['a'] });
    // The pass read v=1 before the change, wrote 1; the change's pass then wrote 2.
    expect(sim.trace.applies.map((a) => [a.at, a.correction.value])).toEqual([
      [5000, 1],
      [10_000, 2],
    ]);
    await sim.stop();
  });

  describe('with a durable store the definition opens', () => {
    const folders: string[] = [];
    afterAll(() => folders.forEach((f) => rmSync(f, { recursive: true, force: true })));

    it('a restart closes it and opens the same file again; the new loop finishes the cleanups', async () => {
      const opened: (string | undefined)[] = [];
      const base = boxes();
      const durable = loopDefinition<Box, unknown, number, unknown, unknown, SqliteStore>({
        ...base,
        store: async ({ scheduler, previous }) => {
          opened.push(previous === undefined ? undefined : 'reopen');
          if (previous === undefined) folders.push(mkdtempSync(join(tmpdir(), 'rx-reconcile-kit-durable-')));
          await previous?.close();
          return createSqliteStore({ path: join(folders.at(-1) as string, 'desired.db'), scheduler, pollInterval: 1000 });
        },
      });
      const result = await simulate(durable, {
        desired: [
          { metadata: { name: 'a' }, spec: { v: 1 } },
          { metadata: { name: 'b' }, spec: { v: 2 } },
        ],
        steps: [
          { kind: 'delete', name: 'b', after: 1000, calls: 1 },
          { kind: 'restart', after: 0 },
          { kind: 'update', name: 'a', spec: { v: 3 }, after: 1000 },
          { kind: 'restart', after: 0, calls: 2 },
        ],
        until: 60_000,
      });
      expect(opened).toEqual([undefined, 'reopen', 'reopen']);
      expect(result.world).toEqual({ a: 3 });
      expect(result.resources.map((r) => [r.metadata.name, r.spec])).toEqual([['a', { v: 3 }]]);
      expect(result.assessment).toEqual({ converged: true, problems: [] });
      // The steps' own writes are not the loop's writes, on this store too (its watch tells later).
      expect(result.trace.writes.filter((w) => w.changed.includes('spec'))).toEqual([]);
    });

    it('checkConvergence restarts the loop on it: a fresh file per run, reopened at each restart', async () => {
      let opens = 0;
      let reopens = 0;
      const durable = loopDefinition<Box, unknown, number, unknown, unknown, SqliteStore>({
        ...boxes(),
        store: async ({ scheduler, previous }) => {
          if (previous === undefined) {
            opens++;
            folders.push(mkdtempSync(join(tmpdir(), 'rx-reconcile-kit-durable-')));
          } else {
            reopens++;
            await previous.close();
          }
          return createSqliteStore({ path: join(folders.at(-1) as string, 'desired.db'), scheduler, pollInterval: 1000 });
        },
      });
      const desired = fc.subarray(['a', 'b']).chain((names) => fc.tuple(...names.map((name) => fc.nat(3).map((v) => ({ metadata: { name }, spec: { v } })))));
      const report = await checkConvergence(durable, { desired, numRuns: 8, seed: 11 });
      expect(opens).toBeGreaterThanOrEqual(report.numRuns);
      expect(reopens).toBeGreaterThan(0);
    });
  });
});

describe('steps in checkConvergence', () => {
  const items = { desired: itemDesired, current: itemCurrent, seed: 7, numRuns: 20 };

  it('are on by default: each run gets desired changes, drift and restarts, and faults land around them', async () => {
    let factories = 0;
    const counted = loopDefinition({ ...itemLoop(), loop: (env) => (factories++, itemLoop().loop(env)) });
    const withSteps = await checkConvergence(counted, items);
    expect(withSteps.steps).toBeGreaterThan(withSteps.numRuns);
    expect(factories).toBeGreaterThan(withSteps.numRuns); // restarts build the loop again
    const without = await checkConvergence(itemLoop(), { ...items, steps: false });
    expect(without.steps).toBe(0);
    // Faults happen within 5 s of the start or of a step, and more of them than without steps.
    expect(withSteps.faults).toBeGreaterThan(1.5 * without.faults);
  });

  it('every fault of a run falls in the window after the start or after a step', async () => {
    const schedule = [
      { kind: 'update', name: 'a', spec: { size: 4 }, after: 20_000 },
      { kind: 'remove', target: 'b', after: 20_000 },
    ] as const;
    const result = await simulate(itemLoop(), {
      desired: [
        { metadata: { name: 'a' }, spec: { size: 1 } },
        { metadata: { name: 'b' }, spec: { size: 2 } },
      ],
      seed: 3,
      faults: { store: { staleRead: 0.5, writeError: 0.3 }, world: { error: 0.3, staleRead: 0.5 }, window: 5000 },
      steps: schedule,
      until: 120_000,
    });
    const starts = [0, ...result.trace.steps.map((s) => s.at)];
    expect(result.trace.faults.length).toBeGreaterThan(0);
    for (const f of result.trace.faults) expect(starts.some((t) => f.at >= t && f.at < t + 5000), `fault at ${f.at}`).toBe(true);
    expect(result.trace.passes.some((p) => p.at > 45_000)).toBe(true); // resync passes after the last window: no faults there
  });

  it('kinds can be turned off, one by one or all', async () => {
    const onlyRestarts = await checkConvergence(itemLoop(), { ...items, steps: { kinds: { create: false, update: false, delete: false, change: false, remove: false } } });
    expect(onlyRestarts.steps).toBeGreaterThan(0);
    const none = await checkConvergence(itemLoop(), { ...items, steps: { kinds: { create: false, update: false, delete: false, change: false, remove: false, restart: false } } });
    expect(none.steps).toBe(0);
  });

  it('regression: a custom step that throws something String() cannot print is noted in the trace (it was an unhandled rejection)', async () => {
    const bad: Step<{ v: number }, unknown, number> = {
      kind: 'custom',
      name: 'bad',
      after: 10,
      run: () => {
        throw Object.create(null) as unknown;
      },
    };
    const sim = await startSimulation(boxes(), { desired: [{ metadata: { name: 'a' }, spec: { v: 1 } }], steps: [bad] });
    expect(await sim.settle(60_000)).toBe('quiet');
    expect(sim.trace.steps[0]?.note).toMatch(/^failed: a non-Error value was thrown/);
    await sim.stop();
  });

  it('takes your own step generators, mixed in, or a whole schedule', async () => {
    let custom = 0;
    const poke: Step<{ size: number }, unknown, number> = { kind: 'custom', name: 'poke', run: () => void custom++ };
    await checkConvergence(itemLoop(), { ...items, steps: { arbitraries: [fc.constant(poke)], kinds: { restart: false } } });
    expect(custom).toBeGreaterThan(0);
    custom = 0;
    const report = await checkConvergence(itemLoop(), { ...items, numRuns: 5, steps: { schedule: fc.constant([{ ...poke, after: 10 }, { ...poke, after: 10 }]) } });
    expect(custom).toBe(10);
    expect(report.steps).toBe(10);
  });

  it('adds items of someone else only for a definition whose expected reads the initial world', () => {
    expect(defaultStepKinds(false).add).toBe(false);
    expect(defaultStepKinds(true).add).toBe(true);
    expect(defaultStepKinds(false, { add: true }).add).toBe(true);
    const schedules = fc.sample(stepSchedule(itemDesired, itemCurrent, { kinds: defaultStepKinds(false), max: 6 }), { numRuns: 200, seed: 1 });
    const kinds = new Set(schedules.flat().map((s) => s.kind));
    expect(kinds).toEqual(new Set(['desired', 'change', 'remove', 'restart']));
    expect(schedules.flat().some((s) => s.calls !== undefined)).toBe(true); // some land in the middle of a pass
  });

  it('prints a step as the JSON that reproduces it', () => {
    expect(describeStep({ kind: 'change', pick: 3, value: { b: 1, a: 2 }, after: 100, calls: 2 })).toBe('after 100 ms, at the loop\'s 2nd call: {"kind":"change","pick":3,"value":{"b":1,"a":2}}');
    expect(describeStep({ kind: 'custom', name: 'poke', run: () => undefined })).toBe('after 0 ms: {"kind":"custom","name":"poke"}');
  });
});

describe('options are checked when given', () => {
  const def = boxes();
  const desired = fc.constant([]);

  it.each([
    [{ desired, steps: { kind: { restart: false } } }, /steps: unknown option "kind": did you mean "kinds"\?/],
    [{ desired, steps: { kinds: { restarts: false } } }, /steps.kinds: unknown option "restarts": did you mean "restart"\?/],
    [{ desired, steps: { max: -1 } }, /steps: max must be an integer from 0 to 1000 \(got -1\)/],
    [{ desired, steps: { faultWindow: Number.NaN } }, /steps: faultWindow must be a finite period in ms > 0 \(got NaN\)/],
    [{ desired, faults: { store: { dropEvent: 2 } } }, /faults.store: dropEvent must be a probability from 0 to 1 \(got 2\)/],
    [{ desired, faults: { windw: 10 } }, /faults: unknown option "windw": did you mean "window"\?/],
    [{ desired, within: Infinity }, /within must be a finite period in ms > 0/],
    [{ desired, numRuns: 0 }, /numRuns must be an integer ≥ 1/],
    [{ desired, steps: { schedule: [] } }, /steps: schedule must be a generator of step lists/],
    [{ desired, steps: true }, /steps must be false or the step options/],
  ])('checkConvergence refuses %o', async (options, message) => {
    const error = await checkConvergence(def, options as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadDefinitionError);
    expect((error as Error).message).toMatch(message);
  });

  it.each([
    [[{ kind: 'restart', after: -5 }], /steps.0.after must be a finite number of ms ≥ 0 \(got -5\)/],
    [[{ kind: 'restart', calls: 0 }], /steps.0.calls must be an integer ≥ 1 \(got 0\)/],
    [[{ kind: 'reboot' }], /steps.0.kind must be a step: an object whose kind is one of desired, create, .*restart, custom \(got "reboot"\)/],
    [[{ kind: 'add', value: 1 }], /steps.0.target/],
    [[{ kind: 'custom', name: 'x' }], /steps.0.run must be a function/],
  ])('simulate refuses the steps %o', async (steps, message) => {
    const error = await simulate(def, { steps: steps as never }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadDefinitionError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('start states generated together', () => {
  const def = boxes();

  it('a joint generator gives desired and current in one value (the world holds a subset of what is desired, plus foreign items)', async () => {
    // (`boxes` keeps what others add outside the names a and b; inside them, adds are not generated.)
    const state = fc
      .tuple(fc.subarray(['a', 'b']), fc.nat(3), fc.boolean())
      .map(([names, v, foreign]) => ({
        desired: names.map((name) => ({ metadata: { name }, spec: { v } })),
        current: { ...Object.fromEntries(names.slice(0, 1).map((n) => [n, v + 1])), ...(foreign ? { theirs: 1 } : {}) } as Items<number>,
      }));
    const report = await checkConvergence(def, { state, numRuns: 20, seed: 3 });
    expect(report.numRuns).toBe(20);
  });

  it('refuses both ways at once, and neither', async () => {
    await expect(checkConvergence(def, { state: fc.constant({ desired: [] }), desired: fc.constant([]) })).rejects.toBeInstanceOf(BadDefinitionError);
    await expect(checkConvergence(def, {})).rejects.toThrow(/needs options.desired .* or options.state/);
  });
});
