import { describe, expect, it } from 'vitest';
import { firstValueFrom, take, toArray } from 'rxjs';
import { InvalidArgumentError, Outcome, createMemoryStore, defineLoop, keyOf, setDiff } from 'rx-reconcile';
import type { PassResult, Store } from 'rx-reconcile';
import { SimulationScheduler } from 'rx-reconcile/testing';

/** Lets promise chains (the store's async API) settle. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('defineLoop', () => {
  it('reconciles every listed resource, Halo style, and passes each change through the loop', async () => {
    const store = createMemoryStore();
    await store.create('Item', { metadata: { name: 'a' }, spec: { n: 1 } });
    const seen: string[] = [];
    const loop = defineLoop<{ n: number }, { seen?: number }>({
      name: 'items',
      store,
      kind: 'Item',
      async reconcile(request, ctx) {
        const item = await ctx.get();
        seen.push(`${request.key}:${request.reason}:${item?.spec.n ?? 'gone'}`);
        if (item) await ctx.updateStatus(item, (s) => void (s.seen = item.spec.n));
        return undefined;
      },
    });
    await loop.whenIdle();
    const a = await store.get<{ n: number }, { seen?: number }>('Item', 'a');
    expect(a?.status).toMatchObject({ seen: 1, observedGeneration: 1 });
    if (a) await store.update({ ...a, spec: { n: 2 } });
    await store.create('Item', { metadata: { name: 'b' }, spec: { n: 5 } });
    await loop.whenIdle();
    expect((await store.get<{ n: number }, { seen?: number }>('Item', 'b'))?.status?.seen).toBe(5);
    expect(seen).toContain('a:initial:1');
    expect(seen).toContain('a:watch:2');
    await loop.stop();
  });

  it('runs the four phases against a world, and the second pass plans nothing', async () => {
    const store = createMemoryStore();
    const world = new Map<string, string>();
    const applied: string[] = [];
    await store.create('Site', { metadata: { name: 's1' }, spec: { pages: { index: 'hi', about: 'me' } } });
    world.set('s1/old', 'stale');
    const loop = defineLoop<{ pages: Record<string, string> }, unknown, Record<string, string>, string>({
      name: 'sites',
      store,
      kind: 'Site',
      observe: (key) => Object.fromEntries([...world].filter(([k]) => k.startsWith(`${key}/`)).map(([k, v]) => [k.slice(key.length + 1), v])),
      compare: (desired, current) => setDiff(desired?.spec.pages ?? {}, current),
      correct: (c, ctx) => {
        applied.push(`${c.action} ${c.target}`);
        if (c.action === 'delete') world.delete(`${ctx.key}/${c.target}`);
        else world.set(`${ctx.key}/${c.target}`, c.value as string);
      },
    });
    const results: PassResult[] = [];
    loop.results$.subscribe((r) => results.push(r));
    await loop.whenIdle();
    expect([...world].sort()).toEqual([['s1/about', 'me'], ['s1/index', 'hi']]);
    expect(applied).toEqual(['create about', 'create index', 'delete old']);
    expect(loop.trigger('s1')).toBe(true);
    await loop.whenIdle();
    expect(applied).toHaveLength(3);
    expect(results.map((r) => r.outcome.type)).toEqual(['converged', 'converged']);
    await loop.stop();
  });

  it('turns a throwing reconcile into a retry result and keeps the loop running', async () => {
    const store = createMemoryStore();
    await store.create('Item', { metadata: { name: 'bad' }, spec: {} });
    await store.create('Item', { metadata: { name: 'good' }, spec: {} });
    const loop = defineLoop({
      name: 'throws',
      store,
      kind: 'Item',
      reconcile: (request) => {
        if (request.key === 'bad') throw new TypeError('boom');
        return Outcome.converged();
      },
    });
    const results = await firstValueFrom(loop.results$.pipe(take(2), toArray()));
    expect(results.map((r) => `${r.key}:${r.outcome.type}`).sort()).toEqual(['bad:retry', 'good:converged']);
    expect(loop.snapshot().delayed.map((d) => d.key)).toEqual(['bad']);
    await loop.stop();
  });

  it('filters watch events like an event matcher', async () => {
    const store = createMemoryStore();
    await store.create('Item', { metadata: { name: 'on', labels: { watch: 'yes' } }, spec: {} });
    await store.create('Item', { metadata: { name: 'off' }, spec: {} });
    const keys: string[] = [];
    const loop = defineLoop({
      name: 'filtered',
      store,
      kind: 'Item',
      filter: (event) => event.object.metadata.labels['watch'] === 'yes',
      reconcile: (request) => void keys.push(request.key),
    });
    await loop.whenIdle();
    expect(keys).toEqual(['on']);
    await loop.stop();
  });

  it('reconciles an owner when one of its children changes (ownerReferences)', async () => {
    const store: Store = createMemoryStore();
    await store.create('App', { metadata: { name: 'web' }, spec: {} });
    const reasons: string[] = [];
    const loop = defineLoop({ name: 'apps', store, kind: 'App', dependencies: ['Pod'], reconcile: (r) => void reasons.push(`${r.key}:${r.reason}`) });
    await loop.whenIdle();
    await store.create('Pod', { metadata: { name: 'web-1', ownerReferences: [{ kind: 'App', name: 'web' }] }, spec: {} });
    await loop.whenIdle();
    expect(reasons).toEqual(['web:initial', 'web:dependency']);
    await loop.stop();
  });

  it('resyncs every key at its period, in virtual time', async () => {
    const scheduler = new SimulationScheduler();
    const store = createMemoryStore({ scheduler });
    await store.create('Item', { metadata: { name: 'a' }, spec: {} });
    await store.create('Item', { metadata: { name: 'b' }, spec: {} });
    const passes: string[] = [];
    const loop = defineLoop({ name: 'resync', store, kind: 'Item', scheduler, resync: 1000, reconcile: (r) => void passes.push(`${scheduler.now()}:${r.key}:${r.reason}`) });
    for (let t = 0; t <= 2000; t += 500) {
      await scheduler.runUntil(t);
      await settle();
    }
    expect(passes).toEqual(['0:a:initial', '0:b:initial', '1000:a:resync', '1000:b:resync', '2000:a:resync', '2000:b:resync']);
    await loop.stop();
    void keyOf;
  });

  it('completes results$ on stop and ignores triggers afterwards', async () => {
    const store = createMemoryStore();
    const loop = defineLoop({ name: 'stop', store, kind: 'Item', reconcile: () => undefined });
    let completed = false;
    loop.results$.subscribe({ complete: () => (completed = true) });
    await loop.stop();
    expect(completed).toBe(true);
    expect(loop.trigger('x')).toBe(false);
  });
});

describe('defineLoop: user hooks', () => {
  it('a hooks object with methods gets its onFinish called on itself, with and without status conditions', async () => {
    for (const conditions of [true, false]) {
      const sim = new SimulationScheduler();
      const store = createMemoryStore({ scheduler: sim });
      await store.create('T', { metadata: { name: 'a' }, spec: {} });
      class Recorder {
        readonly keys: string[] = [];
        onFinish(result: PassResult): void {
          this.keys.push(result.key);
        }
      }
      const hooks = new Recorder();
      const loop = defineLoop({ name: `hooks-${conditions}`, store, kind: 'T', scheduler: sim, conditions, hooks, reconcile: () => undefined });
      await sim.runUntil(10);
      loop.trigger('a');
      await sim.runUntil(20);
      expect(hooks.keys).toEqual(['a', 'a']);
      await loop.stop();
    }
  });
});

describe('defineLoop: options it cannot run with', () => {
  const store = createMemoryStore();
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['no name', { store, kind: 'T', reconcile: () => undefined }, /give the loop a name/],
    ['no kind', { name: 'x', store, reconcile: () => undefined }, /needs the kind it reconciles/],
    ['no store', { name: 'x', kind: 'T', reconcile: () => undefined }, /needs a store/],
    ['no pass', { name: 'x', store, kind: 'T' }, /either reconcile\(request, ctx\), or all three/],
    ['half the phases', { name: 'x', store, kind: 'T', observe: () => 1, compare: () => [] }, /\(got only observe, compare\)/],
    ['both styles', { name: 'x', store, kind: 'T', reconcile: () => undefined, observe: () => 1, compare: () => [], correct: () => undefined }, /keep one style/],
    ['a bad resync', { name: 'x', store, kind: 'T', resync: 0, reconcile: () => undefined }, /resync must be a finite period in ms > 0 \(got 0\)/],
  ];
  for (const [what, options, message] of cases) {
    it(`refuses ${what} with an InvalidArgumentError that says what to do`, () => {
      expect(() => defineLoop(options as never)).toThrow(message);
      expect(() => defineLoop(options as never)).toThrow(InvalidArgumentError);
    });
  }
});
