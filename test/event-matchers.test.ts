/**
 * The watch-event matchers. Regression: the README's recipe `filter: [onUpdate(generationChanged)]`
 * filtered nothing (`generationChanged` was given the old resource as if it were an event) and did
 * not type-check.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStore, defineLoop, generationChanged, onDelete, onUpdate } from 'rx-reconcile';
import type { Resource, ResourceEvent } from 'rx-reconcile';
import { SimulationScheduler } from 'rx-reconcile/testing';

const resource = (generation: number, extra: Partial<Resource['metadata']> = {}): Resource =>
  ({ kind: 'T', metadata: { name: 'a', generation, version: '1', uid: 'u', labels: {}, annotations: {}, finalizers: [], ownerReferences: [], ...extra }, spec: {}, status: undefined }) as unknown as Resource;

describe('generationChanged', () => {
  it('answers the same given the event or the old and new resource', () => {
    const cases: [Resource | undefined, Resource, boolean][] = [
      [resource(1), resource(1), false],
      [resource(1), resource(2), true],
      [undefined, resource(1), true],
      [resource(1), resource(1, { deletionTimestamp: '2026-01-01T00:00:00.000Z' }), true],
    ];
    for (const [old, now, expected] of cases) {
      expect(generationChanged(old, now)).toBe(expected);
      const event = { type: 'modified', object: now, ...(old === undefined ? {} : { old }) } as unknown as ResourceEvent;
      expect(generationChanged(event)).toBe(expected);
    }
  });

  it('onUpdate(generationChanged) keeps spec changes and drops label and status writes in a running loop', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    const a = await store.create('T', { metadata: { name: 'a' }, spec: { v: 1 } });
    const passes: string[] = [];
    const loop = defineLoop({ name: 'gen', store, kind: 'T', scheduler: sim, conditions: false, filter: [onUpdate(generationChanged), onDelete()], reconcile: (r) => void passes.push(r.reason) });
    await sim.runUntil(10);
    const labelled = await store.update({ ...a, metadata: { ...a.metadata, labels: { x: 'y' } } });
    await sim.runUntil(20);
    await store.updateStatus({ ...labelled, status: { seen: true } });
    await sim.runUntil(30);
    expect(passes).toEqual(['initial']);
    const now = (await store.get('T', 'a')) as Resource;
    await store.update({ ...now, spec: { v: 2 } });
    await sim.runUntil(40);
    expect(passes).toEqual(['initial', 'watch']);
    await loop.stop();
  });
});
