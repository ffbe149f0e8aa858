/**
 * The simulated loop is the production loop: the same definition runs the same passes in `simulate`
 * as on a plain memory store with the same clock (no pass added by the kit's recording, none lost).
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStore, defineLoop } from 'rx-reconcile';
import type { PassResult } from 'rx-reconcile';
import { SimulationScheduler, memoryWorld, simulate } from 'rx-reconcile/testing';
import type { LoopDefinition } from 'rx-reconcile/testing';
import type { DesiredResource } from '../../testing/definition.js';
import { itemLoop, mirror } from './loops.js';

/**
 * Passes as `key reason → outcome @ time`. Compared sorted: passes of different keys at one virtual
 * instant may finish in another order (the kit's world wrappers take a few more microtasks), which
 * changes nothing a loop may depend on; the passes themselves must be the same.
 */
const line = (p: { key: string; reason: string; outcome: string; at: number }) => `${p.key} ${p.reason} → ${p.outcome} @${p.at}`;

async function production<Spec, Status, V, C, T>(
  definition: LoopDefinition<Spec, Status, V, C, T>,
  desired: readonly DesiredResource<Spec, Status>[],
  current: Record<string, V>,
  until: number,
): Promise<string[]> {
  const scheduler = new SimulationScheduler();
  const store = createMemoryStore({ scheduler, ...(definition.kinds ? { kinds: definition.kinds } : {}) });
  const world = (definition.world ?? ((initial) => memoryWorld(initial)))(current);
  const spec = definition.loop({ store, scheduler, world });
  const kind = typeof spec.kind === 'string' ? spec.kind : spec.kind.name;
  for (const { deleted, ...resource } of desired) {
    await store.create(kind, resource);
    if (deleted === true) await store.delete(kind, resource.metadata.name);
  }
  const loop = defineLoop({ ...spec, store, scheduler } as Parameters<typeof defineLoop>[0]);
  const passes: string[] = [];
  loop.results$.subscribe((r: PassResult) => passes.push(line({ key: r.key, reason: r.request.reason, outcome: r.outcome.type, at: r.finishedAt })));
  await scheduler.runUntil(until);
  void loop.stop({ deadline: 0 });
  await scheduler.runUntil(until + 1);
  return passes;
}

describe('simulate runs the production loop', () => {
  it('the same passes as on a plain memory store: finalizer, status and conditions writes included', async () => {
    const desired = [
      { metadata: { name: 'a' }, spec: { size: 1 } },
      { metadata: { name: 'b', finalizers: ['test.rx-reconcile/item'] }, spec: { size: 2 } },
      { metadata: { name: 'c', finalizers: ['test.rx-reconcile/item'] }, spec: { size: 3 }, deleted: true },
    ];
    const current = { b: 5, c: 3 };
    const real = await production(itemLoop(), desired, current, 100_000);
    const simulated = await simulate(itemLoop(), { desired, current, until: 100_000 });
    expect(simulated.trace.passes.map(line).sort()).toEqual(real.sort());
    expect(real.length).toBeGreaterThan(6);
  });

  it('the same passes for a phase loop', async () => {
    const desired = [{ metadata: { name: 'all' }, spec: { items: { x: 1, y: 2 } } }];
    const real = await production(mirror, desired, { z: 3 }, 70_000);
    const simulated = await simulate(mirror, { desired, current: { z: 3 }, until: 70_000 });
    expect(simulated.trace.passes.map(line).sort()).toEqual(real.sort());
  });
});
