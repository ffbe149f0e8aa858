/**
 * G15: the process is never starved. A drain of keys whose passes do no real I/O yields to the event
 * loop after a time slice (a timer keeps firing during a 100k-key drain); a key that runs again and
 * again without a desired change is reported hot and spaced out, and a slow I/O key next to it keeps
 * its pace; the queue's tables shrink after a burst.
 */
import { describe, expect, it } from 'vitest';
import { Subject, lastValueFrom, timer } from 'rxjs';
import { Outcome, createMemoryStore, defineLoop } from 'rx-reconcile';
import type { PassResult } from 'rx-reconcile';
import type { ReconcileRequest } from '../../src/types.js';
import type { Work } from 'rx-reconcile/operators';
import { createQueueControl, workQueue } from 'rx-reconcile/operators';
import { SimulationScheduler } from 'rx-reconcile/testing';

describe('a drain of passes without real I/O yields to the event loop', () => {
  it('a 50 ms interval keeps ticking while 100k keys drain on microtasks only', async () => {
    const control = createQueueControl();
    const source = new Subject<string>();
    let done = 0;
    const finished = new Promise<void>((resolve) => {
      source.pipe(workQueue(async () => Outcome.converged(), { workers: 16, control })).subscribe(() => {
        done += 1;
        if (done === 100_000) resolve();
      });
    });
    let ticks = 0;
    let ticksDuringDrain = 0;
    const interval = setInterval(() => {
      ticks += 1;
      if (done > 0 && done < 100_000) ticksDuringDrain += 1;
    }, 5);
    for (let i = 0; i < 100_000; i++) source.next(`k${i}`);
    // A macrotask queued now runs before the drain ends: the queue let the event loop in.
    let doneWhenImmediateRan = -1;
    setImmediate(() => (doneWhenImmediateRan = done));
    await finished;
    clearInterval(interval);
    // Order of events, not timing: 100k passes outlast many 5 ms slices on any machine, so the queue
    // yielded, and the timer and the macrotask ran while keys were still draining.
    expect(control.snapshot().counters.yields).toBeGreaterThan(0);
    expect(doneWhenImmediateRan).toBeGreaterThanOrEqual(0);
    expect(doneWhenImmediateRan).toBeLessThan(100_000);
    expect(ticksDuringDrain).toBeGreaterThan(0);
    expect(ticks).toBeGreaterThanOrEqual(ticksDuringDrain);
    expect(control.snapshot().counters.passes).toBe(100_000);
  });

  it('a queue that yields loses nothing and keeps its guarantees (each key once, never twice at once)', async () => {
    const control = createQueueControl();
    const source = new Subject<string>();
    const running = new Set<string>();
    const counts = new Map<string, number>();
    let overlaps = 0;
    const work: Work = async (request) => {
      if (running.has(request.key)) overlaps += 1;
      running.add(request.key);
      await Promise.resolve();
      running.delete(request.key);
      counts.set(request.key, (counts.get(request.key) ?? 0) + 1);
    };
    const results = lastValueFrom(source.pipe(workQueue(work, { workers: 8, control, timeSlice: 1 })), { defaultValue: undefined });
    for (let round = 0; round < 3; round++) for (let i = 0; i < 20_000; i++) source.next(`k${i}`);
    source.complete();
    await results;
    expect(overlaps).toBe(0);
    expect(counts.size).toBe(20_000);
    expect([...counts.values()].every((n) => n >= 1 && n <= 2)).toBe(true);
  });
});

