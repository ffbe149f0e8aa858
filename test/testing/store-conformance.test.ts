/**
 * checkStoreConformance catches broken stores: each store below breaks one promise of the contract
 * (built by wrapping the memory store), and the suite must fail naming that promise, with a
 * counterexample and a seed that replays it.
 */
import { describe, expect, it } from 'vitest';
import { filter } from 'rxjs';
import { ConflictError, createMemoryStore } from 'rx-reconcile';
import type { Resource, Store } from 'rx-reconcile';
import type { WatchOptions } from '../../src/types.js';
import { StoreConformanceError, checkStoreConformance } from 'rx-reconcile/testing';
import type { MakeStore } from '../../testing/store-harness.js';

/** A factory of memory stores with some methods replaced. */
function broken(change: (inner: Store) => Partial<Store>): MakeStore {
  return ({ kinds, history }) => {
    const inner = createMemoryStore({ kinds, ...(history === undefined ? {} : { history }) });
    const store: Store = {
      get: (kind, key) => inner.get(kind, key),
      list: (kind, options) => inner.list(kind, options),
      create: (kind, resource) => inner.create(kind, resource),
      update: (resource) => inner.update(resource),
      updateStatus: (resource) => inner.updateStatus(resource),
      delete: (kind, key) => inner.delete(kind, key),
      watch: (kind, options) => inner.watch(kind, options),
      ...change(inner),
    } as Store;
    return { store };
  };
}

const fresh = async (inner: Store, resource: Resource): Promise<Resource> => (await inner.get(resource.kind, resource.metadata.name)) ?? resource;

const bugs: [string, string, MakeStore][] = [
  [
    'update ignores the version (no compare-and-set)',
    'update and updateStatus are compare-and-set on metadata.version',
    broken((inner) => ({
      update: async (r) => inner.update({ ...r, metadata: { ...r.metadata, version: (await fresh(inner, r)).metadata.version } }),
    })),
  ],
  [
    'updateStatus writes an equal status anyway',
    'a write that changes nothing is not written (no new version, no event)',
    broken((inner) => ({
      updateStatus: (async (r: Resource) => {
        const written = await inner.updateStatus(r);
        if (written.metadata.version !== r.metadata.version) return written;
        const touched = await inner.updateStatus({ ...written, status: { touched: true } });
        return inner.updateStatus({ ...touched, status: r.status });
      }) as Store['updateStatus'],
    })),
  ],
  [
    'delete ignores finalizers',
    'delete waits for finalizers, and the last finalizer removed deletes',
    broken((inner) => ({
      delete: async (kind, key) => {
        const r = await inner.get(kind, key);
        if (r !== undefined && r.metadata.finalizers.length > 0) await inner.update({ ...r, metadata: { ...r.metadata, finalizers: [] } });
        return inner.delete(kind, key);
      },
    })),
  ],
  [
    'watch never says synced',
    'writes, lists and watches follow the reference store',
    broken((inner) => ({ watch: ((kind: string, options?: WatchOptions) => inner.watch(kind, options).pipe(filter((e) => e.type !== 'synced'))) as Store['watch'] })),
  ],
  [
    'resume skips the first change after the revision',
    'watch resumes after a revision with exactly the later changes',
    broken((inner) => ({
      watch: (kind, options) => inner.watch(kind, options?.sinceRevision === undefined ? options : { sinceRevision: options.sinceRevision + 1 }),
    })),
  ],
  [
    'a cyclic or oversized spec is stored as {}',
    'bad input is refused with a typed error and stores nothing',
    broken((inner) => ({
      create: (kind, resource) =>
        inner.create(kind, resource).catch((error: { code?: string }) => {
          if (error.code === 'INVALID_ARGUMENT' || error.code === 'TOO_LARGE') return inner.create(kind, { metadata: resource.metadata, spec: {} });
          throw error;
        }) as never,
    })),
  ],
  [
    'update checks the version, then writes after an await (a race window)',
    'racing updates of one version: exactly one wins',
    broken((inner) => ({
      update: async (r) => {
        const current = await fresh(inner, r);
        if (current.metadata.version !== r.metadata.version) throw new ConflictError(r.kind, r.metadata.name, r.metadata.version, current.metadata.version);
        await new Promise((resolve) => setTimeout(resolve, 0));
        return inner.update({ ...r, metadata: { ...r.metadata, version: (await fresh(inner, r)).metadata.version } });
      },
    })),
  ],
];

describe('checkStoreConformance finds broken stores', () => {
  for (const [bug, property, make] of bugs) {
    it(`${bug}: fails "${property}" with a counterexample and a seed`, async () => {
      const error = await checkStoreConformance(make, { only: [property], numRuns: 40 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreConformanceError);
      const failure = error as StoreConformanceError;
      expect(failure.code).toBe('STORE_NOT_CONFORMANT');
      expect(failure.details.property).toBe(property);
      expect(failure.message).toContain('counterexample:');
      expect(failure.message).toMatch(/seed: -?\d+/);
      // The printed seed and path replay the same failure.
      await expect(
        checkStoreConformance(make, { only: [property], seed: failure.details.seed, path: failure.details.path }),
      ).rejects.toBeInstanceOf(StoreConformanceError);
    });
  }

  it('a store factory that throws fails the check with the factory error named', async () => {
    const error = await checkStoreConformance(() => {
      throw new Error('no database');
    }, { only: ['generation bumps on spec changes only'] }).catch((e: unknown) => e);
    expect(String((error as Error).message)).toMatch(/no database/);
  });

  it('properties a factory cannot serve are reported as skipped, with the reason', async () => {
    const report = await checkStoreConformance(({ kinds }) => ({ store: createMemoryStore({ kinds }) }), {
      only: ['a compacted revision fails the watch with CompactedError', 'a second handle on the same data sees writes and keeps compare-and-set'],
    });
    expect(report.properties.map((p) => p.skipped)).toEqual(['the factory does not declare capabilities.history', 'the factory offers no openSecond']);
  });
});
