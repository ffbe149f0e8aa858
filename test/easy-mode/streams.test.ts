/**
 * Stream loops (issue 14, item 1): `desired$` and `current$` streams of keyed snapshots or changes.
 * The loop triggers exactly the keys whose value changed or disappeared in either stream — a removed
 * key gets its pass at once —, passes read the latest values, resync re-runs every known key, and the
 * orphan sweep visits the world's keys. Marble tests (TestScheduler) for the timing.
 */
import { describe, expect, it } from 'vitest';
import { Subject, map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { Outcome, defineLoop } from 'rx-reconcile';
import type { KeyedChange } from '../../operators/loop/keyed-state.js';
import { SimulationScheduler } from 'rx-reconcile/testing';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('stream loops', () => {
  it('a key removed from desired$ is cleaned up by exactly one pass, at once (marbles)', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const world = new Map<string, number>();
      // desired: {a:1, b:2}, then b changes to 3 at frame 5, then a disappears at frame 10.
      const desired$ = cold('x----y----z', {
        x: { a: 1, b: 2 } as Record<string, number>,
        y: { a: 1, b: 3 },
        z: { b: 3 },
      });
      const loop = defineLoop({
        name: 'mirror',
        desired$,
        reconcile(request, ctx) {
          const want = ctx.desired();
          if (want === undefined) world.delete(request.key);
          else world.set(request.key, want);
          return Outcome.converged();
        },
      });
      // Frame 0: both listed keys; frame 5: b changed; frame 10: a removed — one pass each.
      expectObservable(loop.results$.pipe(map((r) => `${r.key}:${r.request.reason}`))).toBe('(ab)-c----d', {
        a: 'a:initial',
        b: 'b:initial',
        c: 'b:watch',
        d: 'a:watch',
      });
      expectSubscriptions(desired$.subscriptions).toBe('^');
      flush();
      expect([...world]).toEqual([['b', 3]]);
      void loop.stop();
    });
  });

  it('current$ changes trigger their key too; passes read the latest desired and current values', async () => {
    const sim = new SimulationScheduler();
    const desired$ = new Subject<KeyedChange<number>[]>();
    const current$ = new Subject<Map<string, number>>();
    const seen: string[] = [];
    const loop = defineLoop({
      name: 'scale',
      scheduler: sim,
      desired$,
      current$,
      reconcile(request, ctx) {
        seen.push(`${request.key}:${String(ctx.desired())}/${String(ctx.current())}`);
      },
    });
    await sim.runUntil(1);
    desired$.next([{ key: 'web', value: 3 }]);
    current$.next(new Map([['web', 1]]));
    await sim.runUntil(2);
    current$.next(new Map([['web', 1]])); // the same snapshot: nothing changed, no pass
    current$.next(new Map([['web', 3]])); // the world caught up: one pass
    await sim.runUntil(3);
    desired$.next([{ key: 'web', deleted: true }]);
    await sim.runUntil(4);
    expect(seen).toEqual(['web:3/undefined', 'web:3/1', 'web:3/3', 'web:undefined/3']);
    expect(loop.health().ready).toBe(true);
    await loop.stop();
  });

  it('phases: observe defaults to current$, compare sees desired and current, an orphan of current$ is corrected away', async () => {
    const sim = new SimulationScheduler();
    const files = new Map<string, string>([['stale.txt', 'old'], ['keep.txt', 'x']]);
    const current$ = new Subject<Map<string, string>>();
    const desired$ = new Subject<Record<string, string>>();
    const loop = defineLoop({
      name: 'files',
      scheduler: sim,
      desired$,
      current$,
      compare: (want, have, key) =>
        want === have ? [] : want === undefined ? [{ action: 'delete' as const, target: key }] : [{ action: 'update' as const, target: key, value: want }],
      correct: (c) => {
        if (c.action === 'delete') files.delete(c.target);
        else files.set(c.target, String(c.value));
        current$.next(new Map(files));
      },
      verify: false,
    });
    await sim.runUntil(1);
    desired$.next({ 'keep.txt': 'x', 'new.txt': 'hello' });
    current$.next(new Map(files));
    await sim.runUntil(5);
    expect([...files].sort()).toEqual([['keep.txt', 'x'], ['new.txt', 'hello']]);
    await loop.stop();
  });

  it('resync re-runs every known key; worldKeys sweeps keys nobody streams', async () => {
    const sim = new SimulationScheduler();
    const passes: string[] = [];
    const loop = defineLoop({
      name: 'sweep',
      scheduler: sim,
      desired$: new Subject<Record<string, number>>().pipe(),
      resync: 1000,
      worldKeys: () => ['orphan'],
      reconcile: (request) => void passes.push(`${sim.now()}:${request.key}:${request.reason}`),
    });
    await sim.runUntil(1500);
    expect(passes).toEqual(['0:orphan:resync', '1000:orphan:resync']);
    await loop.stop();
  });

  it('regression: worldKeys returning a string is a source error, not a sweep of one key per character', async () => {
    const sim = new SimulationScheduler();
    const passes: string[] = [];
    const loop = defineLoop({
      name: 'chars',
      scheduler: sim,
      desired$: new Subject<Record<string, number>>().pipe(),
      resync: 1000,
      worldKeys: () => 'web-1' as unknown as string[],
      reconcile: (request) => void passes.push(request.key),
    });
    await sim.runUntil(1500);
    expect(passes).toEqual([]);
    const source = loop.health().sources.find((s) => s.name === 'worldKeys');
    expect(source?.errors).toBe(2);
    expect(source?.lastError?.message).toMatch(/returned a string .*return an array or a Set of keys/);
    await loop.stop();
  });

  it('a malformed emission is skipped (logged, in health) and the stream goes on', async () => {
    const sim = new SimulationScheduler();
    const desired$ = new Subject<unknown>();
    const passes: string[] = [];
    const loop = defineLoop({ name: 'bad', scheduler: sim, desired$: desired$ as never, reconcile: (r) => void passes.push(r.key) });
    await sim.runUntil(1);
    desired$.next([{ nope: 1 }]);
    desired$.next(42);
    desired$.next({ ok: 1 });
    await sim.runUntil(2);
    expect(passes).toEqual(['ok']);
    expect(loop.health().sources.find((s) => s.name === 'desired$')?.errors).toBe(2);
    await loop.stop();
  });

  it('regression: bad entries in an emission are skipped, and the rest of it is applied and triggered (one bad entry lost the whole list, half-applied)', async () => {
    const sim = new SimulationScheduler();
    const desired$ = new Subject<unknown>();
    const passes: string[] = [];
    const lines: string[] = [];
    const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (_f: object, m: string) => void lines.push(m), child: () => logger };
    const loop = defineLoop({ name: 'partly', scheduler: sim, logger, desired$: desired$ as never, reconcile: (r, ctx) => void passes.push(`${r.key}=${String(ctx.desired())}`) });
    await sim.runUntil(1);
    desired$.next([{ key: 'a', value: 1 }, { key: 5, value: 2 }, null, { key: 'b' }, { key: 'c', value: 3 }]);
    await sim.runUntil(2);
    expect(passes.sort()).toEqual(['a=1', 'c=3']);
    expect(lines).toEqual(['Malformed keyed entries: skipped']);
    passes.length = 0;
    // A snapshot with bad keys: the good keys are the snapshot (a is gone, c changes, d is new).
    desired$.next(new Map<unknown, number>([['c', 4], [7, 1], ['', 2], ['d', 5]]));
    await sim.runUntil(3);
    expect(passes.sort()).toEqual(['a=undefined', 'c=4', 'd=5']);
    expect(loop.health().sources.find((s) => s.name === 'desired$')?.errors).toBe(2);
    expect(loop.health().alive).toBe(true);
    await loop.stop();
  });

  it('a desired change wakes a key in backoff (it is a new revision), a current change does not', async () => {
    const sim = new SimulationScheduler();
    const desired$ = new Subject<Record<string, number>>();
    const current$ = new Subject<Record<string, number>>();
    const starts: number[] = [];
    const loop = defineLoop({
      name: 'wake',
      scheduler: sim,
      desired$,
      current$,
      reconcile: () => {
        starts.push(sim.now());
        throw new Error('down');
      },
    });
    await sim.runUntil(10);
    desired$.next({ k: 1 });
    await sim.runUntil(20); // failed at 10, backing off until 1010
    current$.next({ k: 5 });
    await sim.runUntil(30);
    expect(starts).toEqual([10]);
    desired$.next({ k: 2 });
    await sim.runUntil(40);
    expect(starts).toEqual([10, 30]);
    await loop.stop();
  });
});