describe('hot keys (G15)', () => {
  function run(work: Work, scheduler: SimulationScheduler) {
    const source = new Subject<string | ReconcileRequest>();
    const results: PassResult[] = [];
    const hot: string[] = [];
    const control = createQueueControl({ scheduler });
    const subscription = source
      .pipe(workQueue(work, { scheduler, control, workers: 4, hooks: { onHot: (key, rate) => hot.push(`${key}@${rate}`) } }))
      .subscribe((r) => results.push(r));
    return { add: (k: string) => source.next(k), results, hot, control, stop: () => subscription.unsubscribe() };
  }

  it('a key that asks requeueAfter(0) forever is reported hot once and spaced at hotKeys.perSecond, and an I/O key next to it keeps its pace', async () => {
    const scheduler = new SimulationScheduler();
    const q = run((request) => {
      if (request.key === 'hot') return Outcome.requeueAfter(0);
      return lastValueFrom(timer(100, scheduler)).then(() => Outcome.requeueAfter(400)); // 100 ms of I/O, every 500 ms
    }, scheduler);
    q.add('hot');
    q.add('io');
    await scheduler.runUntil(2000);
    const io = q.results.filter((r) => r.key === 'io').map((r) => r.startedAt);
    expect(io).toEqual([0, 500, 1000, 1500, 2000].slice(0, io.length));
    expect(io.length).toBeGreaterThanOrEqual(4);
    const hotPasses = q.results.filter((r) => r.key === 'hot').length;
    expect(hotPasses).toBeLessThanOrEqual(10 + 2 * 20 + 1); // 10 at once, then 20 a second
    expect(q.hot).toHaveLength(1);
    expect(q.control.snapshot().hot).toMatchObject([{ key: 'hot' }]);
    expect(q.control.snapshot().counters.hot).toBe(1);
    q.stop();
  });

  for (const [what, outcome] of [
    ['requeueAfter(1)', () => Outcome.requeueAfter(1)],
    ["waiting('db', 0)", () => Outcome.waiting('db', 0)],
  ] as const) {
    it(`a key that asks ${what} forever is hot too: a short delay does not get around the limit (it ran ~1,000 passes a second)`, async () => {
      const scheduler = new SimulationScheduler();
      const q = run(outcome, scheduler);
      q.add('k');
      await scheduler.runUntil(2000);
      expect(q.hot).toHaveLength(1);
      expect(q.results.length).toBeLessThanOrEqual(10 + 2 * 20 + 1);
      q.stop();
    });
  }

  it('a key polling slower than the limit (requeueAfter(100)) is never hot', async () => {
    const scheduler = new SimulationScheduler();
    const q = run(() => Outcome.requeueAfter(100), scheduler);
    q.add('poll');
    await scheduler.runUntil(5000);
    expect(q.hot).toEqual([]);
    expect(q.results.length).toBe(51);
    q.stop();
  });

  it('a slow key that requeues at once is not hot (it is not faster than the limit)', async () => {
    const scheduler = new SimulationScheduler();
    const q = run(() => lastValueFrom(timer(200, scheduler)).then(() => Outcome.requeueAfter(0)), scheduler);
    q.add('slow');
    await scheduler.runUntil(5000);
    expect(q.hot).toEqual([]);
    expect(q.results.length).toBeGreaterThanOrEqual(24);
    q.stop();
  });

  it('a pass that writes a new status every time through another handle on the store (a write storm) is reported hot and slowed', async () => {
    const scheduler = new SimulationScheduler();
    const store = createMemoryStore({ scheduler });
    await store.create('T', { metadata: { name: 'a' }, spec: {} });
    const hot: string[] = [];
    const loop = defineLoop<unknown, { n?: number }>({
      name: 'storm', store, kind: 'T', scheduler, conditions: false,
      hooks: { onHot: (key) => hot.push(key) },
      async reconcile(_request, ctx) {
        const resource = await ctx.get();
        // Written through the store captured outside the pass: the loop cannot tell it is its own.
        if (resource) await store.updateStatus({ ...resource, status: { n: (resource.status?.n ?? 0) + 1 } });
      },
    });
    await scheduler.runUntil(1000);
    expect(hot).toEqual(['a']);
    expect(loop.snapshot().counters.passes).toBeLessThan(60); // not a million
    await loop.stop();
  });

  it('the same pass writing through ctx.updateStatus runs once: its own write is no trigger (one pass per change)', async () => {
    const scheduler = new SimulationScheduler();
    const store = createMemoryStore({ scheduler });
    await store.create('T', { metadata: { name: 'a' }, spec: {} });
    const loop = defineLoop<unknown, { n?: number }>({
      name: 'calm', store, kind: 'T', scheduler,
      async reconcile(_request, ctx) {
        const resource = await ctx.get();
        if (resource) await ctx.updateStatus(resource, (s) => void (s.n = (s.n ?? 0) + 1));
      },
    });
    await scheduler.runUntil(1000);
    expect(loop.snapshot().counters.passes).toBe(1);
    expect((await store.get<unknown, { n?: number }>('T', 'a'))?.status?.n).toBe(1);
    await loop.stop();
  });

  it('a desired change ends the hot streak (a new streak is judged afresh)', async () => {
    const scheduler = new SimulationScheduler();
    const q = run(() => Outcome.requeueAfter(0), scheduler);
    q.add('k');
    await scheduler.runUntil(200);
    expect(q.control.snapshot().hot).toHaveLength(1);
    expect(q.control.snapshot().hot[0]?.since).toBe(0);
    const before = q.results.length;
    (q as unknown as { add(r: ReconcileRequest): void }).add({ key: 'k', reason: 'watch', revision: 99 });
    // The change ran at once (not spaced) and began a new streak, judged afresh: still requeueing
    // at once, the key is hot again, reported a second time, since the change.
    expect(q.results.length).toBeGreaterThan(before);
    expect(q.control.snapshot().hot[0]?.since).toBe(200);
    expect(q.control.snapshot().counters.hot).toBe(2);
    q.stop();
  });
});

describe('stop escalates (G10)', () => {
  it('stop() then stop({ deadline: 100 }) aborts the hanging pass at 100 ms', async () => {
    const scheduler = new SimulationScheduler();
    const store = createMemoryStore({ scheduler });
    await store.create('T', { metadata: { name: 'a' }, spec: {} });
    const loop = defineLoop({ name: 's', store, kind: 'T', scheduler, conditions: false, reconcile: (_r, ctx) => new Promise<void>((_, reject) => ctx.onAbort(() => reject(new Error('aborted')))) });
    await scheduler.runUntil(1);
    let stopped = false;
    void loop.stop().then(() => (stopped = true));
    await scheduler.runUntil(50);
    expect(stopped).toBe(false);
    void loop.stop({ deadline: 100 });
    await scheduler.runUntil(149);
    expect(stopped).toBe(false);
    await scheduler.runUntil(151);
    expect(stopped).toBe(true);
  });

  it('a later stop with a later deadline does not delay an earlier one', async () => {
    const scheduler = new SimulationScheduler();
    const store = createMemoryStore({ scheduler });
    await store.create('T', { metadata: { name: 'a' }, spec: {} });
    const loop = defineLoop({ name: 's', store, kind: 'T', scheduler, conditions: false, reconcile: () => new Promise<void>(() => undefined) });
    await scheduler.runUntil(1);
    let stopped = false;
    void loop.stop({ deadline: 100 }).then(() => (stopped = true));
    void loop.stop({ deadline: 10_000 });
    await scheduler.runUntil(102);
    expect(stopped).toBe(true);
  });
});
