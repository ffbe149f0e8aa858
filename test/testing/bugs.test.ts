/**
 * Proof that the checks find real bugs: each fails on a deliberately broken loop — with the shrunk
 * counterexample and the seed in its message — and passes on the fixed one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Outcome } from 'rx-reconcile';
import { CheckFailedError, NotConvergentError, NotIdempotentError, checkConvergence, checkIdempotent, loopDefinition, memoryWorld, replayFailure, simulate } from 'rx-reconcile/testing';
import { defaultFaults } from '../../testing/faults.js';
import type { CheckReport } from 'rx-reconcile/testing';
import type { DesiredResource } from '../../testing/definition.js';
import { itemCurrent, itemDesired, itemLoop, scaleCurrent, scaleDesired, scaleLoop } from './loops.js';
import type { ItemSpec, ItemStatus } from './loops.js';

const SEED = 20_240_601;
const items = { desired: itemDesired, current: itemCurrent, seed: SEED };
const scales = { desired: scaleDesired, current: scaleCurrent, seed: SEED };

async function failureOf(check: Promise<CheckReport>): Promise<CheckFailedError> {
  const outcome = await check.then(
    (report) => report,
    (error: unknown) => error,
  );
  if (!(outcome instanceof CheckFailedError)) throw new Error(`expected the check to fail, got ${String(outcome instanceof Error ? outcome.stack : JSON.stringify(outcome))}`);
  return outcome;
}

/** The message lets the user see the counterexample and the seed. */
function expectReadable(failure: CheckFailedError, seed = SEED): void {
  expect(failure.details.seed).toBe(seed);
  expect(failure.message).toContain(`seed: ${seed}, path: "${failure.details.path}"`);
  expect(failure.message).toContain('counterexample:');
  expect(failure.message).toContain('what went wrong:');
  expect(failure.message).toContain('trace of the failing run:');
  for (const resource of failure.details.counterexample['desired'] as DesiredResource<unknown>[]) {
    expect(failure.message).toContain(JSON.stringify(resource.metadata.name));
  }
}

describe('write storm: a status stamped with a fresh timestamp on every pass', () => {
  it('checkIdempotent fails: the second pass writes the status', async () => {
    const failure = await failureOf(checkIdempotent(itemLoop({ stampTime: true }), items));
    expect(failure).toBeInstanceOf(NotIdempotentError);
    expect(failure.code).toBe('NOT_IDEMPOTENT');
    expect(failure.details.problems).toContain('store-write');
    expect(failure.message).toMatch(/the second pass wrote updateStatus Item\/\w at t=\s+1000: status.lastReconciled: "1970-01-01T00:00:00.000Z" → "1970-01-01T00:00:01.000Z"/);
    expectReadable(failure);
    // Shrunk: the smallest sizes, no stale world.
    expect(failure.details.counterexample['current']).toEqual({});
  });

  it('checkConvergence fails: it keeps writing after it converged (every resync)', async () => {
    const failure = await failureOf(checkConvergence(itemLoop({ stampTime: true }), { ...items, numRuns: 20 }));
    expect(failure).toBeInstanceOf(NotConvergentError);
    expect(failure.details.problems).toContain('unsteady');
    expect(failure.message).toContain('the loop kept changing things after it converged');
    expectReadable(failure);
  });

  it('an instant storm (a counter bumped on every pass) is caught: the queue spaces the hot key, the check sees it write again', async () => {
    const counter = loopDefinition<{ n: number }, { passes?: number }, number>({
      loop: () => ({
        name: 'counter',
        kind: 'Counter',
        async reconcile(_request, ctx) {
          const resource = await ctx.get();
          if (resource !== undefined) await ctx.updateStatus(resource, (s) => void (s.passes = (s.passes ?? 0) + 1));
          return Outcome.converged();
        },
      }),
    });
    const failure = await failureOf(checkIdempotent(counter, { desired: fc.constant([{ metadata: { name: 'c' }, spec: { n: 1 } }]), numRuns: 1, seed: SEED }));
    // The queue reports the key hot and spaces its reruns (G15), so virtual time passes and the
    // storm shows as what it is: a second pass that writes again.
    expect(failure.details.problems).toEqual(['store-write']);
  });

  it('both checks pass on the fixed loop (status changes only when something changed)', async () => {
    await checkIdempotent(itemLoop(), items);
    await checkConvergence(itemLoop(), items);
  });
});

