/**
 * defineLoop({ coordinator }) in one process against a real etcd: each replica reconciles only its
 * keys, under fences; a replica that leaves hands its keys over (the other re-lists them); a pass
 * that loses its key mid-way has its writes refused and its outcome dropped; a store that cannot
 * fence is reported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Etcd3 } from 'etcd3';
import { Subject } from 'rxjs';
import { FencedError, Outcome, createMemoryStore, defineLoop } from 'rx-reconcile';
import type { Coordinator, Fence, Logger, Loop, PassResult } from 'rx-reconcile';
import type { OwnershipHold, OwnershipChange } from '../../src/coordinator.js';
import type { LogFields } from '../../src/ports.js';
import { createEtcdStore, etcdCoordinator } from 'rx-reconcile/etcd';
import type { EtcdCoordinator } from 'rx-reconcile/etcd';
import { etcdMissing, startEtcd } from '../../examples/support/etcd-server.js';
import type { EtcdServer } from '../../examples/support/etcd-server.js';
import { testClient } from '../../examples/support/etcd-client.js';

const missing = etcdMissing();
if (missing !== undefined) console.warn(`owned loop tests skipped: ${missing}`);

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.skipIf(missing !== undefined)('a loop with an etcd coordinator (real etcd)', () => {
  let server: EtcdServer;
  const clients: Etcd3[] = [];
  let n = 0;
  const client = (): Etcd3 => {
    const c = testClient(server.endpoint);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await startEtcd();
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server?.stop();
  });

  it('each replica reconciles only the keys it owns, with the fence on the context; a leaving replica hands its keys over', async () => {
    const prefix = `/l${++n}`;
    const seed = createEtcdStore({ client: client(), prefix: `${prefix}/data` });
    const names = Array.from({ length: 30 }, (_, i) => `k${i}`);
    for (const name of names) await seed.create('Item', { metadata: { name }, spec: { v: 1 } });
    const passes: { replica: string; key: string; fence: Fence | undefined; owned: boolean }[] = [];
    const replicas: { coordinator: EtcdCoordinator; loop: Loop }[] = [];
    for (const replica of ['a', 'b']) {
      const c = client();
      const coordinator = etcdCoordinator({ client: c, prefix: `${prefix}/coord`, replica, ttl: 2000, shards: 8 });
      const store = createEtcdStore({ client: c, prefix: `${prefix}/data` });
      const loop = defineLoop({
        name: 'items',
        store,
        kind: 'Item',
        coordinator,
        reconcile: (request, ctx) => {
          passes.push({ replica, key: request.key, fence: ctx.fence, owned: ctx.fence !== undefined && !ctx.fence.signal.aborted && ctx.fence.token > 0 });
          return Outcome.converged();
        },
      });
      replicas.push({ coordinator, loop });
    }
    const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
    await until(() => a.coordinator.ready() && b.coordinator.ready() && a.coordinator.state().members.length === 2, 'both ready');
    const ownerOf = (key: string): string => (a.coordinator.owns(key) ? 'a' : 'b');
    await until(() => names.every((k) => passes.some((p) => p.key === k && p.replica === ownerOf(k))), 'every key reconciled by its owner');
    // A key may also have run on the replica that owned it before the other joined (its shard may be
    // draining while the pass runs), but never without a live fence.
    expect(passes.every((p) => p.owned && p.fence !== undefined)).toBe(true);
    expect(new Set(passes.map((p) => p.replica))).toEqual(new Set(['a', 'b']));
    // Conditions were written through the fenced store.
    await until(() => names.every((k) => passes.some((p) => p.key === k)), 'all passes');
    await a.loop.whenIdle();
    await b.loop.whenIdle();
    const stored = await seed.get<unknown, { observedGeneration?: number }>('Item', 'k0');
    expect(stored?.status?.observedGeneration).toBe(1);

    // a leaves: b re-lists and reconciles a's keys.
    const keysOfA = names.filter((k) => a.coordinator.owns(k));
    expect(keysOfA.length).toBeGreaterThan(0);
    const before = passes.length;
    await a.loop.stop();
    await a.coordinator.stop();
    await until(() => keysOfA.every((k) => passes.slice(before).some((p) => p.key === k && p.replica === 'b')), "b reconciling a's keys");
    await b.loop.stop();
    await b.coordinator.stop();
  });

  it("a pass that loses its key mid-way: ctx.signal aborts, its writes are refused (FencedError), its outcome is dropped", async () => {
    const prefix = `/l${++n}`;
    const seed = createEtcdStore({ client: client(), prefix: `${prefix}/data` });
    await seed.create('Item', { metadata: { name: 'x' }, spec: {} });
    const ca = client();
    const a = etcdCoordinator({ client: ca, prefix: `${prefix}/coord`, replica: 'a', ttl: 2000, shards: 1 });
    await a.whenReady();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let writeError: unknown;
    let abortedSeen = false;
    const results: PassResult[] = [];
    const loop = defineLoop({
      name: 'slow',
      store: createEtcdStore({ client: ca, prefix: `${prefix}/data` }),
      kind: 'Item',
      coordinator: a,
      conditions: false,
      async reconcile(_request, ctx) {
        await gate;
        abortedSeen = ctx.signal.aborted;
        const resource = await ctx.get();
        try {
          await ctx.store.updateStatus({ ...resource!, status: { by: 'a' } });
        } catch (error) {
          writeError = error;
          throw error;
        }
        return Outcome.requeueAfter(1000);
      },
    });
    loop.results$.subscribe((r) => results.push(r));
    await until(() => loop.snapshot().running === 1, 'the pass running');
    // Another replica takes over while the pass waits (a's lease is revoked under it).
    await a.stop();
    const b = etcdCoordinator({ client: client(), prefix: `${prefix}/coord`, replica: 'b', ttl: 2000, shards: 1 });
    await b.whenReady();
    release();
    await until(() => results.length === 1, 'the pass result');
    expect(abortedSeen).toBe(true);
    expect(writeError).toBeInstanceOf(FencedError);
    expect(results[0]?.outcome.type).toBe('converged');
    expect(loop.snapshot().delayed).toEqual([]); // not requeued on the deposed replica
    expect((await seed.get('Item', 'x'))?.status).toBeUndefined();
    await loop.stop();
    await b.stop();
  });
});

describe('a loop with a coordinator, on a store that cannot fence', () => {
  it('runs only owned keys and warns once that writes are not fenced', async () => {
    const lines: { message: string; fields: LogFields }[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (fields, message) => lines.push({ fields, message }),
      error: () => undefined,
      child: () => logger,
    };
    const changes = new Subject<OwnershipChange>();
    const controller = new AbortController();
    const fence: Fence = { lock: 'test', token: 1, signal: controller.signal };
    const coordinator: Coordinator = {
      replica: 'me',
      owns: (key) => key.startsWith('mine'),
      fence: (key) => (key.startsWith('mine') ? fence : undefined),
      hold: (key): OwnershipHold | undefined => (key.startsWith('mine') ? { fence, release: () => undefined } : undefined),
      changes$: changes,
      ready: () => true,
    };
    const store = createMemoryStore();
    for (const name of ['mine-1', 'mine-2', 'theirs-1']) await store.create('T', { metadata: { name }, spec: {} });
    const seen: string[] = [];
    const loop = defineLoop({ name: 't', store, kind: 'T', coordinator, logger, reconcile: (r, ctx) => void seen.push(`${r.key}:${ctx.fence?.token}`) });
    await loop.whenIdle();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await loop.whenIdle();
    expect(seen.sort()).toEqual(['mine-1:1', 'mine-2:1']);
    expect(lines.filter((l) => /not fenced/.test(l.message))).toHaveLength(1);
    await loop.stop();
  });

  it('refuses something that is not a coordinator', () => {
    expect(() =>
      defineLoop({ name: 't', store: createMemoryStore(), kind: 'T', coordinator: {} as Coordinator, reconcile: () => undefined }),
    ).toThrow(/coordinator must be a Coordinator/);
  });
});
