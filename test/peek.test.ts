/**
 * The memory store's synchronous read (`peekOf`), used by a loop's pass for its snapshot instead of a
 * promise: the same object `get` resolves to, and never used around a store the app wrapped.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStore, defineLoop } from 'rx-reconcile';
import type { Resource, Store } from 'rx-reconcile';
import { SimulationScheduler } from 'rx-reconcile/testing';
import { withConditions } from 'rx-reconcile/operators';
import { peekOf } from '../src/peek.js';

describe('peekOf', () => {
  it('gives the memory store’s synchronous read: what get resolves to, the same object', async () => {
    const store = createMemoryStore();
    const created = await store.create('T', { metadata: { name: 'a', namespace: 'ns' }, spec: { n: 1 } });
    const peek = peekOf(store);
    expect(peek).toBeTypeOf('function');
    expect(peek?.('T', 'ns/a')).toBe(await store.get('T', 'ns/a'));
    expect(peek?.('T', 'ns/a')).toBe(created);
    expect(peek?.('T', 'missing')).toBeUndefined();
    expect(peek?.('Other', 'ns/a')).toBeUndefined();
  });

  it('is not carried by a spread copy or a wrapper, nor listed among the store’s keys', () => {
    const store = createMemoryStore();
    expect(peekOf({ ...store })).toBeUndefined();
    expect(peekOf({ get: store.get, list: store.list, create: store.create, update: store.update, updateStatus: store.updateStatus, delete: store.delete, watch: store.watch })).toBeUndefined();
    expect(Object.keys(store)).not.toContain('peekResource');
    expect(Object.getOwnPropertySymbols(store).every((s) => !Object.getOwnPropertyDescriptor(store, s)?.enumerable)).toBe(true);
  });
});

describe('a loop’s snapshot', () => {
  it('over the memory store is the stored object itself; over a wrapped store it is what the wrapper’s get returns', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    const created = await store.create('T', { metadata: { name: 'a' }, spec: { n: 1 } });
    const seen: unknown[] = [];
    const plain = defineLoop({ name: 'plain', store, kind: 'T', scheduler: sim, reconcile: async (_r, ctx) => void seen.push(await ctx.get()) });
    await sim.runUntil(10);
    expect(seen[0]).toBe(created); // the stored object the pass started on (its conditions were written after)
    await plain.stop();

    const wrapped: Store = { ...store, get: async (kind, key) => {
      const found = await store.get(kind, key);
      return found === undefined ? undefined : ({ ...found, spec: { n: 'from the wrapper' } } as Resource as never);
    } };
    const specs: unknown[] = [];
    const loop = defineLoop({ name: 'wrapped', store: wrapped, kind: 'T', scheduler: sim, reconcile: async (_r, ctx) => void specs.push((await ctx.get())?.spec) });
    await sim.runUntil(20);
    expect(specs).toEqual([{ n: 'from the wrapper' }]);
    await loop.stop();
  });

  it('withConditions: a first read at hand (readNow) is used as is, and read is not called', async () => {
    const store = createMemoryStore();
    const resource = await store.create('T', { metadata: { name: 'a' }, spec: {} });
    let reads = 0;
    const wrap = withConditions({ store, kind: 'T', read: async () => (reads++, resource), readNow: () => ({ value: resource }) });
    const pass = wrap(() => undefined);
    const context = { key: 'a', aborted: false, assess: () => ({ outcome: { type: 'converged' }, failureClass: undefined, failures: 0, parked: undefined, immediate: false }) };
    await pass({ key: 'a', reason: 'watch' }, context as never);
    expect(reads).toBe(0);
  });
});