describe('stream values beyond JSON, and emissions that are not snapshots', () => {
  it('a value that is a Set changes when its members do: one pass sees the new members (it was never seen, and resync re-applied the old one)', async () => {
    const sim = new SimulationScheduler();
    const desired$ = new Subject<Map<string, Set<number>>>();
    const seen: string[] = [];
    const loop = defineLoop({ name: 'ports', scheduler: sim, desired$, resync: 1000, reconcile: (request, ctx) => void seen.push(`${request.reason}:${[...(ctx.desired() ?? [])].join(',')}`) });
    desired$.next(new Map([['web', new Set([80])]]));
    await sim.runUntil(10);
    desired$.next(new Map([['web', new Set([80])]])); // the same: no pass
    await sim.runUntil(20);
    desired$.next(new Map([['web', new Set([80, 443])]]));
    await sim.runUntil(1500);
    expect(seen).toEqual(['initial:80', 'watch:80,443', 'resync:80,443']);
    await loop.stop();
  });

  for (const [what, emission] of [
    ['a Promise of a snapshot (map(async …) instead of mergeMap)', () => Promise.resolve(new Map([['a', 'A']]))],
    ['a Set of keys', () => new Set(['a'])],
    ['a Date', () => new Date(0)],
  ] as const) {
    it(`an emission that is ${what} changes nothing and is counted as a source error (it read as an empty snapshot and cleaned up every key)`, async () => {
      const sim = new SimulationScheduler();
      const desired$ = new Subject<unknown>();
      const world = new Map<string, string>();
      const loop = defineLoop({
        name: 'mirror',
        scheduler: sim,
        desired$: desired$ as Subject<Map<string, string>>,
        reconcile(request, ctx) {
          const want = ctx.desired();
          if (want === undefined) world.delete(request.key);
          else world.set(request.key, want);
        },
      });
      desired$.next(new Map([['a', 'A'], ['b', 'B']]));
      await sim.runUntil(10);
      desired$.next(emission());
      await sim.runUntil(20);
      expect([...world.keys()]).toEqual(['a', 'b']);
      expect(loop.health().sources[0]).toMatchObject({ errors: 1 });
      expect(loop.health().sources[0]?.lastError?.message).toMatch(/a keyed snapshot must be a Map, a plain object or a list of changes/);
      desired$.next(new Map([['a', 'A2']])); // the stream goes on
      await sim.runUntil(30);
      expect([...world.entries()]).toEqual([['a', 'A2']]);
      await loop.stop();
    });
  }
});
