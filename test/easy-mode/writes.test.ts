/**
 * Idempotent writes (issue 14, item 3): `apply` (create-or-update, a no-op when equal),
 * `deleteIfExists`, owned children (`ensureChildren`: never touching what the owner does not own),
 * the cascade when an owner goes (and `orphan`), finalizer helpers; AlreadyExists/NotFound are
 * conflicts (re-read and retry at once), never failures that back off into quarantine.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AlreadyExistsError, Outcome, addFinalizer, apply, createMemoryStore, defineLoop, deleteIfExists, ensureChildren, NotFoundError, removeFinalizer } from 'rx-reconcile';
import { defaultClassify } from '../../src/outcome.js';
import { deleteOwnedChildren } from '../../src/children.js';
import type { MemoryStore, Resource, Store } from 'rx-reconcile';
import { SimulationScheduler } from 'rx-reconcile/testing';

/** A view of a store that counts its writes. */
function counting(store: Store): { store: Store; writes: () => number } {
  let writes = 0;
  const count = <T>(p: Promise<T>): Promise<T> => {
    writes += 1;
    return p;
  };
  return {
    writes: () => writes,
    store: {
      ...store,
      get: (k, key) => store.get(k, key),
      list: (k, o) => store.list(k, o),
      watch: (k, o) => store.watch(k, o),
      create: (k, r) => count(store.create(k, r)),
      update: (r) => count(store.update(r)),
      updateStatus: (r) => count(store.updateStatus(r)),
      delete: (k, key) => count(store.delete(k, key)),
    },
  };
}

const child = (name: string, image: string) => ({ metadata: { name }, spec: { image } });

describe('apply and deleteIfExists', () => {
  it('apply creates, then updates only what differs, then writes nothing (property over specs and labels)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.jsonValue(), fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.string({ maxLength: 5 })), async (first, second, labels) => {
        const inner = createMemoryStore();
        const { store, writes } = counting(inner);
        const a = await apply(store, 'Cfg', { metadata: { name: 'x' }, spec: first });
        expect(a.action).toBe('created');
        const b = await apply(store, 'Cfg', { metadata: { name: 'x', labels }, spec: second });
        const before = writes();
        const c = await apply(store, 'Cfg', { metadata: { name: 'x', labels }, spec: second });
        expect(c.action).toBe('unchanged');
        expect(writes()).toBe(before); // idempotent: the second apply writes nothing
        expect(c.resource).toBe(b.resource);
        expect(JSON.stringify(c.resource.spec)).toBe(JSON.stringify(JSON.parse(JSON.stringify(second ?? null))));
      }),
      { numRuns: 100 },
    );
  });

  it('apply leaves a resource being deleted alone; deleteIfExists twice is fine', async () => {
    const store = createMemoryStore();
    await store.create('Cfg', { metadata: { name: 'x', finalizers: ['f'] }, spec: 1 });
    await store.delete('Cfg', 'x');
    const applied = await apply(store, 'Cfg', { metadata: { name: 'x' }, spec: 2 });
    expect(applied).toMatchObject({ action: 'unchanged', resource: { spec: 1 } });
    await store.create('Cfg', { metadata: { name: 'y' }, spec: 1 });
    expect(await deleteIfExists(store, 'Cfg', 'y')).toBeUndefined();
    expect(await deleteIfExists(store, 'Cfg', 'y')).toBeUndefined();
    expect(await deleteIfExists(store, 'Cfg', 'never')).toBeUndefined();
  });

  it('AlreadyExistsError and NotFoundError are conflicts: the key reads again at once, it does not back off', () => {
    expect(defaultClassify(new AlreadyExistsError('A', 'a'))).toBe('conflict');
    expect(defaultClassify(new NotFoundError('A', 'a'))).toBe('conflict');
  });

  it('a naive create that runs twice (its first acknowledgement lost) converges instead of ending quarantined', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    await store.create('App', { metadata: { name: 'web' }, spec: {} });
    let first = true;
    const loop = defineLoop({
      name: 'naive', store, kind: 'App', scheduler: sim, conditions: false,
      async reconcile(request, ctx) {
        if ((await ctx.store.get('Cfg', request.key)) !== undefined && !first) return Outcome.converged();
        first = false;
        await ctx.store.create('Cfg', { metadata: { name: request.key }, spec: {} }).catch(() => undefined);
        await ctx.store.create('Cfg', { metadata: { name: request.key }, spec: {} }); // the repeat: AlreadyExists
      },
    });
    await sim.runUntil(100);
    expect(loop.snapshot().parked).toEqual([]);
    // The repeat finds the same resource: a no-op, not even a conflict.
    expect(loop.snapshot().counters.errorsByClass).toMatchObject({ conflict: 0, transient: 0 });
    await loop.stop();
  });
});

