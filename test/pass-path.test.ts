/**
 * The pass path (issue 17): a queue nobody watches pass by pass builds and emits no `PassResult`
 * (`results: false`, or a function asked after each pass), yet every pass still runs, is counted and
 * reaches the hooks; the fast path for converged passes gives the same answers as the general one.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Subject, VirtualTimeScheduler, timer, map } from 'rxjs';
import { InvalidArgumentError, Outcome, createMemoryStore, defineLoop, getCondition, setCondition } from 'rx-reconcile';
import type { PassResult, ReconcileRequest as ReconcileRequest, ReconcileStatus, Resource, Store } from 'rx-reconcile';
import { SimulationScheduler } from 'rx-reconcile/testing';
import { createQueueControl, workQueue } from 'rx-reconcile/operators';
import type { QueueSnapshot } from 'rx-reconcile/operators';
import { passConditions, recordPass, stampObservedGeneration } from '../src/status.js';

/** Runs `keys` through a queue with `results`, in virtual time; returns what came out and the final snapshot. */
function drain(
  keys: readonly string[],
  options: { results?: unknown; onFinish?: (r: PassResult) => void; onCallbackError?: (e: Error, where: string) => void },
  work?: (request: ReconcileRequest) => unknown,
): { emitted: PassResult[]; completed: boolean; snapshot: QueueSnapshot } {
  const scheduler = new VirtualTimeScheduler();
  work ??= () => timer(1, scheduler).pipe(map(() => Outcome.converged()));
  const control = createQueueControl({ scheduler });
  const emitted: PassResult[] = [];
  let completed = false;
  const source = new Subject<string>();
  const hooks = {
    ...(options.onFinish ? { onFinish: options.onFinish } : {}),
    ...(options.onCallbackError ? { onCallbackError: options.onCallbackError } : {}),
  };
  source.pipe(workQueue(work as never, { workers: 2, scheduler, control, hooks, ...(options.results === undefined ? {} : { results: options.results as boolean }) })).subscribe({
    next: (r) => emitted.push(r),
    complete: () => (completed = true),
  });
  for (const key of keys) source.next(key);
  scheduler.flush();
  const snapshot = control.snapshot();
  source.complete();
  scheduler.flush();
  return { emitted, completed, snapshot };
}

describe('workQueue results option', () => {
  it('results: false runs and counts every pass but emits nothing, then completes', () => {
    const ran: string[] = [];
    const { emitted, completed, snapshot } = drain(['a', 'b', 'c'], { results: false }, (r) => {
      ran.push(r.key);
      return undefined;
    });
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(emitted).toEqual([]);
    expect(completed).toBe(true);
    expect(snapshot.counters.passes).toBe(3);
    expect(snapshot.counters.converged).toBe(3);
  });

  it('results: false still gives an onFinish hook a full PassResult for every pass', () => {
    const seen: string[] = [];
    drain(['x', 'y'], { results: false, onFinish: (r) => seen.push(`${r.key}:${r.outcome.type}:${typeof r.reconcileId}`) });
    expect(seen).toEqual(['x:converged:string', 'y:converged:string']);
  });

  it('results: true (and leaving it out) emits one PassResult per pass', () => {
    for (const results of [true, undefined]) {
      const { emitted } = drain(['a', 'b', 'a'], { results });
      expect(emitted.map((r) => `${r.key}:${r.outcome.type}`)).toEqual(['a:converged', 'b:converged', 'a:converged']);
    }
  });

  it('a results function is asked after each pass: only the passes it says yes to are emitted', () => {
    let watching = false;
    const scheduler = new VirtualTimeScheduler();
    const control = createQueueControl({ scheduler });
    const source = new Subject<string>();
    const emitted: string[] = [];
    source
      .pipe(workQueue(() => undefined, { workers: 1, scheduler, control, results: () => watching }))
      .subscribe((r) => emitted.push(r.key));
    source.next('a');
    watching = true;
    source.next('b');
    watching = false;
    source.next('c');
    expect(emitted).toEqual(['b']);
    expect(control.snapshot().counters.passes).toBe(3);
  });

  it('a results function that throws is reported to onCallbackError and counts as yes (no pass is lost)', () => {
    const errors: string[] = [];
    const { emitted, snapshot } = drain(
      ['a', 'b'],
      {
        results: () => {
          throw 'not an Error';
        },
        onCallbackError: (e, where) => errors.push(`${where}:${e.message}`),
      },
      () => undefined,
    );
    expect(emitted.map((r) => r.key)).toEqual(['a', 'b']);
    expect(errors).toHaveLength(2);
    for (const e of errors) expect(e).toMatch(/^results:.*not an Error/);
    expect(snapshot.counters.callbackErrors).toBe(2);
  });

  for (const bad of ['yes', 0, 1, null, {}, [], Number.NaN]) {
    it(`results: ${JSON.stringify(bad)} is refused, naming the option`, () => {
      const make = () => workQueue(() => undefined, { results: bad as never });
      expect(make).toThrow(InvalidArgumentError);
      expect(make).toThrow(/results must be true, false or a function \(\) => boolean/);
    });
  }

  it('state$ still tells its subscribers about finished passes when results are off (the queue calls back only while state$ is watched)', () => {
    const scheduler = new VirtualTimeScheduler();
    const control = createQueueControl({ scheduler });
    const source = new Subject<string>();
    const sub = source.pipe(workQueue(() => timer(5, scheduler).pipe(map(() => Outcome.converged())), { workers: 1, scheduler, control, results: false })).subscribe();
    const passes: number[] = [];
    const watch = control.state$.subscribe((s) => passes.push(s.counters.passes));
    source.next('a');
    scheduler.flush();
    expect(passes.at(-1)).toBe(1);
    watch.unsubscribe();
    source.next('b');
    scheduler.flush();
    expect(passes.at(-1)).toBe(1); // no subscriber, nothing told
    const again: number[] = [];
    control.state$.subscribe((s) => again.push(s.counters.passes));
    source.next('c');
    scheduler.flush();
    expect(again).toEqual([2, 3]);
    sub.unsubscribe();
  });
});

