/**
 * Exact replay: a failing check's run replays byte for byte — the loop's random (backoff jitter,
 * reconcileId, ctx.random()) is seeded by the run — and its printed counterexample, key order
 * included, reproduces it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Backoff, Outcome } from 'rx-reconcile';
import { CheckFailedError, NotIdempotentError, checkConvergence, checkIdempotent, formatTrace, loopDefinition, memoryWorld, replayFailure, simulate } from 'rx-reconcile/testing';
import { stableJson } from '../../testing/format.js';
import type { CheckReport, Faults } from 'rx-reconcile/testing';
import type { DesiredResource } from '../../testing/definition.js';
import type { Step } from '../../testing/steps.js';
import { orderDependentCompare } from './broken-loops.js';

async function failureOf(check: Promise<CheckReport>): Promise<CheckFailedError> {
  const outcome = await check.then(
    (report) => report,
    (error: unknown) => error,
  );
  if (!(outcome instanceof CheckFailedError)) throw new Error(`expected the check to fail, got ${String(outcome instanceof Error ? outcome.stack : JSON.stringify(outcome))}`);
  return outcome;
}

interface SnapshotSpec {
  readonly label: string;
}

/**
 * Takes a snapshot per resource under a generated name (`<name>-<random>`, from ctx.random()), and
 * remembers the name in its closure: after a restart (or a lost acknowledgement) it makes another —
 * snapshots pile up. Jittered backoff, so retries happen at random times too.
 */
const snapshots = loopDefinition<SnapshotSpec, unknown, string>({
  loop: ({ world }) => {
    const made = new Map<string, string>();
    return {
      name: 'snapshots',
      kind: 'Snapshot',
      resync: 30_000,
      backoff: Backoff.jitter(Backoff.exponential({ initial: 1000, factor: 2, steps: 5, cap: 30_000 }), 0.5),
      async reconcile(_request, ctx) {
        const snapshot = await ctx.get();
        if (snapshot === undefined) return Outcome.converged();
        const name = snapshot.metadata.name;
        const known = made.get(name);
        if (known !== undefined && (await world.get(known)) !== undefined) return Outcome.converged();
        const generated = `${name}-${Math.floor(ctx.random() * 36 ** 4).toString(36)}`;
        await world.apply({ action: 'create', target: generated, value: snapshot.spec.label, idempotencyKey: '' });
        made.set(name, generated);
        return Outcome.converged();
      },
    };
  },
  world: (initial) => memoryWorld(initial),
  // No expected world fits random names: every run fails, which is what these tests need.
  expected: () => ({}),
});

const inputs = {
  desired: fc.constantFrom('x', 'y').map((label): DesiredResource<SnapshotSpec>[] => [{ metadata: { name: 'db' }, spec: { label } }]),
  seed: 4242,
  numRuns: 10,
};

describe('exact replay', () => {
  it('replaying a failure gives the same trace, byte for byte: generated names, jittered retries and pass ids included', async () => {
    const failure = await failureOf(checkConvergence(snapshots, inputs));
    const one = await replayFailure(snapshots, failure);
    const two = await replayFailure(snapshots, failure);
    expect(JSON.stringify(two.trace)).toBe(JSON.stringify(one.trace));
    expect(one.problems.length).toBeGreaterThan(0);
    // The trace in the message is the end of this very run.
    const shown = formatTrace(one.trace, { last: 40, compact: true }).split('\n').map((line) => `    ${line}`).join('\n');
    expect(failure.message).toContain(shown);
    // What was random is in it: a generated name, seeded pass ids.
    expect(one.trace.applies.some((a) => /^db-[0-9a-z]+$/.test(a.correction.target))).toBe(true);
    expect(new Set(one.trace.passes.map((p) => p.reconcileId)).size).toBe(one.trace.passes.length);
  });

  it('simulate with the options the message prints runs the same trace', async () => {
    const failure = await failureOf(checkConvergence(snapshots, inputs));
    const run = failure.details.run;
    const until = Number(/releaseWhenFaultsEnd: true, until: (\d+) \}\)/.exec(failure.message)?.[1]);
    const replay = await replayFailure(snapshots, failure);
    const again = await simulate(snapshots, {
      desired: run.desired as DesiredResource<SnapshotSpec>[],
      current: run.current as Record<string, string>,
      ...(run.steps !== undefined ? { steps: run.steps as Step<SnapshotSpec, unknown, string>[] } : {}),
      seed: run.seed,
      faults: run.faults as Faults,
      releaseWhenFaultsEnd: true,
      until,
    });
    expect(JSON.stringify(again.trace)).toBe(JSON.stringify(replay.trace));
  });

  it('the loop random is the seed\'s: same seed, same draws; another seed, others', async () => {
    const names = async (seed: number) =>
      (await simulate(snapshots, { desired: [{ metadata: { name: 'db' }, spec: { label: 'x' } }], seed, faults: { world: { lostAck: 1 }, until: 10_000 }, until: 60_000 })).trace.applies.map(
        (a) => `${a.correction.target}@${a.at}`,
      );
    const first = await names(1);
    expect(await names(1)).toEqual(first);
    expect(await names(2)).not.toEqual(first);
    expect(first.length).toBeGreaterThan(1); // lost acknowledgements: retried (with jitter), new names each time
  });
});

describe('the printed counterexample', () => {
  const { broken, inputs: tags } = orderDependentCompare;

  it('keeps the key order it was generated with, and pasted back, fails the same way', async () => {
    const failure = await failureOf(checkIdempotent(broken, { ...tags, seed: 1 }));
    expect(failure).toBeInstanceOf(NotIdempotentError);
    const lines = failure.message.split('\n');
    const from = lines.indexOf('    desired: ');
    const printed = lines.slice(from + 1, lines.findIndex((l) => l.startsWith('    current:'))).map((l) => JSON.parse(l.trim()) as DesiredResource<never, never>);
    expect(JSON.stringify(printed)).toBe(JSON.stringify(failure.details.counterexample['desired']));
    // The bug needs the keys out of order: with them sorted (as stableJson prints), the loop passes.
    const sorted = JSON.parse(stableJson(printed)) as DesiredResource<never, never>[];
    expect(JSON.stringify(sorted)).not.toBe(JSON.stringify(printed));
    await expect(checkIdempotent(broken, { desired: fc.constant(printed), numRuns: 1 })).rejects.toBeInstanceOf(NotIdempotentError);
    await checkIdempotent(broken, { desired: fc.constant(sorted), numRuns: 1 });
  });
});
