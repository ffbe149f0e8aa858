/**
 * Loops for the testing kit's own tests: correct ones, and deliberately broken variants with the
 * classic reconcile bugs (write storm, non-idempotent create, oscillation, blind delete).
 */
import fc from 'fast-check';
import { Backoff, NotFoundError, Outcome, setDiff } from 'rx-reconcile';
import { idempotencyKeyOf } from '../../src/diff.js';
import type { Resource } from 'rx-reconcile';
import { loopDefinition, memoryWorld } from 'rx-reconcile/testing';
import type { DesiredResource } from '../../testing/definition.js';
import type { Items } from '../../testing/world.js';

export const FINALIZER = 'test.rx-reconcile/item';
const NAMES = ['a', 'b', 'c'] as const;

// ---------------------------------------------------------------------------------------------
// 1. A phase loop: one `Mirror` resource holds the items the world must have (set-diff).

export interface MirrorSpec {
  readonly items: Readonly<Record<string, number>>;
}

export const mirror = loopDefinition<MirrorSpec, unknown, number, Items<number>, number>({
  loop: ({ world }) => ({
    name: 'mirror',
    kind: 'Mirror',
    resync: 30_000,
    observe: () => world.read(),
    compare: (desired, current) =>
      setDiff(desired === undefined || desired.metadata.deletionTimestamp !== undefined ? {} : desired.spec.items, current ?? {}),
    correct: (correction) => world.apply(correction),
  }),
  expected: (resources) => resources[0]?.spec.items ?? {},
});

const itemsArb = fc.dictionary(fc.constantFrom('x', 'y', 'z'), fc.nat(9), { maxKeys: 3 });
export const mirrorDesired = itemsArb.map((items): DesiredResource<MirrorSpec>[] => [{ metadata: { name: 'all' }, spec: { items } }]);
export const mirrorCurrent = itemsArb;

// ---------------------------------------------------------------------------------------------
// 2. A Halo-style loop: one world item per `Item`, a finalizer for cleanup, a status.
//    The world stands for an API that assigns ids: a create with an unknown key always makes a new
//    thing, and deleting a missing thing is an error (404).

export interface ItemSpec {
  readonly size: number;
}
export interface ItemStatus {
  phase?: string;
  lastReconciled?: string;
  observedGeneration?: number;
}

export interface ItemBugs {
  /** Write storm: stamps the time of every pass on the status. */
  readonly stampTime?: boolean;
  /** Non-idempotent create: a fresh idempotency key per pass, so a retry is a second create. */
  readonly freshCreateKey?: boolean;
  /** Blind delete: cleanup deletes and fails when the thing does not exist (a 404 is not taken as done). */
  readonly blindDelete?: boolean;
}

const live = (r: Resource<ItemSpec, ItemStatus>) => r.metadata.deletionTimestamp === undefined;