describe('repeats through ctx.store are no-ops', () => {
  it('regression: a pass that creates the same child and deletes a gone resource on every pass converges every time (it ended quarantined)', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    await store.create('App', { metadata: { name: 'web' }, spec: { v: 1 } });
    const outcomes: string[] = [];
    const loop = defineLoop({
      name: 'naive', store, kind: 'App', scheduler: sim,
      async reconcile(_request, ctx) {
        const made = await ctx.store.create('Cfg', { metadata: { name: 'web-cfg', labels: { app: 'web' } }, spec: { port: 80 } });
        expect(made.spec).toEqual({ port: 80 });
        expect(await ctx.store.delete('Cfg', 'never-there')).toBeUndefined();
      },
    });
    loop.results$.subscribe((r) => outcomes.push(r.outcome.type));
    await sim.runUntil(10);
    for (let v = 2; v <= 4; v++) {
      const app = (await store.get('App', 'web')) as Resource;
      await store.update({ ...app, spec: { v } });
      await sim.runUntil(10 * v);
    }
    expect(outcomes).toEqual(['converged', 'converged', 'converged', 'converged']);
    expect(loop.snapshot().counters.errorsByClass.conflict).toBe(0);
    expect((await store.list('Cfg')).length).toBe(1);
    await loop.stop();
  });

  it('a create that meets a different resource under the name is still an AlreadyExistsError (a conflict)', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    await store.create('Cfg', { metadata: { name: 'web-cfg' }, spec: { port: 8080 } });
    await store.create('App', { metadata: { name: 'web' }, spec: {} });
    const errors: unknown[] = [];
    const loop = defineLoop({
      name: 'clash', store, kind: 'App', scheduler: sim,
      async reconcile(_request, ctx) {
        await ctx.store.create('Cfg', { metadata: { name: 'web-cfg' }, spec: { port: 80 } }).catch((error: unknown) => errors.push(error));
      },
    });
    await sim.runUntil(10);
    expect(errors[0]).toBeInstanceOf(AlreadyExistsError);
    await loop.stop();
  });
});

