/**
 * The cascade survives a restart (issue 14, item 3): the child kinds a loop made with
 * `ctx.ensureChildren` are recorded in its ledger store, so a restarted loop without `owns` still
 * deletes the children of an owner deleted after the restart, and of one deleted while it was down.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryStore, defineLoop } from 'rx-reconcile';
import type { Loop, Logger, MemoryStore, Store } from 'rx-reconcile';

type LogFields = Parameters<Logger['warn']>[0];
import { SimulationScheduler } from 'rx-reconcile/testing';
import { CHILD_KINDS_KIND, childKindsName } from '../../operators/loop/child-kinds.js';

const child = (name: string) => ({ metadata: { name }, spec: { image: 'v1' } });

/**
 * A loop on App that keeps `replicas` Pods (and, with `alsoConfig`, one Config) per App; no `owns`.
 * Like many real loops it skips the work its status says is done (`made`), so a restarted loop need
 * not call `ensureChildren` again before an owner goes.
 */
function appLoop(store: Store, sim: SimulationScheduler, extra: { orphan?: boolean; logger?: Logger; alsoConfig?: boolean } = {}): Loop {
  return defineLoop<{ replicas: number }, { made?: number }>({
    name: 'apps',
    store,
    kind: 'App',
    scheduler: sim,
    ...(extra.orphan === undefined ? {} : { orphan: extra.orphan }),
    ...(extra.logger === undefined ? {} : { logger: extra.logger }),
    async reconcile(_request, ctx) {
      const app = await ctx.get();
      if (app === undefined) return;
      if (app.status?.made === app.spec.replicas) return;
      const name = app.metadata.name;
      await ctx.ensureChildren('Pod', Array.from({ length: app.spec.replicas }, (_, i) => child(`${name}-${i}`)));
      if (extra.alsoConfig === true) await ctx.ensureChildren('Config', [child(`${name}-config`)]);
      await ctx.updateStatus(app, (status) => void (status.made = app.spec.replicas));
    },
  });
}

const names = async (store: Store, kind: string): Promise<string[]> => (await store.list(kind)).map((r) => r.metadata.name).sort();

/** Warnings a loop logged, by message. */
function capture(): { logger: Logger; warnings: { fields: LogFields; message: string }[] } {
  const warnings: { fields: LogFields; message: string }[] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn: (fields, message) => void warnings.push({ fields, message }),
    error: (fields, message) => void warnings.push({ fields, message }),
    child: () => logger,
  };
  return { logger, warnings };
}

async function firstRun(store: MemoryStore, sim: SimulationScheduler, options: { orphan?: boolean; alsoConfig?: boolean } = {}): Promise<void> {
  await store.create('App', { metadata: { name: 'web' }, spec: { replicas: 2 } });
  await store.create('App', { metadata: { name: 'api' }, spec: { replicas: 1 } });
  await store.create('Pod', { metadata: { name: 'loose' }, spec: {} }); // no owner: never touched
  const loop = appLoop(store, sim, options);
  await sim.runUntil(10);
  expect(await names(store, 'Pod')).toEqual(['api-0', 'loose', 'web-0', 'web-1']);
  await loop.stop();
}

