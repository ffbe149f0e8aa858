import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BehaviorSubject, Subject, firstValueFrom, lastValueFrom, map, of, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { Outcome, createMemoryStore, setDiff } from 'rx-reconcile';
import { applyPlan } from '../src/diff.js';
import type { Correction, WatchEvent } from 'rx-reconcile';
import { compare, correct, observe, triggerOwners, triggerWith, verify, watchRequests } from 'rx-reconcile/operators';

const testScheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('observe', () => {
  it('reads desired and current from functions returning values, Promises and Observables', async () => {
    const result = await lastValueFrom(
      of('a', 'b').pipe(
        observe({ desired: (key) => Promise.resolve(`want-${key}`), current: (key) => of(`have-${key}`) }),
        toArray(),
      ),
    );
    expect(result).toEqual([
      { key: 'a', desired: 'want-a', current: 'have-a' },
      { key: 'b', desired: 'want-b', current: 'have-b' },
    ]);
  });

  it('reads the latest value of desired$ and current$ streams, waiting for their first value', async () => {
    const desired$ = new Subject<ReadonlyMap<string, number>>();
    const current$ = new BehaviorSubject<Readonly<Record<string, number>>>({ a: 1 });
    const out = firstValueFrom(of('a').pipe(observe({ desired: { latest$: desired$ }, current: { latest$: current$ } })));
    desired$.next(new Map([['a', 1]]));
    desired$.next(new Map([['a', 2]]));
    expect(await out).toEqual({ key: 'a', desired: 1, current: 1 });
    current$.next({});
    const later = await firstValueFrom(of('a').pipe(observe({ desired: { latest$: current$ }, current: { latest$: current$ } })));
    expect(later).toEqual({ key: 'a', desired: undefined, current: undefined });
  });

  it('accepts requests as well as keys', async () => {
    const obs = await firstValueFrom(of({ key: 'k', reason: 'manual' as const }).pipe(observe({ desired: () => 1, current: () => 2 })));
    expect(obs).toEqual({ key: 'k', desired: 1, current: 2 });
  });
});

describe('compare', () => {
  it('gives every correction an idempotency key, stable for the same correction', async () => {
    const plans = await lastValueFrom(
      of({ key: 'k', desired: { a: 1 }, current: {} }, { key: 'k', desired: { a: 1 }, current: {} }).pipe(
        compare((d: Record<string, number>, c: Record<string, number>) => setDiff(d, c).map(({ idempotencyKey: _, ...rest }) => rest)),
        toArray(),
      ),
    );
    const [first, second] = plans;
    expect(first?.corrections[0]?.idempotencyKey).toMatch(/^k:create:a:[0-9a-f]{8}$/);
    expect(first?.corrections[0]?.idempotencyKey).toBe(second?.corrections[0]?.idempotencyKey);
  });

  it('plans nothing when desired equals current', async () => {
    const plan = await firstValueFrom(of({ key: 'k', desired: { a: 1 }, current: { a: 1 } }).pipe(compare((d, c) => setDiff(d, c))));
    expect(plan.corrections).toEqual([]);
  });
});

describe('setDiff', () => {
  const items = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.oneof(fc.integer({ min: 0, max: 3 }), fc.record({ v: fc.integer({ min: 0, max: 2 }) })));

  it('reaches a fixpoint: diff(desired, apply(current, diff(desired, current))) is empty', () => {
    fc.assert(
      fc.property(items, items, (desired, current) => {
        const once = applyPlan(new Map(Object.entries(current)), setDiff(desired, current));
        expect(setDiff(desired, once)).toEqual([]);
      }),
    );
  });

  it('plans creates, updates and deletes in a stable order', () => {
    expect(setDiff({ b: 2, a: 1 }, { b: 3, c: 4 }).map((c) => `${c.action} ${c.target}`)).toEqual(['create a', 'update b', 'delete c']);
  });

  it('leaves extra current items alone with keepExtra', () => {
    expect(setDiff({ a: 1 }, { a: 1, z: 9 }, { keepExtra: true })).toEqual([]);
  });

  it('compares objects without a prototype (regression: fast-deep-equal threw "a.valueOf is not a function")', () => {
    const bare = Object.assign(Object.create(null) as Record<string, number>, { v: 1 });
    const same = Object.assign(Object.create(null) as Record<string, number>, { v: 1 });
    expect(setDiff({ a: bare }, { a: same })).toEqual([]);
    expect(setDiff({ a: bare }, { a: { v: 2 } }).map((c) => c.action)).toEqual(['update']);
  });

  it('asks for keyOf when given arrays', () => {
    expect(() => setDiff([1], [2])).toThrow(/pass \{ keyOf/);
    expect(setDiff([{ id: 'x', n: 1 }], [], { keyOf: (i) => i.id }).map((c) => c.target)).toEqual(['x']);
  });
});