describe('owned children', () => {
  it('ensureChildren creates, updates and deletes its own children, and a second call writes nothing', async () => {
    const inner = createMemoryStore();
    const { store, writes } = counting(inner);
    const owner = await inner.create('App', { metadata: { name: 'web' }, spec: {} });
    const r1 = await ensureChildren(store, owner, 'Pod', [child('web-0', 'v1'), child('web-1', 'v1')]);
    expect(r1).toMatchObject({ created: ['web-0', 'web-1'], deleted: [] });
    const r2 = await ensureChildren(store, owner, 'Pod', [child('web-0', 'v2')]);
    expect(r2).toMatchObject({ updated: ['web-0'], deleted: ['web-1'] });
    const before = writes();
    const r3 = await ensureChildren(store, owner, 'Pod', [child('web-0', 'v2')]);
    expect(r3).toMatchObject({ unchanged: ['web-0'], created: [], updated: [], deleted: [] });
    expect(writes()).toBe(before);
    const pod = await inner.get('Pod', 'web-0');
    expect(pod?.metadata.ownerReferences).toEqual([{ kind: 'App', name: 'web', uid: owner.metadata.uid, controller: true }]);
  });

  it('regression: children of a namespaced owner live in its namespace, so stale ones are deleted and the cascade finds them (they were left behind)', async () => {
    const store = createMemoryStore();
    const owner = await store.create('App', { metadata: { name: 'web', namespace: 'shop' }, spec: {} });
    expect(await ensureChildren(store, owner, 'Pod', [child('web-0', 'v1'), child('web-1', 'v1')])).toMatchObject({ created: ['shop/web-0', 'shop/web-1'] });
    expect((await store.list('Pod')).map((p) => p.metadata.namespace)).toEqual(['shop', 'shop']);
    expect(await ensureChildren(store, owner, 'Pod', [child('web-0', 'v1')])).toMatchObject({ unchanged: ['shop/web-0'], deleted: ['shop/web-1'] });
    expect(await ensureChildren(store, owner, 'Pod', [{ metadata: { name: 'web-0', namespace: 'shop' }, spec: { image: 'v1' } }])).toMatchObject({ unchanged: ['shop/web-0'] });
    expect(await deleteOwnedChildren(store, owner, ['Pod'])).toEqual(['Pod/shop/web-0']); // the cascade
    expect(await store.list('Pod')).toEqual([]);
  });

  it('refuses, before writing anything, a list that is not an array of resources, a child in another namespace, or a key given twice', async () => {
    const inner = createMemoryStore();
    const { store, writes } = counting(inner);
    const owner = await inner.create('App', { metadata: { name: 'web', namespace: 'shop' }, spec: {} });
    const before = writes();
    const bad: [unknown, RegExp][] = [
      ['nope', /children must be an array/],
      [null, /children must be an array/],
      [[child('a', 'v1'), 42], /children\[1\] must be a resource/],
      [[child('a', 'v1'), { spec: {} }], /children\[1\] must be a resource/],
      [[{ metadata: { name: '' }, spec: {} }], /children\[0\]\.metadata\.name must be a non-empty string/],
      [[{ metadata: { name: 'x/y' }, spec: {} }], /without "\/"/],
      [[child('a', 'v1'), { metadata: { name: 'b', namespace: 'other' }, spec: {} }], /children\[1\] is in namespace "other".*leave metadata\.namespace out/],
      [[child('a', 'v1'), child('b', 'v1'), child('a', 'v2')], /children\[2\] is "shop\/a" again/],
    ];
    for (const [children, message] of bad) {
      await expect(ensureChildren(store, owner, 'Pod', children as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) });
    }
    expect(writes()).toBe(before);
    expect(await inner.list('Pod')).toEqual([]);
  });

  it('never deletes or takes over what the owner does not own (property over siblings and foreign children)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { maxLength: 5 }),
        fc.uniqueArray(fc.constantFrom('f', 'g', 'h'), { maxLength: 3 }),
        fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { maxLength: 5 }),
        async (first, foreign, second) => {
          const store = createMemoryStore();
          const mine = await store.create('App', { metadata: { name: 'mine' }, spec: {} });
          const theirs = await store.create('App', { metadata: { name: 'theirs' }, spec: {} });
          await ensureChildren(store, theirs, 'Pod', foreign.map((n) => child(n, 'theirs')));
          await store.create('Pod', { metadata: { name: 'loose' }, spec: { image: 'nobody' } }); // no owner
          await ensureChildren(store, mine, 'Pod', first.map((n) => child(n, 'v1')));
          await ensureChildren(store, mine, 'Pod', second.map((n) => child(n, 'v2')));
          const pods = await store.list('Pod');
          const names = pods.map((p) => p.metadata.name).sort();
          expect(names).toEqual([...second, ...foreign, 'loose'].sort());
          for (const f of foreign) expect((await store.get<{ image: string }>('Pod', f))?.spec.image).toBe('theirs');
          expect((await store.get('Pod', 'loose'))?.metadata.ownerReferences).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a child controlled by another owner is refused, not taken over', async () => {
    const store = createMemoryStore();
    const mine = await store.create('App', { metadata: { name: 'mine' }, spec: {} });
    const theirs = await store.create('App', { metadata: { name: 'theirs' }, spec: {} });
    await ensureChildren(store, theirs, 'Pod', [child('shared', 'theirs')]);
    await expect(ensureChildren(store, mine, 'Pod', [child('shared', 'mine')])).rejects.toThrow(/controlled by App "theirs"/);
    expect((await store.get<{ image: string }>('Pod', 'shared'))?.spec.image).toBe('theirs');
  });

  it('regression: two owners racing for one child name cannot both win (the second took it over)', async () => {
    for (let round = 0; round < 20; round++) {
      const store = createMemoryStore();
      const a = await store.create('App', { metadata: { name: 'a' }, spec: {} });
      const b = await store.create('App', { metadata: { name: 'b' }, spec: {} });
      const results = await Promise.allSettled([ensureChildren(store, a, 'Pod', [child('shared', 'a')]), ensureChildren(store, b, 'Pod', [child('shared', 'b')])]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const winner = results[0]?.status === 'fulfilled' ? 'a' : 'b';
      const pod = await store.get<{ image: string }>('Pod', 'shared');
      expect(pod?.spec.image).toBe(winner);
      expect(pod?.metadata.ownerReferences.filter((r) => r.controller === true).map((r) => r.name)).toEqual([winner]);
    }
  });

  it('regression: an owner deleted and created again under its name replaces the earlier life\'s children (it was stuck for good, and they were left behind)', async () => {
    const store = createMemoryStore();
    const first = await store.create('App', { metadata: { name: 'web' }, spec: {} });
    await ensureChildren(store, first, 'Pod', [child('web-0', 'v1'), child('web-old', 'v1')]);
    await store.delete('App', 'web');
    const second = await store.create('App', { metadata: { name: 'web' }, spec: {} });
    const report = await ensureChildren(store, second, 'Pod', [child('web-0', 'v2')]);
    expect([...report.deleted].sort()).toEqual(['web-0', 'web-old']);
    expect(report.created).toEqual(['web-0']);
    const pods = await store.list<{ image: string }>('Pod');
    expect(pods.map((p) => [p.metadata.name, p.spec.image, p.metadata.ownerReferences[0]?.uid])).toEqual([['web-0', 'v2', second.metadata.uid]]);
    expect(await ensureChildren(store, second, 'Pod', [child('web-0', 'v2')])).toMatchObject({ created: [], updated: [], deleted: [] });
  });

  it('regression: a child another owner controls is never deleted by an owner it only names, by ensureChildren or the cascade; it loses that owner\'s reference', async () => {
    const store = createMemoryStore();
    const a = await store.create('App', { metadata: { name: 'a' }, spec: {} });
    const b = await store.create('App', { metadata: { name: 'b' }, spec: {} });
    await ensureChildren(store, a, 'Pod', [child('shared-1', 'a'), child('shared-2', 'a')]);
    // b is named as a second (non-controller) owner of both.
    for (const name of ['shared-1', 'shared-2']) {
      const pod = (await store.get('Pod', name)) as Resource;
      await store.update({ ...pod, metadata: { ...pod.metadata, ownerReferences: [...pod.metadata.ownerReferences, { kind: 'App', name: 'b', uid: b.metadata.uid }] } });
    }
    const report = await ensureChildren(store, b, 'Pod', []);
    expect(report.deleted).toEqual([]);
    expect((await store.get('Pod', 'shared-1'))?.metadata.ownerReferences.map((r) => r.name)).toEqual(['a']);
    await store.delete('App', 'b');
    expect(await deleteOwnedChildren(store, { kind: 'App', metadata: { name: 'b' } }, ['Pod'])).toEqual([]);
    expect((await store.list('Pod')).map((p) => p.metadata.name).sort()).toEqual(['shared-1', 'shared-2']);
    // Once a, the last owner, is gone too, the cascade deletes them.
    await store.delete('App', 'a');
    expect((await deleteOwnedChildren(store, { kind: 'App', metadata: { name: 'a' } }, ['Pod'])).sort()).toEqual(['Pod/shared-1', 'Pod/shared-2']);
    expect(await store.list('Pod')).toEqual([]);
  });

  it('deleting an owner deletes its owned children (cascade); with orphan: true they stay', async () => {
    for (const orphan of [false, true]) {
      const sim = new SimulationScheduler();
      const store: MemoryStore = createMemoryStore({ scheduler: sim });
      await store.create('App', { metadata: { name: 'web' }, spec: { replicas: 2 } });
      await store.create('Pod', { metadata: { name: 'other' }, spec: {} });
      const loop = defineLoop<{ replicas: number }, unknown>({
        name: 'apps', store, kind: 'App', scheduler: sim, owns: ['Pod'], orphan,
        async reconcile(_request, ctx) {
          const app = await ctx.get();
          if (app === undefined) return;
          await ctx.ensureChildren('Pod', Array.from({ length: app.spec.replicas }, (_, i) => child(`web-${i}`, 'v1')));
        },
      });
      await sim.runUntil(10);
      expect((await store.list('Pod')).map((p) => p.metadata.name).sort()).toEqual(['other', 'web-0', 'web-1']);
      await store.delete('App', 'web');
      await sim.runUntil(20);
      const left = (await store.list('Pod')).map((p) => p.metadata.name).sort();
      expect(left).toEqual(orphan ? ['other', 'web-0', 'web-1'] : ['other']);
      await loop.stop();
    }
  });

  it('a changed child triggers its owner (owns is a dependency, like Owns())', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    await store.create('App', { metadata: { name: 'web' }, spec: {} });
    const reasons: string[] = [];
    const loop = defineLoop({
      name: 'apps', store, kind: 'App', scheduler: sim, owns: ['Pod'],
      async reconcile(request, ctx) {
        reasons.push(request.reason);
        if ((await ctx.get()) !== undefined) await ctx.ensureChildren('Pod', [child('web-0', 'v1')]);
      },
    });
    await sim.runUntil(10);
    const before = reasons.length; // the child it created came back as a dependency trigger: one check
    const pod = (await store.get('Pod', 'web-0')) as Resource;
    await store.update({ ...pod, spec: { image: 'tampered' } });
    await sim.runUntil(20);
    expect(reasons[before]).toBe('dependency'); // someone changed the child: the owner ran
    expect((await store.get<{ image: string }>('Pod', 'web-0'))?.spec.image).toBe('v1'); // and put it back
    expect(loop.snapshot().depth).toBe(0);
    await loop.stop();
  });
});