describe('the cascade after a restart (child kinds recorded)', () => {
  it('regression: an owner deleted after a restart takes its children with it, without owns (they were left behind: the kinds were known only in memory)', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    await firstRun(store, sim);
    const loop = appLoop(store, sim); // the restart: a new loop, nothing learned in memory
    await sim.runUntil(20);
    await store.delete('App', 'web');
    await sim.runUntil(30);
    expect(await names(store, 'Pod')).toEqual(['api-0', 'loose']);
    await loop.stop();
  });

  it('an owner deleted while the loop was down: its children are deleted when the loop starts again; other owners\' children stay', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    await firstRun(store, sim, { alsoConfig: true });
    expect(await names(store, 'Config')).toEqual(['api-config', 'web-config']);
    await store.delete('App', 'web'); // nobody is watching
    expect(await names(store, 'Pod')).toEqual(['api-0', 'loose', 'web-0', 'web-1']);
    const loop = appLoop(store, sim, { alsoConfig: true });
    await sim.runUntil(30);
    expect(await names(store, 'Pod')).toEqual(['api-0', 'loose']);
    expect(await names(store, 'Config')).toEqual(['api-config']);
    expect(loop.snapshot().depth).toBe(0);
    await loop.stop();
  });

  it('records each kind once, sorted, under the loop\'s name; a second pass or run writes no record again', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    await firstRun(store, sim, { alsoConfig: true });
    const record = await store.get(CHILD_KINDS_KIND, childKindsName('apps'));
    expect(record?.spec).toEqual({ loop: 'apps', kinds: ['Config', 'Pod'] });
    const version = record?.metadata.version;
    const loop = appLoop(store, sim, { alsoConfig: true });
    await sim.runUntil(20);
    await store.update({ ...((await store.get('App', 'web'))!), spec: { replicas: 3 } });
    await sim.runUntil(30);
    expect(await names(store, 'Pod')).toContain('web-2');
    expect((await store.get(CHILD_KINDS_KIND, childKindsName('apps')))?.metadata.version).toBe(version);
    await loop.stop();
  });

  it('with orphan: true nothing is recorded and nothing is deleted after a restart', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    await firstRun(store, sim, { orphan: true });
    expect(await store.list(CHILD_KINDS_KIND)).toEqual([]);
    await store.delete('App', 'web');
    const loop = appLoop(store, sim, { orphan: true });
    await sim.runUntil(30);
    expect(await names(store, 'Pod')).toEqual(['api-0', 'loose', 'web-0', 'web-1']);
    await loop.stop();
  });

  it('a record written by someone else with junk in it (not a list, non-strings, an empty kind) does not stop the loop; the kinds it names are used', async () => {
    for (const kinds of ['Pod', 42, null, [1, '', null, 'Pod', { kind: 'Pod' }], { length: 1, 0: 'Pod' }]) {
      const sim = new SimulationScheduler();
      const store = createMemoryStore({ scheduler: sim });
      await store.create(CHILD_KINDS_KIND, { metadata: { name: childKindsName('apps') }, spec: { loop: 'apps', kinds } });
      await store.create('App', { metadata: { name: 'web' }, spec: { replicas: 1 } });
      await store.create('Pod', { metadata: { name: 'gone-0', ownerReferences: [{ kind: 'App', name: 'gone', controller: true }] }, spec: {} });
      const { logger, warnings } = capture();
      const loop = appLoop(store, sim, { logger });
      await sim.runUntil(30);
      const swept = Array.isArray(kinds) && kinds.includes('Pod');
      expect(await names(store, 'Pod')).toEqual(swept ? ['web-0'] : ['gone-0', 'web-0']);
      // The loop's own first pass records Pod beside what was there.
      expect((await store.get<{ kinds: string[] }>(CHILD_KINDS_KIND, childKindsName('apps')))?.spec.kinds).toContain('Pod');
      expect(warnings).toEqual([]);
      expect(loop.health().state).toBe('running');
      await loop.stop();
    }
  });

  it('a recorded kind the store cannot list is logged and skipped; the other kinds are still swept', async () => {
    const sim = new SimulationScheduler();
    const inner = createMemoryStore({ scheduler: sim });
    const store: Store = {
      ...inner,
      list: (kind, options) => (kind === 'Broken' ? Promise.reject(new Error('no such table')) : inner.list(kind, options)),
    };
    await inner.create(CHILD_KINDS_KIND, { metadata: { name: childKindsName('apps') }, spec: { loop: 'apps', kinds: ['Broken', 'Pod'] } });
    await inner.create('Pod', { metadata: { name: 'gone-0', ownerReferences: [{ kind: 'App', name: 'gone', controller: true }] }, spec: {} });
    const { logger, warnings } = capture();
    const loop = appLoop(store, sim, { logger });
    await sim.runUntil(30);
    expect(await names(inner, 'Pod')).toEqual([]); // the cascade too went on past the kind it could not list
    expect(warnings.map((w) => w.message)).toContain('Child kind not listed: owners gone while the loop was down are not swept for it');
    await loop.stop();
  });

  it('a store that fails the start-up read is retried with the loop\'s backoff, and the sweep then runs', async () => {
    const sim = new SimulationScheduler();
    const inner = createMemoryStore({ scheduler: sim });
    let failures = 2;
    const store: Store = {
      ...inner,
      get: (kind, key) => (kind === CHILD_KINDS_KIND && failures-- > 0 ? Promise.reject(new Error('store unavailable')) : inner.get(kind, key)),
    };
    await inner.create(CHILD_KINDS_KIND, { metadata: { name: childKindsName('apps') }, spec: { loop: 'apps', kinds: ['Pod'] } });
    await inner.create('Pod', { metadata: { name: 'gone-0', ownerReferences: [{ kind: 'App', name: 'gone', controller: true }] }, spec: {} });
    const loop = appLoop(store, sim);
    await sim.runUntil(60_000);
    expect(await names(inner, 'Pod')).toEqual([]);
    expect(loop.health().state).toBe('running');
    await loop.stop();
  });

  it('a record write the store refuses fails the pass (retried), never the loop', async () => {
    const sim = new SimulationScheduler();
    const inner = createMemoryStore({ scheduler: sim });
    let refusals = 1;
    const store: Store = {
      ...inner,
      create: (kind, resource) => (kind === CHILD_KINDS_KIND && refusals-- > 0 ? Promise.reject(new Error('disk full')) : inner.create(kind, resource)),
    };
    await inner.create('App', { metadata: { name: 'web' }, spec: { replicas: 1 } });
    const loop = appLoop(store, sim);
    await sim.runUntil(60_000);
    expect(await names(inner, 'Pod')).toEqual(['web-0']);
    expect((await inner.get<{ kinds: string[] }>(CHILD_KINDS_KIND, childKindsName('apps')))?.spec.kinds).toEqual(['Pod']);
    expect(loop.health().state).toBe('running');
    await loop.stop();
  });
});