export function itemLoop(bugs: ItemBugs = {}) {
  return loopDefinition<ItemSpec, ItemStatus, number>({
    loop: ({ world, store }) => ({
      name: 'items',
      kind: 'Item',
      resync: 30_000,
      async reconcile(_request, ctx) {
        let item = await ctx.get();
        if (item === undefined) return Outcome.converged();
        const name = item.metadata.name;
        if (!live(item)) {
          // Delete, and take "not found" as done: a read first could be stale (the thing was just
          // created, the read does not show it yet), and skipping the delete on it leaks the thing.
          const deletion = world.apply({ action: 'delete', target: name, idempotencyKey: idempotencyKeyOf(name, 'delete', name, undefined) });
          await (bugs.blindDelete ? deletion : deletion.catch((error: unknown) => {
            if (!(error instanceof NotFoundError)) throw error;
          }));
          if (item.metadata.finalizers.includes(FINALIZER)) {
            await store.update({ ...item, metadata: { ...item.metadata, finalizers: item.metadata.finalizers.filter((f) => f !== FINALIZER) } });
          }
          return Outcome.converged();
        }
        if (!item.metadata.finalizers.includes(FINALIZER)) {
          // Finalizer first, so a delete can never skip the cleanup; then go on with the stored copy.
          item = await store.update({ ...item, metadata: { ...item.metadata, finalizers: [...item.metadata.finalizers, FINALIZER] } });
        }
        const have = await world.get(name);
        if (have === undefined) {
          // A client token per item, not per value: a create retried after a stale read — even once
          // the spec changed — is the same create, so the API (which assigns ids) makes one thing.
          const idempotencyKey = bugs.freshCreateKey ? ctx.reconcileId : idempotencyKeyOf(name, 'create', name, undefined);
          await world.apply({ action: 'create', target: name, value: item.spec.size, idempotencyKey });
        } else if (have !== item.spec.size) {
          await world.apply({ action: 'update', target: name, value: item.spec.size, idempotencyKey: idempotencyKeyOf(name, 'update', name, item.spec.size) });
        }
        await ctx.updateStatus(item, (status) => {
          status.phase = 'Ready';
          if (bugs.stampTime) status.lastReconciled = ctx.now();
        });
        return Outcome.converged();
      },
    }),
    world: (initial) => memoryWorld(initial, { onCreateExisting: 'duplicate' }),
    expected: (items) => Object.fromEntries(items.filter(live).map((r) => [r.metadata.name, r.spec.size])),
    ready: (r) =>
      !live(r) ? 'still being deleted' : r.status?.phase !== 'Ready' ? `phase is ${String(r.status?.phase)}` : r.status.observedGeneration !== r.metadata.generation ? 'status is behind the spec' : true,
  });
}

/** Every name has a resource (live, or being deleted with the finalizer): the world holds no orphans. */
export const itemDesired = fc
  .tuple(...NAMES.map((name) => fc.record({ size: fc.nat(9), state: fc.constantFrom('new', 'adopted', 'deleting') }).map((r) => ({ name, ...r }))))
  .map((rs): DesiredResource<ItemSpec, ItemStatus>[] =>
    rs.map(({ name, size, state }) => ({
      metadata: { name, ...(state === 'new' ? {} : { finalizers: [FINALIZER] }) },
      spec: { size },
      ...(state === 'deleting' ? { deleted: true } : {}),
    })),
  );
export const itemCurrent = fc.dictionary(fc.constantFrom(...NAMES), fc.nat(9), { maxKeys: 3 });

// ---------------------------------------------------------------------------------------------
// 3. A phase loop that scales a world counter toward `replicas`, two steps at a time at most.
//    The broken one always steps by two: it overshoots, and flips around an odd distance forever.

export interface ScaleSpec {
  readonly replicas: number;
}

export function scaleLoop(bugs: { readonly overshoot?: boolean } = {}) {
  return loopDefinition<ScaleSpec, unknown, number, number | undefined, number>({
    loop: ({ world }) => ({
      name: 'scale',
      kind: 'Scale',
      resync: 30_000,
      // Each step of two is a pass whose verify retries until the world caught up, so progress
      // counts as failures: a retry budget for a distance of 6 plus the faults on the way.
      backoff: Backoff.exponential({ initial: 1000, factor: 2, steps: 12, cap: 30_000 }),
      observe: (key) => world.get(key),
      compare: (desired, current, key) => {
        if (desired === undefined) return [];
        const target = desired.spec.replicas;
        if (current === undefined) return [{ action: 'create', target: key, value: target }];
        if (current === target) return [];
        const step = bugs.overshoot ? 2 : Math.min(2, Math.abs(target - current));
        return [{ action: 'update', target: key, value: current < target ? current + step : current - step }];
      },
      correct: (correction) => world.apply(correction),
    }),
    world: (initial) => memoryWorld(initial, { onCreateExisting: 'replace' }),
    expected: (rs) => Object.fromEntries(rs.map((r) => [r.metadata.name, r.spec.replicas])),
  });
}

/** Both names always have a resource: the world holds no orphans. */
export const scaleDesired = fc
  .tuple(fc.nat(6), fc.nat(6))
  .map(([web, db]): DesiredResource<ScaleSpec>[] => [
    { metadata: { name: 'web' }, spec: { replicas: web } },
    { metadata: { name: 'db' }, spec: { replicas: db } },
  ]);
export const scaleCurrent = fc.dictionary(fc.constantFrom('web', 'db'), fc.nat(6), { maxKeys: 2 });