describe('finalizer helpers', () => {
  it('addFinalizer and removeFinalizer are idempotent; removing the last one of a deleting resource finishes the delete', async () => {
    const store = createMemoryStore();
    const created = await store.create('T', { metadata: { name: 'a' }, spec: {} });
    const one = await addFinalizer(store, created, 'f');
    expect(await addFinalizer(store, one, 'f')).toBe(one);
    await store.delete('T', 'a');
    const deleting = (await store.get('T', 'a')) as Resource;
    expect(await removeFinalizer(store, deleting, 'f')).toBeUndefined();
    expect(await store.get('T', 'a')).toBeUndefined();
    expect(await removeFinalizer(store, deleting, 'f')).toBeUndefined(); // gone already: fine
  });

  it('a loop that adds its finalizer by hand shows it in usage() (for describeLoops)', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    await store.create('T', { metadata: { name: 'a' }, spec: {} });
    const loop = defineLoop({
      name: 'byhand', store, kind: 'T', scheduler: sim,
      async reconcile(_request, ctx) {
        const t = await ctx.get();
        if (t) await ctx.store.update({ ...t, metadata: { ...t.metadata, finalizers: ['byhand.example.com/cleanup'] } });
      },
    });
    await sim.runUntil(10);
    expect([...loop.usage().finalizers]).toEqual(['byhand.example.com/cleanup']);
    expect(loop.snapshot().counters.passes).toBe(1); // its own metadata write was no trigger
    await loop.stop();
  });
});