describe('correct', () => {
  it('applies corrections one after the other and reports them', async () => {
    const applied: string[] = [];
    const result = await firstValueFrom(
      of({ key: 'k', desired: { a: 1, b: 2 }, current: {} as Record<string, number> }).pipe(
        compare((d: Record<string, number>, c: Record<string, number>) => setDiff(d, c)),
        correct(async (c: Correction) => {
          applied.push(`start ${c.target}`);
          await Promise.resolve();
          applied.push(`end ${c.target}`);
        }),
      ),
    );
    expect(applied).toEqual(['start a', 'end a', 'start b', 'end b']);
    expect(result.applied.map((c) => c.target)).toEqual(['a', 'b']);
  });

  it('stops at the first failing correction and errors the pass', async () => {
    const applied: string[] = [];
    const run = firstValueFrom(
      of({ key: 'k', desired: { a: 1, b: 2 }, current: {} as Record<string, number> }).pipe(
        compare((d: Record<string, number>, c: Record<string, number>) => setDiff(d, c)),
        correct((c: Correction) => {
          if (c.target === 'a') throw new Error('disk full');
          applied.push(c.target);
        }),
      ),
    );
    await expect(run).rejects.toThrow('disk full');
    expect(applied).toEqual([]);
  });

  it('waits for Observable corrections in virtual time', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const out = of({ key: 'k', desired: { a: 1, b: 2 }, current: {} as Record<string, number> }).pipe(
        compare((d: Record<string, number>, c: Record<string, number>) => setDiff(d, c)),
        correct(() => cold('--x|')),
        map((r) => r.applied.length),
      );
      expectObservable(out).toBe('------(n|)', { n: 2 });
    });
  });
});

describe('verify', () => {
  it('decides converged when a second observation plans nothing, and retry when corrections remain', async () => {
    const world: Record<string, number> = {};
    const desired: Record<string, number> = { a: 1 };
    const pass = (apply: boolean) =>
      firstValueFrom(
        of('k').pipe(
          observe({ desired: () => desired, current: () => ({ ...world }) }),
          compare((d: Record<string, number> | undefined, c: Record<string, number> | undefined) => setDiff(d ?? {}, c ?? {})),
          correct((c: Correction<number>) => {
            if (apply && c.action !== 'delete') world[c.target] = c.value as number;
          }),
          verify({
            desired: () => desired,
            current: () => ({ ...world }),
            compare: (d: Record<string, number> | undefined, c: Record<string, number> | undefined) => setDiff(d ?? {}, c ?? {}),
          }),
        ),
      );
    const lazy = await pass(false);
    expect(lazy.type).toBe('retry');
    expect(lazy.type === 'retry' && lazy.error.message).toMatch(/1 correction\(s\) still planned/);
    expect(await pass(true)).toEqual(Outcome.converged());
  });
});

describe('watchRequests', () => {
  it('replays the list as low-priority initial requests, then changes as watch requests with revisions', async () => {
    const store = createMemoryStore();
    await store.create('Thing', { metadata: { name: 'a' }, spec: { n: 1 } });
    const seen: unknown[] = [];
    const sub = watchRequests(store, 'Thing').subscribe((r) => seen.push(r));
    const a = await store.get<{ n: number }>('Thing', 'a');
    if (a) await store.update({ ...a, spec: { n: 2 } });
    await store.create('Thing', { metadata: { name: 'b', finalizers: ['f'] }, spec: { n: 1 } });
    await store.delete('Thing', 'b');
    sub.unsubscribe();
    expect(seen).toEqual([
      { key: 'a', reason: 'initial', revision: 2 },
      { key: 'a', reason: 'watch', revision: 4 },
      { key: 'b', reason: 'watch', revision: 2 },
      { key: 'b', reason: 'watch', revision: 3 },
    ]);
  });
});

describe('dependency triggers', () => {
  const child = (owners: { kind: string; name: string; controller?: boolean }[]): WatchEvent => ({
    type: 'modified',
    initial: false,
    object: {
      kind: 'Pod',
      spec: {},
      metadata: {
        name: 'p',
        version: '1',
        revision: 1,
        generation: 1,
        uid: 'u',
        creationTimestamp: '',
        labels: {},
        annotations: {},
        finalizers: [],
        ownerReferences: owners,
      },
    },
  });

  it('triggerOwners maps a child change to its owners of the given kind', async () => {
    const out = await lastValueFrom(
      of(child([{ kind: 'App', name: 'web' }, { kind: 'Other', name: 'x' }, { kind: 'App', name: 'api', controller: true }])).pipe(
        triggerOwners('App'),
        toArray(),
      ),
    );
    expect(out).toEqual([
      { key: 'web', reason: 'dependency' },
      { key: 'api', reason: 'dependency' },
    ]);
    const controllerOnly = await lastValueFrom(of(child([{ kind: 'App', name: 'web' }, { kind: 'App', name: 'api', controller: true }])).pipe(triggerOwners('App', { controllerOnly: true }), toArray()));
    expect(controllerOnly.map((r) => r.key)).toEqual(['api']);
  });

  it('triggerWith maps any value to dependency requests', async () => {
    const out = await lastValueFrom(of('cfg').pipe(triggerWith((name: string) => [`${name}-user-1`, `${name}-user-2`]), toArray()));
    expect(out.map((r) => r.key)).toEqual(['cfg-user-1', 'cfg-user-2']);
  });
});
