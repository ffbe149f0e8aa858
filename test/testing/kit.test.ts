/**
 * The parts of rx-reconcile/testing: the in-memory world, the fault injectors, the virtual clock and
 * the simulation runner (determinism, livelock and stuck detection, bad definitions).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, AlreadyExistsError, Outcome, TransientError, createMemoryStore } from 'rx-reconcile';
import type { Correction, WatchEvent } from 'rx-reconcile';
import { SimulationScheduler, checkConvergence, checkIdempotent, faultyActuator, faultyStore, faultyWorld, formatTrace, loopDefinition, memoryWorld, seededRandom, simulate, startSimulation } from 'rx-reconcile/testing';
import { BadDefinitionError } from '../../testing/errors.js';
import { defaultFaults } from '../../testing/faults.js';
import { diffItems, diffValues, diffWorlds, stableJson } from '../../testing/format.js';
import type { InjectedFault, StoreFaults } from '../../testing/faults.js';
import { itemLoop, mirror } from './loops.js';

const update = (target: string, value: number, idempotencyKey = `${target}:${value}`) => ({ action: 'update' as const, target, value, idempotencyKey });

describe('memoryWorld', () => {
  it('is strict by default: create of an existing item, update or delete of a missing one fail', async () => {
    const world = memoryWorld<number>({ a: 1 });
    await expect(world.apply({ action: 'create', target: 'a', value: 2, idempotencyKey: 'k' })).rejects.toBeInstanceOf(AlreadyExistsError);
    await expect(world.apply(update('b', 1))).rejects.toBeInstanceOf(NotFoundError);
    await expect(world.apply({ action: 'delete', target: 'b', idempotencyKey: 'd' })).rejects.toBeInstanceOf(NotFoundError);
    expect(world.snapshot()).toEqual({ a: 1 });
  });

  it('can upsert, ignore missing deletes, and duplicate like an API that assigns ids', async () => {
    const files = memoryWorld<string>({}, { onUpdateMissing: 'create', onDeleteMissing: 'ignore' });
    await files.apply({ action: 'update', target: 'a.md', value: '# a', idempotencyKey: '' });
    await files.apply({ action: 'delete', target: 'b.md', idempotencyKey: '' });
    expect(files.snapshot()).toEqual({ 'a.md': '# a' });
    const vms = memoryWorld<number>({}, { onCreateExisting: 'duplicate' });
    await vms.apply({ action: 'create', target: 'web', value: 1, idempotencyKey: 'k1' });
    await vms.apply({ action: 'create', target: 'web', value: 1, idempotencyKey: 'k2' });
    await vms.apply({ action: 'create', target: 'web', value: 1, idempotencyKey: 'k3' });
    expect(vms.snapshot()).toEqual({ web: 1, 'web#2': 1, 'web#3': 1 });
  });

  it('drops a correction whose idempotency key was applied and still holds', async () => {
    const vms = memoryWorld<number>({}, { onCreateExisting: 'duplicate' });
    await vms.apply({ action: 'create', target: 'web', value: 1, idempotencyKey: 'k1' });
    await vms.apply({ action: 'create', target: 'web', value: 1, idempotencyKey: 'k1' });
    expect(vms.snapshot()).toEqual({ web: 1 });
    expect(vms.stats).toEqual({ applied: 1, deduplicated: 1 });
    // An effect that no longer holds is applied again (same value, same key, later).
    await vms.apply(update('web', 2));
    await vms.apply(update('web', 1, 'k1'));
    expect(vms.snapshot()).toEqual({ web: 1 });
  });

  it('never deduplicates a correction without a key: undefined, missing or empty (regression: undefined was one shared key)', async () => {
    const vms = memoryWorld<number>({}, { onCreateExisting: 'duplicate' });
    await vms.apply({ action: 'create', target: 'web', value: 1, idempotencyKey: undefined as unknown as string });
    await vms.apply({ action: 'create', target: 'web', value: 1 } as Correction<number>);
    await vms.apply({ action: 'create', target: 'web', value: 1, idempotencyKey: '' });
    expect(vms.snapshot()).toEqual({ web: 1, 'web#2': 1, 'web#3': 1 });
    expect(vms.stats).toEqual({ applied: 3, deduplicated: 0 });
  });

  it('a create key keeps deduplicating while its item exists, even changed by someone else (like a client token)', async () => {
    const vms = memoryWorld<number>({}, { onCreateExisting: 'duplicate' });
    await vms.apply({ action: 'create', target: 'web', value: 1, idempotencyKey: 'token' });
    await vms.apply(update('web', 5, 'someone'));
    await vms.apply({ action: 'create', target: 'web', value: 1, idempotencyKey: 'token' });
    expect(vms.snapshot()).toEqual({ web: 5 });
    await vms.apply({ action: 'delete', target: 'web', idempotencyKey: 'gone' });
    await vms.apply({ action: 'create', target: 'web', value: 1, idempotencyKey: 'token' });
    expect(vms.snapshot()).toEqual({ web: 1 }); // its item is gone: a new create
  });

  it('copies values in and out, and applies custom corrections through its option', async () => {
    const world = memoryWorld<{ n: number }>({ a: { n: 1 } }, { custom: (items, c) => ({ ...items, [c.target]: { n: (items[c.target]?.n ?? 0) * 10 } }) });
    const read = await world.read();
    (read['a'] as { n: number }).n = 99;
    expect(world.snapshot()).toEqual({ a: { n: 1 } });
    await world.apply({ action: 'custom', name: 'scale', target: 'a', idempotencyKey: '' });
    expect(await world.get('a')).toEqual({ n: 10 });
    await expect(memoryWorld().apply({ action: 'custom', target: 'x', idempotencyKey: '' })).rejects.toThrow(/needs memoryWorld\(\{ custom \}\)/);
  });
});

describe('faultyActuator', () => {
  const outcomes = async (seed: number) => {
    let done = 0;
    const call = faultyActuator(async (n: number) => (done += n), { seed, faults: { error: 0.2, conflict: 0.2, lostAck: 0.2 } });
    const results: string[] = [];
    for (let i = 0; i < 40; i++) {
      results.push(await call(1).then(() => 'ok', (e: Error) => (e instanceof ConflictError ? 'conflict' : e.message.includes('acknowledgement') ? 'lost-ack' : 'error')));
    }
    return { results, done };
  };

  it('injects the same faults for the same seed, and others for another', async () => {
    const a = await outcomes(7);
    expect(await outcomes(7)).toEqual(a);
    expect((await outcomes(8)).results).not.toEqual(a.results);
    expect(new Set(a.results)).toEqual(new Set(['ok', 'error', 'conflict', 'lost-ack']));
  });

  it('a lost acknowledgement does the work, then throws a TransientError', async () => {
    const { results, done } = await outcomes(7);
    expect(done).toBe(results.filter((r) => r === 'ok' || r === 'lost-ack').length);
    const lost = faultyActuator(() => 'x', { seed: 1, faults: { lostAck: 1 } });
    await expect(lost()).rejects.toBeInstanceOf(TransientError);
  });

  it('stops at `until` and reports every fault', async () => {
    const scheduler = new SimulationScheduler();
    const faults: InjectedFault[] = [];
    const call = faultyActuator(async () => 'ok', { seed: 1, scheduler, until: 10, faults: { error: 1 }, onFault: (f) => faults.push(f), name: 'call' });
    await expect(call()).rejects.toThrow('injected fault: call() failed before it was done');
    scheduler.advanceTo(10);
    await expect(call()).resolves.toBe('ok');
    expect(faults).toEqual([{ at: 0, where: 'actuator', fault: 'error', target: 'call()' }]);
  });
});

describe('faultyStore', () => {
  const setup = async (faults: StoreFaults, seed = 1) => {
    const scheduler = new SimulationScheduler();
    const store = createMemoryStore({ scheduler });
    const seen: InjectedFault[] = [];
    const faulty = faultyStore(store, { seed, scheduler, faults, onFault: (f) => seen.push(f) });
    return { scheduler, store, faulty, seen };
  };

  it('drops and duplicates change events, never the initial list', async () => {
    const { store, faulty } = await setup({ dropEvent: 1 });
    await store.create('T', { metadata: { name: 'a' }, spec: 1 });
    const events: WatchEvent[] = [];
    faulty.watch('T').subscribe((e) => events.push(e));
    await store.create('T', { metadata: { name: 'b' }, spec: 1 });
    expect(events.map((e) => (e.type === 'synced' ? 'synced' : `${e.type} ${e.object.metadata.name} ${e.initial}`))).toEqual([
      'added a true',
      'synced',
    ]);

    const twice = await setup({ duplicateEvent: 1 });
    const got: string[] = [];
    twice.faulty.watch('T').subscribe((e) => e.type === 'synced' || got.push(e.object.metadata.name));
    await twice.store.create('T', { metadata: { name: 'c' }, spec: 1 });
    expect(got).toEqual(['c', 'c']);
  });

  it('delays and reorders events in scheduler time', async () => {
    const { store, faulty, scheduler } = await setup({ reorderEvent: 1, maxEventDelay: 50 });
    const got: string[] = [];
    faulty.watch('T').subscribe((e) => e.type === 'synced' || got.push(e.object.metadata.name));
    await store.create('T', { metadata: { name: 'a' }, spec: 1 });
    await store.create('T', { metadata: { name: 'b' }, spec: 1 });
    expect(got).toEqual(['b', 'a']); // a was held back and delivered after the next event
    await store.create('T', { metadata: { name: 'c' }, spec: 1 });
    expect(got).toEqual(['b', 'a']); // c is held now: nothing comes after it, so its time releases it
    await scheduler.runUntil(100);
    expect(got).toEqual(['b', 'a', 'c']);

    const delayed = await setup({ delayEvent: 1, maxEventDelay: 50 });
    const later: number[] = [];
    delayed.faulty.watch('T').subscribe((e) => e.type === 'synced' || later.push(delayed.scheduler.now()));
    await delayed.store.create('T', { metadata: { name: 'x' }, spec: 1 });
    expect(later).toEqual([]);
    await delayed.scheduler.runUntil(100);
    expect(later).toHaveLength(1);
    expect(later[0]).toBeGreaterThan(0);
  });

  it('stale reads return what the caller last read fresh, never older', async () => {
    const { store, faulty } = await setup({ staleRead: 1 });
    const v1 = await store.create('T', { metadata: { name: 'a' }, spec: 1 });
    expect((await faulty.get('T', 'a'))?.metadata.version).toBe(v1.metadata.version); // first read is fresh
    const v2 = await store.update({ ...v1, spec: 2 });
    expect((await faulty.get('T', 'a'))?.spec).toBe(1); // lags behind
    expect((await faulty.list('T')).map((r) => r.spec)).toEqual([1]);
    await store.delete('T', 'a');
    expect((await faulty.get('T', 'a'))?.spec).toBe(1); // still the cached copy
    void v2;
    // A write with the stale copy loses the compare-and-set: the loop must read again.
    const unseen = await setup({ staleRead: 1 });
    await unseen.store.create('T', { metadata: { name: 'b' }, spec: 1 });
    expect(await unseen.faulty.get('T', 'b')).toBeDefined();
  });

  it('writes fail before, or after being done (lost acknowledgement)', async () => {
    const errors = await setup({ writeError: 1 });
    await expect(errors.faulty.create('T', { metadata: { name: 'a' }, spec: 1 })).rejects.toBeInstanceOf(TransientError);
    expect(errors.store.size).toBe(0);
    const conflicts = await setup({ writeConflict: 1 });
    await expect(conflicts.faulty.create('T', { metadata: { name: 'a' }, spec: 1 })).rejects.toBeInstanceOf(ConflictError);
    const lost = await setup({ lostAck: 1 });
    await expect(lost.faulty.create('T', { metadata: { name: 'a' }, spec: 1 })).rejects.toThrow('acknowledgement was lost');
    expect(lost.store.size).toBe(1);
    expect(lost.seen.map((f) => f.fault)).toEqual(['lost-ack']);
  });
});

describe('faultyWorld', () => {
  it('reads lag behind the truth, applies fail, the snapshot stays true', async () => {
    const base = memoryWorld<number>({ a: 1 });
    const world = faultyWorld(base, { seed: 3, faults: { staleRead: 1 } });
    expect(await world.read()).toEqual({ a: 1 });
    await base.apply(update('a', 2));
    expect(await world.get('a')).toBe(1);
    expect(world.snapshot()).toEqual({ a: 2 });
    const failing = faultyWorld(base, { seed: 3, faults: { conflict: 1 } });
    await expect(failing.apply(update('a', 3))).rejects.toBeInstanceOf(ConflictError);
    expect(base.snapshot()).toEqual({ a: 2 });
  });
});

describe('SimulationScheduler', () => {
  it('fires timers one at a time and lets Promises settle between them', async () => {
    const scheduler = new SimulationScheduler();
    const log: string[] = [];
    scheduler.schedule(() => void Promise.resolve().then(() => log.push(`then@${scheduler.now()}`)), 10);
    scheduler.schedule(() => log.push(`timer@${scheduler.now()}`), 10);
    scheduler.schedule(() => log.push(`timer@${scheduler.now()}`), 30);
    await scheduler.runUntil(20);
    expect(log).toEqual(['then@10', 'timer@10']);
    expect(scheduler.now()).toBe(20);
    await scheduler.runUntil(100);
    expect(log).toEqual(['then@10', 'timer@10', 'timer@30']);
  });
});

describe('simulate', () => {
  const desired = [
    { metadata: { name: 'a' }, spec: { size: 1 } },
    { metadata: { name: 'b', finalizers: ['test.rx-reconcile/item'] }, spec: { size: 2 }, deleted: true },
  ];

  it('runs the real loop in virtual time: ten virtual minutes, resync passes all through them', async () => {
    // How fast in real time is a benchmark's question; here: the clock really covered ten minutes.
    const result = await simulate(itemLoop(), { desired, current: { b: 5 }, until: 600_000 });
    expect(result.world).toEqual({ a: 1 });
    expect(result.assessment).toEqual({ converged: true, problems: [] });
    const resyncs = result.trace.passes.filter((p) => p.reason === 'resync');
    expect(resyncs.length).toBeGreaterThanOrEqual(19);
    expect(Math.max(...resyncs.map((p) => p.startedAt))).toBeGreaterThanOrEqual(570_000);
    expect(Math.max(...result.trace.passes.map((p) => p.at))).toBeLessThanOrEqual(600_000);
  });

  it('is deterministic: the same seed gives the same trace, another seed another one', async () => {
    const run = (seed: number) => simulate(itemLoop(), { desired, current: { b: 5 }, seed, faults: defaultFaults, until: 120_000 }).then((r) => formatTrace(r.trace));
    const first = await run(11);
    expect(await run(11)).toBe(first);
    expect(await run(12)).not.toBe(first);
    expect(first).toContain('fault');
  });

  it('gives the same seed the same uids, so a pass that uses them replays exactly (they came from the platform)', async () => {
    const uids = async (seed: number) => {
      const sim = await startSimulation(mirror, { desired: [{ metadata: { name: 'all' }, spec: { items: { x: 1 } } }, { metadata: { name: 'b' }, spec: { items: {} } }], seed });
      await sim.settle(60_000);
      const list = (await sim.store.list('Mirror')).map((r) => r.metadata.uid);
      await sim.stop();
      return list;
    };
    const first = await uids(5);
    expect(first).toHaveLength(2);
    expect(new Set(first).size).toBe(2);
    for (const uid of first) expect(uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await uids(5)).toEqual(first);
    expect(await uids(6)).not.toEqual(first);
  });

  it('cuts a livelock and reports a pass stuck outside virtual time', async () => {
    const stuck = loopDefinition<number, unknown, number>({
      loop: () => ({ name: 'stuck', kind: 'S', reconcile: () => new Promise<undefined>(() => undefined) }),
    });
    const sim = await startSimulation(stuck, { desired: [{ metadata: { name: 's' }, spec: 1 }] });
    expect(await sim.settle(60_000)).toBe('stuck');
    await sim.stop();
  });

  it('refuses virtual times it could never reach (runUntil(NaN) ran forever) and says what to use instead', async () => {
    const sim = await startSimulation(mirror, { desired: [{ metadata: { name: 'all' }, spec: { items: { x: 1 } } }] });
    await expect(sim.runUntil(Number.NaN)).rejects.toThrow(/finite virtual time/);
    await expect(sim.runUntil(Number.POSITIVE_INFINITY)).rejects.toThrow(/use settle\(limit\)/);
    await expect(sim.advance(-1000)).rejects.toThrow(/≥ 0/);
    await expect(sim.settle(Number.NaN)).rejects.toThrow(/settle\(limit\)/);
    await expect(new SimulationScheduler().runUntil(Number.NaN)).rejects.toThrow(/runUntil\(time\)/);
    expect(await sim.settle(60_000)).toBe('quiet'); // still usable
    await sim.stop();
  });

  it('steps a scenario: change desired state between steps', async () => {
    const sim = await startSimulation(mirror, { desired: [{ metadata: { name: 'all' }, spec: { items: { x: 1 } } }] });
    expect(await sim.settle(60_000)).toBe('quiet');
    expect(sim.world.snapshot()).toEqual({ x: 1 });
    const all = await sim.store.get<{ items: Record<string, number> }>('Mirror', 'all');
    await sim.store.update({ ...all!, spec: { items: { y: 2 } } });
    await sim.advance(10);
    expect(sim.world.snapshot()).toEqual({ y: 2 });
    expect(sim.trace.plans.map((p) => p.corrections.map((c) => `${c.action} ${c.target}`))).toEqual([['create x'], ['create y', 'delete x']]);
    await sim.stop();
  });
});

describe('check options', () => {
  it('checkConvergence refuses a definition without `expected`', async () => {
    const def = loopDefinition<number, unknown, number>({ loop: () => ({ name: 'n', kind: 'N', reconcile: () => Outcome.converged() }) });
    await expect(checkConvergence(def, { desired: fc.constant([]) })).rejects.toBeInstanceOf(BadDefinitionError);
  });

  it('a definition that throws is reported as such, with the counterexample', async () => {
    const def = loopDefinition<number, unknown, number>({
      loop: () => {
        throw new Error('boom');
      },
      expected: () => ({}),
    });
    await expect(checkConvergence(def, { desired: fc.constant([]), numRuns: 1 })).rejects.toThrow(/checkConvergence: a run threw .*boom/);
  });
});

describe('failure messages', () => {
  it('a create without an idempotency key, retried after a lost acknowledgement, is caught as the duplicate it makes', async () => {
    const keyless = loopDefinition<{ size: number }, unknown, number>({
      loop: ({ world }) => ({
        name: 'vms',
        kind: 'Vm',
        resync: 30_000,
        async reconcile(_request, ctx) {
          const vm = await ctx.get();
          if (vm !== undefined && (await world.get(vm.metadata.name)) === undefined) {
            await world.apply({ action: 'create', target: vm.metadata.name, value: vm.spec.size } as Correction<number>);
          }
          return Outcome.converged();
        },
      }),
      world: (initial) => memoryWorld(initial, { onCreateExisting: 'duplicate' }),
      expected: (vms) => Object.fromEntries(vms.map((vm) => [vm.metadata.name, vm.spec.size])),
    });
    const desired = fc.constant([{ metadata: { name: 'web' }, spec: { size: 1 } }]);
    const failure = await checkConvergence(keyless, { desired, seed: 5, faults: { world: { lostAck: 0.5, staleRead: 0.5 } }, steps: false }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'NOT_CONVERGENT' });
    expect((failure as Error).message).toMatch(/extra "web#2"/);
  });

  it('the second pass that changes the world says what it was and what it became', async () => {
    const bump = loopDefinition<{ n: number }, unknown, number>({
      loop: ({ world }) => ({
        name: 'bump',
        kind: 'Counter',
        async reconcile(request) {
          const now = (await world.get(request.key)) ?? 0;
          await world.apply({ action: 'update', target: request.key, value: now + 1, idempotencyKey: '' });
          return Outcome.converged();
        },
      }),
      world: (initial) => memoryWorld(initial, { onUpdateMissing: 'create' }),
    });
    const failure = await checkIdempotent(bump, { desired: fc.constant([{ metadata: { name: 'c' }, spec: { n: 1 } }]), numRuns: 1 }).catch((e: unknown) => e);
    expect((failure as Error).message).toContain('the second pass changed the world: "c" was 1, now 2');
  });

  it('a run where nothing triggers the loop says so, and what would', async () => {
    const def = loopDefinition<number, unknown, number>({
      loop: () => ({ name: 'n', kind: 'N', reconcile: () => Outcome.converged() }),
      expected: () => ({}),
    });
    // Without steps: a generated `remove` of the orphan would make the run pass.
    const failure = await checkConvergence(def, { desired: fc.constant([]), current: fc.constant({ orphan: 1 }), numRuns: 1, steps: false }).catch((e: unknown) => e);
    const message = (failure as Error).message;
    expect(message).toContain('hint: no pass ever ran: nothing triggered the loop');
    expect(message).toContain('world items no resource names need a trigger of their own');
    expect(message).not.toContain('definition.keys');
  });
});

describe('format helpers', () => {
  it('stable JSON, item diffs and value diffs', () => {
    expect(stableJson({ b: 1, a: [2, undefined] })).toBe('{"a":[2,null],"b":1}');
    expect(diffItems({ a: 1, b: 2 }, { b: 3, c: 4 })).toEqual(['missing "a" (expected 1)', '"b" is 3, expected 2', 'extra "c" = 4']);
    expect(diffValues({ s: { t: 'x', n: 1 } }, { s: { t: 'y', n: 1 } }, 'status')).toEqual(['status.s.t: "x" → "y"']);
    expect(diffWorlds({ a: 1, b: 2 }, { a: 3, c: 4 })).toEqual(['"a" was 1, now 3', '"b" was removed (it was 2)', '"c" was added = 4']);
    expect(seededRandom(5, 'a')()).toBe(seededRandom(5, 'a')());
    expect(seededRandom(5, 'a')()).not.toBe(seededRandom(5, 'b')());
  });
});
