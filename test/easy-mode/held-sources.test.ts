/**
 * A `Subject` given to a loop (`desired$`, `current$`, `triggers`) is subscribed when the loop is
 * defined: what the app emits right after `defineLoop`, before the loop's first tick, is held and
 * reconciled, not lost. `holdSource` itself: order, errors, completion, release.
 */
import { describe, expect, it } from 'vitest';
import { Observable, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { Outcome, createMemoryStore, defineLoop } from 'rx-reconcile';
import { SimulationScheduler } from 'rx-reconcile/testing';
import { holdSource } from '../../operators/loop/held-source.js';

describe('a Subject given to a loop', () => {
  it('regression: a snapshot a desired$ Subject emits right after defineLoop is reconciled (it was lost before the first tick)', async () => {
    const sim = new SimulationScheduler();
    const desired$ = new Subject<Record<string, number>>();
    const seen: string[] = [];
    const loop = defineLoop({ name: 'early', scheduler: sim, desired$, reconcile: (request, ctx) => void seen.push(`${request.key}=${String(ctx.desired())}`) });
    desired$.next({ a: 1, b: 2 }); // before the loop's first tick
    await sim.runUntil(1);
    expect(seen.sort()).toEqual(['a=1', 'b=2']);
    desired$.next({ a: 1 }); // after it, as before
    await sim.runUntil(2);
    expect(seen).toContain('b=undefined');
    expect(loop.health().ready).toBe(true);
    await loop.stop();
  });

  it('a current$ Subject and a trigger Subject of a store loop keep what they emit before the first tick too', async () => {
    const sim = new SimulationScheduler();
    const desired$ = new Subject<Record<string, number>>();
    const current$ = new Subject<Record<string, number>>();
    const seen: string[] = [];
    const streams = defineLoop({ name: 'both', scheduler: sim, desired$, current$, reconcile: (request, ctx) => void seen.push(`${request.key}:${String(ctx.current())}`) });
    current$.next({ orphan: 7 });
    desired$.next({});
    await sim.runUntil(1);
    expect(seen).toEqual(['orphan:7']);
    await streams.stop();

    const store = createMemoryStore({ scheduler: sim });
    await store.create('T', { metadata: { name: 'a' }, spec: {} });
    const kicks = new Subject<string>();
    const reasons: string[] = [];
    const loop = defineLoop({ name: 'kicked', store, kind: 'T', scheduler: sim, triggers: [kicks], reconcile: (request) => void reasons.push(`${request.key}:${request.reason}`) });
    kicks.next('a');
    kicks.next('b');
    await sim.runUntil(sim.now() + 5);
    expect(reasons).toContain('b:watch'); // a key only the early trigger named
    expect(reasons).toContain('a:initial');
    await loop.stop();
  });

  it('a hot marble source emitting on frame 0 is reconciled (the world converges)', () => {
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(({ hot, flush }) => {
      const world = new Map<string, number>();
      const desired$ = hot('x--', { x: { a: 1 } as Record<string, number> }); // its only value, on frame 0
      const loop = defineLoop({
        name: 'hot',
        desired$,
        reconcile(request, ctx) {
          const want = ctx.desired();
          if (want === undefined) world.delete(request.key);
          else world.set(request.key, want);
          return Outcome.converged();
        },
      });
      flush();
      expect([...world]).toEqual([['a', 1]]);
      void loop.stop();
    });
  });

  it('a loop stopped before its first tick lets go of the Subjects it held', async () => {
    const sim = new SimulationScheduler();
    const desired$ = new Subject<Record<string, number>>();
    const kicks = new Subject<string>();
    const loop = defineLoop({ name: 'quit', scheduler: sim, desired$, triggers: [kicks], reconcile: () => undefined });
    expect(desired$.observed && kicks.observed).toBe(true);
    desired$.next({ a: 1 });
    const stopped = loop.stop();
    await sim.runUntil(1);
    await stopped;
    expect(desired$.observed).toBe(false);
    expect(kicks.observed).toBe(false);
  });

  it('a Subject that errors before the first tick is restarted by the loop as any failing source is', async () => {
    const sim = new SimulationScheduler();
    const desired$ = new Subject<Record<string, number>>();
    const loop = defineLoop({ name: 'broken', scheduler: sim, desired$, reconcile: () => undefined });
    desired$.error(new Error('source died'));
    await sim.runUntil(1);
    expect(loop.health()).toMatchObject({ alive: true, lastSourceError: { source: 'desired$', message: 'source died' } });
    await loop.stop();
  });
});

describe('holdSource', () => {
  it('replays what came before the first subscriber in order, then passes the live values on; later subscribers start afresh', () => {
    const source = new Subject<number>();
    const held = holdSource(source);
    source.next(1);
    source.next(2);
    const first: number[] = [];
    const sub = held.observable.subscribe((v) => first.push(v));
    source.next(3);
    const second: number[] = [];
    held.observable.subscribe((v) => second.push(v));
    source.next(4);
    expect(first).toEqual([1, 2, 3, 4]);
    expect(second).toEqual([4]);
    sub.unsubscribe();
    source.next(5);
    expect(first).toEqual([1, 2, 3, 4]);
  });

  it('delivers an error or completion that came before the first subscriber, after the values before it', () => {
    for (const end of ['error', 'complete'] as const) {
      const source = new Subject<number>();
      const held = holdSource(source);
      source.next(1);
      if (end === 'error') source.error('non-Error failure');
      else source.complete();
      const seen: string[] = [];
      held.observable.subscribe({ next: (v) => seen.push(`n${v}`), error: (e: unknown) => seen.push(`e:${String(e)}`), complete: () => seen.push('c') });
      expect(seen).toEqual(end === 'error' ? ['n1', 'e:non-Error failure'] : ['n1', 'c']);
    }
  });

  it('a source whose subscribe throws is held as that error (nothing thrown at hold time)', () => {
    const hostile = { subscribe: () => { throw new Error('subscribe bug'); } } as unknown as Observable<number>;
    const held = holdSource(hostile);
    const errors: unknown[] = [];
    held.observable.subscribe({ error: (e: unknown) => errors.push(e) });
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('subscribe bug');
  });

  it('release drops what is held and unsubscribes; it does nothing once the source was taken over', () => {
    const source = new Subject<number>();
    const held = holdSource(source);
    source.next(1);
    held.release();
    expect(source.observed).toBe(false);
    const taken = new Subject<number>();
    const other = holdSource(taken);
    const seen: number[] = [];
    other.observable.subscribe((v) => seen.push(v));
    other.release();
    taken.next(2);
    expect(seen).toEqual([2]);
  });
});

describe('loop controls called right after defineLoop (before its first tick)', () => {
  it('trigger(key) right after defineLoop runs once the loop starts', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    const reasons: string[] = [];
    const loop = defineLoop({ name: 'early-trigger', store, kind: 'T', scheduler: sim, reconcile: (request) => void reasons.push(`${request.key}:${request.reason}`) });
    expect(loop.trigger('x')).toBe(true);
    await sim.runUntil(1);
    expect(reasons).toEqual(['x:manual']);
    await loop.stop();
    expect(loop.trigger('y')).toBe(false);
  });

  it('pause() makes the loop start paused; resume() then lets its passes run', async () => {
    const sim = new SimulationScheduler();
    const desired$ = new Subject<Record<string, number>>();
    const seen: string[] = [];
    const loop = defineLoop({ name: 'early-pause', scheduler: sim, desired$, reconcile: (request) => void seen.push(request.key) });
    expect(loop.pause()).toBe(true);
    desired$.next({ a: 1 });
    await sim.runUntil(5);
    expect(seen).toEqual([]);
    expect(loop.health().paused).toBe(true);
    expect(loop.resume()).toBe(true);
    await sim.runUntil(6);
    expect(seen).toEqual(['a']);
    await loop.stop();
  });
});