describe('the converged fast path gives the same answers as the general path', () => {
  type Step = { key: string; outcome: 'converged' | 'retry' | 'requeue' | 'conflict' };
  const step = fc.record({
    key: fc.constantFrom('a', 'b', 'c'),
    outcome: fc.constantFrom('converged', 'converged', 'retry', 'requeue', 'conflict') as fc.Arbitrary<Step['outcome']>,
  });

  // The fast path is off while convergence clocks run (`convergenceDeadline`): a deadline far away
  // changes nothing else, so the two runs must agree pass for pass.
  it('with and without the fast path: the same passes, outcomes, failures and counters, results on or off', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), (steps) => {
        const run = (results: boolean, observeAll: boolean, fastPath: boolean) => {
          const scheduler = new VirtualTimeScheduler();
          const control = createQueueControl({ scheduler });
          const source = new Subject<string>();
          const plan = new Map<string, Step['outcome'][]>();
          for (const s of steps) plan.set(s.key, [...(plan.get(s.key) ?? []), s.outcome]);
          const seen: string[] = [];
          const work = (r: ReconcileRequest) => {
            const next = plan.get(r.key)?.shift() ?? 'converged';
            const outcome =
              next === 'converged'
                ? Outcome.converged()
                : next === 'requeue'
                  ? Outcome.requeueAfter(3)
                  : next === 'conflict'
                    ? Outcome.retry(Object.assign(new Error('conflict'), { code: 'CONFLICT' }))
                    : Outcome.retry(new Error('down'));
            return timer(1, scheduler).pipe(map(() => outcome));
          };
          source
            .pipe(
              workQueue(work, {
                workers: 2,
                scheduler,
                control,
                results,
                ...(fastPath ? {} : { convergenceDeadline: 1e9 }),
                // An onFinish hook builds the results the fast path otherwise skips: both must agree.
                ...(observeAll ? { hooks: { onFinish: (r: PassResult) => seen.push(`${r.key}:${r.outcome.type}:${r.failures}`) } } : {}),
              }),
            )
            .subscribe((r) => {
              if (!observeAll) seen.push(`${r.key}:${r.outcome.type}:${r.failures}`);
            });
          for (const s of steps) source.next(s.key);
          scheduler.flush();
          // `overdue` counts only with convergence clocks (the general run has them): left out.
          const { overdue: _overdue, ...counters } = control.snapshot().counters;
          return { seen, counters };
        };
        const general = run(true, false, false);
        for (const [results, observeAll] of [
          [true, false],
          [false, true],
        ] as const) {
          const fast = run(results, observeAll, true);
          expect(fast.seen).toEqual(general.seen);
          expect(fast.counters).toEqual(general.counters);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('recordPass writes the pass conditions as one copy (no immer draft per condition)', () => {
  const outcome = fc.constantFrom(
    Outcome.converged(),
    Outcome.requeueAfter(10),
    Outcome.retry(new Error('down')),
    Outcome.terminal(new Error('bad')),
  );
  const condition = fc.record({
    type: fc.constantFrom('Ready', 'Progressing', 'Degraded', 'Mine'),
    status: fc.constantFrom('True', 'False', 'Unknown') as fc.Arbitrary<'True' | 'False' | 'Unknown'>,
    reason: fc.constantFrom('Converged', 'AsExpected', 'Retrying', 'X'),
    message: fc.constantFrom('', 'the resource is in its desired state', 'nothing left to correct', 'm'),
    observedGeneration: fc.integer({ min: 0, max: 3 }),
    lastTransitionTime: fc.constantFrom('t0', 't1'),
  });
  const status = fc.option(
    fc.record(
      {
        observedGeneration: fc.integer({ min: 0, max: 3 }),
        phase: fc.constantFrom('Ready', 'Pending'),
        conditions: fc.uniqueArray(condition, { selector: (c) => c.type, maxLength: 4 }),
        ['__proto__']: fc.constant({ own: true }),
      },
      { requiredKeys: [] },
    ),
    { nil: undefined },
  );

  it('gives what stampObservedGeneration then setCondition per condition gives: same fields, same order, same references when nothing changed, frozen', () => {
    fc.assert(
      fc.property(status, outcome, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 6 }), (s, o, generation, failures) => {
        const report = { generation, verdict: { outcome: o, failureClass: undefined, failures, parked: undefined } };
        const got = recordPass(s as never, report, 'now');
        let want = stampObservedGeneration(s as never, generation);
        for (const c of passConditions(report)) want = setCondition(want, c, 'now');
        expect(got).toEqual(want);
        expect(Object.keys(got as object)).toEqual(Object.keys(want as object));
        expect(got === s).toBe(want === s);
        expect(Object.isFrozen(got)).toBe(true);
        const conditions = (got as { conditions?: readonly object[] }).conditions;
        if (conditions !== undefined) {
          expect(Object.isFrozen(conditions)).toBe(true);
          for (const c of conditions) expect(Object.isFrozen(c)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('conditions on a no-change pass (the first read stands in for the second)', () => {
  /** A memory store whose reads and writes are counted. */
  function countedStore(scheduler: SimulationScheduler) {
    const store = createMemoryStore({ scheduler });
    const counts = { get: 0, updateStatus: 0 };
    const counted: Store = {
      ...store,
      get: (kind, key) => (counts.get++, store.get(kind, key)),
      updateStatus: (resource) => (counts.updateStatus++, store.updateStatus(resource)),
    };
    return { store, counted, counts };
  }

  it('a converged key passing again reads its resource once and writes nothing', async () => {
    const sim = new SimulationScheduler();
    const { store, counted, counts } = countedStore(sim);
    await store.create('T', { metadata: { name: 'a' }, spec: {} });
    const loop = defineLoop({ name: 'once', store: counted, kind: 'T', scheduler: sim, reconcile: async (_r, ctx) => void (await ctx.get()) });
    await sim.runUntil(10);
    const before = { ...counts };
    loop.trigger('a');
    await sim.runUntil(20);
    expect(counts.get - before.get).toBe(1);
    expect(counts.updateStatus - before.updateStatus).toBe(0);
    await loop.stop();
  });

  it('regression: a pass that replaces its status through ctx.store (dropping the conditions) still ends with its conditions', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    await store.create('T', { metadata: { name: 'a' }, spec: {} });
    let replace = false;
    const loop = defineLoop<unknown, { phase?: string }>({
      name: 'replace', store, kind: 'T', scheduler: sim,
      async reconcile(_r, ctx) {
        const item = await ctx.get();
        if (replace && item !== undefined) await ctx.store.updateStatus({ ...item, status: { phase: 'replaced' } });
      },
    });
    await sim.runUntil(10);
    expect(getCondition((await store.get<unknown, ReconcileStatus>('T', 'a'))?.status, 'Ready')?.status).toBe('True');
    replace = true;
    loop.trigger('a');
    await sim.runUntil(20);
    const status = (await store.get<unknown, ReconcileStatus & { phase?: string }>('T', 'a'))?.status;
    expect(status?.phase).toBe('replaced');
    expect(getCondition(status, 'Ready')?.status).toBe('True');
    await loop.stop();
  });

  it('a status someone else rewrites during a pass (conditions gone) gets them back on the pass that change runs', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    await store.create('T', { metadata: { name: 'a' }, spec: {} });
    let meddle = false;
    const loop = defineLoop({
      name: 'meddled', store, kind: 'T', scheduler: sim,
      async reconcile(_r, ctx) {
        const item = await ctx.get();
        if (meddle && item !== undefined) {
          meddle = false;
          await store.updateStatus({ ...item, status: {} }); // the plain store: not one of the loop's writes
        }
      },
    });
    await sim.runUntil(10);
    meddle = true;
    loop.trigger('a');
    await sim.runUntil(30);
    expect(getCondition((await store.get<unknown, ReconcileStatus>('T', 'a'))?.status, 'Ready')?.status).toBe('True');
    await loop.stop();
  });
  it('regression: a store that updates the status object it handed out in place is never trusted by identity', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    await store.create('T', { metadata: { name: 'a' }, spec: {} });
    // A cache-backed store: one unfrozen object per key, its status brought up to date in place.
    const cache = new Map<string, Resource>();
    const cached: Store = {
      ...store,
      get: async (kind, key) => {
        const stored = await store.get(kind, key);
        if (stored === undefined) return undefined;
        const fresh = structuredClone(stored) as Resource & { status?: Record<string, unknown> };
        const held = cache.get(key) as (Resource & { metadata: unknown; spec: unknown; status?: Record<string, unknown> }) | undefined;
        if (held === undefined || held.status === undefined || fresh.status === undefined) {
          cache.set(key, fresh);
          return fresh as never;
        }
        held.metadata = fresh.metadata;
        held.spec = fresh.spec;
        for (const field of Object.keys(held.status)) delete held.status[field];
        Object.assign(held.status, fresh.status);
        return held as never;
      },
    };
    const loop = defineLoop({ name: 'cached', store: cached, kind: 'T', scheduler: sim, reconcile: async (_r, ctx) => void (await ctx.get()) });
    await sim.runUntil(10);
    for (let i = 0; i < 2; i++) {
      loop.trigger('a'); // converged passes on the same status object
      await sim.runUntil(20 + i);
    }
    const current = (await store.get('T', 'a'))!;
    await store.updateStatus({ ...current, status: { phase: 'other' } }); // someone else drops the conditions
    await sim.runUntil(40);
    expect(getCondition((await store.get<unknown, ReconcileStatus>('T', 'a'))?.status, 'Ready')?.status).toBe('True');
    await loop.stop();
  });

  it('the status a pass has just written is known by identity on the next pass: its conditions are not read again', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    await store.create('T', { metadata: { name: 'a' }, spec: {} });
    // Every status the store hands out is seen through one proxy per stored status, counting reads of `conditions`.
    let reads = 0;
    const proxies = new WeakMap<object, object>();
    const watched = <R extends Resource | undefined>(resource: R): R => {
      const status = resource?.status as object | undefined;
      if (resource === undefined || status === undefined) return resource;
      let proxy = proxies.get(status);
      if (proxy === undefined) {
        proxy = new Proxy(status, { get: (target, field, receiver) => (field === 'conditions' && reads++, Reflect.get(target, field, receiver)) });
        proxies.set(status, proxy);
      }
      return { ...resource, status: proxy } as R;
    };
    const counting: Store = {
      ...store,
      get: async (kind, key) => watched(await store.get(kind, key)),
      updateStatus: async (resource) => watched(await store.updateStatus(resource)),
    };
    const loop = defineLoop({ name: 'known', store: counting, kind: 'T', scheduler: sim, reconcile: async (_r, ctx) => void (await ctx.get()) });
    await sim.runUntil(10); // the first pass writes the conditions
    expect(getCondition((await store.get<unknown, ReconcileStatus>('T', 'a'))?.status, 'Ready')?.status).toBe('True');
    reads = 0;
    loop.trigger('a');
    await sim.runUntil(20);
    expect(loop.snapshot().counters.passes).toBe(2);
    expect(reads).toBe(0);
    await loop.stop();
  });

  it('a converged key that fails later, or whose spec changes with the same status, gets its conditions rewritten', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    await store.create('T', { metadata: { name: 'a' }, spec: { n: 1 } });
    let fail = false;
    const loop = defineLoop({
      name: 'later', store, kind: 'T', scheduler: sim,
      async reconcile(_r, ctx) {
        await ctx.get();
        if (fail) throw new Error('broken now');
      },
    });
    await sim.runUntil(10);
    for (let i = 0; i < 3; i++) {
      loop.trigger('a'); // converged passes on the same status object
      await sim.runUntil(20 + i);
    }
    const converged = (await store.get<{ n: number }, ReconcileStatus>('T', 'a'))!;
    await store.update({ ...converged, spec: { n: 2 } }); // generation 2, the status object kept
    await sim.runUntil(40);
    const regenerated = (await store.get<{ n: number }, ReconcileStatus>('T', 'a'))!;
    expect(regenerated.metadata.generation).toBe(2);
    expect(getCondition(regenerated.status, 'Ready')?.observedGeneration).toBe(2);
    for (let i = 0; i < 2; i++) {
      loop.trigger('a'); // converged passes on the new status object
      await sim.runUntil(41 + i);
    }
    fail = true;
    loop.trigger('a');
    await sim.runUntil(50);
    const failed = (await store.get<unknown, ReconcileStatus>('T', 'a'))?.status;
    expect(getCondition(failed, 'Ready')?.status).toBe('False');
    expect(getCondition(failed, 'Ready')?.message).toMatch(/broken now/);
    await loop.stop();
  });
});