describe('the record\'s name', () => {
  it('differs for loop names that differ only in a lone surrogate (hashed raw, both would be U+FFFD)', () => {
    expect(childKindsName('a\ud800')).not.toBe(childKindsName('a\udc00'));
    expect(childKindsName('apps')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('the cascade after a real restart on SQLite', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('children made before the process\'s store was closed are deleted with their owner after it is opened again', async () => {
    const { createSqliteStore } = await import('rx-reconcile/sqlite');
    const dir = mkdtempSync(join(tmpdir(), 'rx-cascade-'));
    dirs.push(dir);
    const file = join(dir, 'state.db');
    {
      const sim = new SimulationScheduler();
      const store = createSqliteStore({ path: file, scheduler: sim });
      await store.create('App', { metadata: { name: 'web' }, spec: { replicas: 2 } });
      const loop = appLoop(store, sim);
      await sim.runUntil(10);
      for (let i = 0; i < 20 && (await names(store, 'Pod')).length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(await names(store, 'Pod')).toEqual(['web-0', 'web-1']);
      await loop.stop();
      store.close();
    }
    const sim = new SimulationScheduler();
    const store = createSqliteStore({ path: file, scheduler: sim });
    await store.delete('App', 'web'); // deleted before the loop starts again
    const loop = appLoop(store, sim);
    for (let i = 0; i < 50 && (await names(store, 'Pod')).length > 0; i++) {
      await sim.runUntil(sim.now() + 10);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await names(store, 'Pod')).toEqual([]);
    await loop.stop();
    store.close();
  });
});