describe('create without an idempotency key: duplicates on retry after a lost acknowledgement', () => {
  it('checkConvergence fails: the world ends with a second item', async () => {
    const failure = await failureOf(checkConvergence(itemLoop({ freshCreateKey: true }), items));
    expect(failure).toBeInstanceOf(NotConvergentError);
    expect(failure.details.problems).toContain('not-converged');
    expect(failure.message).toMatch(/world: extra "\w#2"/);
    expect(failure.message).toMatch(/simulation seed: \d+/);
    expectReadable(failure);
    // The trace shows why: a create whose acknowledgement was lost, then a stale read, then a create.
    const replay = await replayFailure(itemLoop({ freshCreateKey: true }), failure);
    expect(replay.problems.some((p) => /extra "\w#2"/.test(p))).toBe(true);
    expect(replay.trace.faults.some((f) => f.fault === 'lost-ack' || f.fault === 'stale-read')).toBe(true);
    expect(replay.trace.applies.filter((a) => a.correction.action === 'create' && a.changed).length).toBeGreaterThan(
      Object.keys(replay.world).filter((k) => !k.includes('#')).length - 1,
    );
  });

  it('the failing run replays exactly from its seed, through simulate too', async () => {
    const failure = await failureOf(checkConvergence(itemLoop({ freshCreateKey: true }), items));
    const run = failure.details.run;
    const again = await failureOf(checkConvergence(itemLoop({ freshCreateKey: true }), { ...items, path: failure.details.path }));
    expect(again.details.counterexample).toEqual(failure.details.counterexample);
    const first = await simulate(itemLoop({ freshCreateKey: true }), {
      desired: run.desired as DesiredResource<ItemSpec, ItemStatus>[],
      current: run.current as Record<string, number>,
      seed: run.seed,
      faults: { ...defaultFaults, until: 300_000 },
      until: run.within,
    });
    const second = await replayFailure(itemLoop({ freshCreateKey: true }), failure);
    expect(Object.keys(first.world).some((k) => k.includes('#'))).toBe(true);
    expect(first.world).toEqual(second.world);
    expect(first.trace.passes.map((p) => [p.at, p.summary])).toEqual(second.trace.passes.map((p) => [p.at, p.summary]));
  });

  it('passes when the create carries a stable idempotency key', async () => {
    await checkConvergence(itemLoop(), items);
  });
});

describe('oscillation: a loop that flips between two states', () => {
  it('checkConvergence fails with the cycle of corrections', async () => {
    const failure = await failureOf(checkConvergence(scaleLoop({ overshoot: true }), scales));
    expect(failure.details.problems).toContain('oscillation');
    expect(failure.message).toContain('oscillation: the world went back to a state it had left');
    expect(failure.message).toContain('corrections in the cycle:');
    expectReadable(failure);
  });

  it('checkIdempotent fails too: the first run never converges', async () => {
    const failure = await failureOf(checkIdempotent(scaleLoop({ overshoot: true }), scales));
    expect(failure.details.problems).toEqual(['first-run-failed']);
    expectReadable(failure);
  });

  it('a status that flips on every pass is caught as well', async () => {
    const flip = loopDefinition<{ n: number }, { phase?: string }, number>({
      loop: () => ({
        name: 'flip',
        kind: 'Flip',
        resync: 10_000,
        async reconcile(_request, ctx) {
          const r = await ctx.get();
          if (r !== undefined) await ctx.updateStatus(r, (s) => void (s.phase = s.phase === 'A' ? 'B' : 'A'));
          return Outcome.requeueAfter(1000);
        },
      }),
      world: () => memoryWorld({}),
      expected: () => ({}),
      ready: (r) => (r.status?.phase !== undefined ? true : 'no phase'),
    });
    const failure = await failureOf(checkConvergence(flip, { desired: fc.constant([{ metadata: { name: 'f' }, spec: { n: 1 } }]), numRuns: 1, seed: SEED }));
    expect(failure.details.problems).toContain('oscillation');
    expect(failure.message).toContain('the store and world went back to a state it had left');
  });

  it('both checks pass when the loop steps toward the target without overshooting', async () => {
    await checkIdempotent(scaleLoop(), scales);
    await checkConvergence(scaleLoop(), scales);
  });
});

describe('delete that does not check existence (cleanup when nothing was ever made)', () => {
  it('checkIdempotent fails: the cleanup of a never-created item fails forever', async () => {
    const failure = await failureOf(checkIdempotent(itemLoop({ blindDelete: true }), items));
    expect(failure.details.problems).toEqual(['first-run-failed']);
    expect(failure.message).toMatch(/key "\w" is quarantined after \d+ failure\(s\): World "\w" does not exist/);
    expectReadable(failure);
    const deleting = (failure.details.counterexample['desired'] as DesiredResource<unknown>[]).filter((d) => d.deleted === true);
    expect(deleting).toHaveLength(1);
  });

  it('checkConvergence fails: the resource stays stuck being deleted', async () => {
    const failure = await failureOf(checkConvergence(itemLoop({ blindDelete: true }), items));
    expect(failure.details.problems).toContain('not-converged');
    expect(failure.message).toMatch(/Item "\w" not ready: still being deleted/);
    expectReadable(failure);
  });

  it('both checks pass when the cleanup checks that the item exists', async () => {
    await checkIdempotent(itemLoop(), items);
    await checkConvergence(itemLoop(), items);
  });
});
