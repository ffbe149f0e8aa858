/**
 * With `schema`, the pass sees the spec the schema gives (coercions and defaults), as the type
 * inferred from it says — also for data the store holds unparsed (written before the schema, or to a
 * store that does not register it): `{ n: "3" }` reached a pass typed `{ n: number; tag: string }`.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createMemoryStore, defineLoop, getCondition } from 'rx-reconcile';
import type { ReconcileStatus } from 'rx-reconcile';

const schema = z.object({ n: z.coerce.number(), tag: z.string().default('x') });
type Parsed = z.infer<typeof schema>;

async function storeWith(spec: unknown) {
  const store = createMemoryStore(); // no kind registered: the store keeps what it is given
  await store.create('T', { metadata: { name: 'a' }, spec });
  return store;
}

describe('a loop with a schema', () => {
  it('reconcile style: ctx.get() and ctx.updateStatus give the parsed spec; the stored spec is left as it is', async () => {
    const store = await storeWith({ n: '3' });
    const seen: Parsed[] = [];
    const loop = defineLoop({
      name: 'l',
      store,
      kind: 'T',
      schema,
      async reconcile(_request, ctx) {
        const item = await ctx.get();
        if (item === undefined) return;
        expectTypeOf(item.spec).toEqualTypeOf<Parsed>();
        seen.push(item.spec);
        const written = await ctx.updateStatus(item, (s) => void ((s as { seen?: number }).seen = item.spec.n));
        seen.push(written.spec);
      },
    });
    await loop.whenIdle();
    await loop.stop();
    expect(seen).toEqual([{ n: 3, tag: 'x' }, { n: 3, tag: 'x' }]);
    const stored = await store.get('T', 'a');
    expect(stored?.spec).toEqual({ n: '3' });
    expect(stored?.status).toMatchObject({ seen: 3 });
    expect(Object.isFrozen(seen[0])).toBe(true);
  });

  it('phases style: desired carries the parsed spec, with and without a finalizer', async () => {
    for (const finalizer of [undefined, { name: 'example.com/cleanup' }]) {
      const store = await storeWith({ n: '4' });
      const desired: unknown[] = [];
      const loop = defineLoop({
        name: 'l',
        store,
        kind: 'T',
        schema,
        ...(finalizer ? { finalizer } : {}),
        observe: () => 0,
        compare: (d, current: number) => {
          desired.push(d?.spec);
          return d !== undefined && d.spec.n !== current ? [] : [];
        },
        correct: () => undefined,
      });
      await loop.whenIdle();
      await loop.stop();
      expect(desired[0]).toEqual({ n: 4, tag: 'x' });
    }
  });

  it('parses each stored spec once: the check and the parsed view share the answer (it was parsed twice a pass)', async () => {
    const store = await storeWith({ n: '3' });
    let parses = 0;
    const counting = { safeParse: (data: unknown) => (parses++, schema.safeParse(data)) };
    const loop = defineLoop<Parsed>({
      name: 'l',
      store,
      kind: 'T',
      schema: counting,
      async reconcile(_request, ctx) {
        expect((await ctx.get())?.spec).toEqual({ n: 3, tag: 'x' });
      },
    });
    await loop.whenIdle();
    loop.trigger('a');
    await loop.whenIdle();
    await loop.stop();
    expect(parses).toBe(1); // the conditions write leaves the spec object as it is
  });

  it('passes over one stored snapshot share its parsed view (it was built again on every pass)', async () => {
    const store = await storeWith({ n: '3' });
    const seen: unknown[] = [];
    const loop = defineLoop<Parsed>({
      name: 'l',
      store,
      kind: 'T',
      schema,
      conditions: false,
      async reconcile(_request, ctx) {
        seen.push(await ctx.get());
      },
    });
    await loop.whenIdle();
    loop.trigger('a');
    await loop.whenIdle();
    await loop.stop();
    expect(seen).toHaveLength(2);
    expect((seen[0] as { spec: unknown }).spec).toEqual({ n: 3, tag: 'x' });
    expect(seen[1]).toBe(seen[0]);
  });

  it('a spec the schema refuses is still parked with InvalidSpec, and the pass never runs', async () => {
    const store = await storeWith({ n: 'not a number' });
    let passes = 0;
    const loop = defineLoop({ name: 'l', store, kind: 'T', schema, reconcile: () => void passes++ });
    await loop.whenIdle();
    await loop.stop();
    expect(passes).toBe(0);
    const status = (await store.get('T', 'a'))?.status as ReconcileStatus;
    expect(getCondition(status, 'Degraded')?.reason).toBe('InvalidSpec');
  });

  it('a spec the schema keeps as it is reaches the pass as the stored snapshot itself', async () => {
    const store = await storeWith({ n: 5, tag: 'y' });
    let same = false;
    const loop = defineLoop({
      name: 'l',
      store,
      kind: 'T',
      schema,
      async reconcile(_request, ctx) {
        same = (await ctx.get()) === (await store.get('T', 'a'));
      },
    });
    await loop.whenIdle();
    await loop.stop();
    expect(same).toBe(true);
  });
});
