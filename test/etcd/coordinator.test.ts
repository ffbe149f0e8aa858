/**
 * etcdCoordinator in one process against a real etcd: membership, shares, handover on stop, a
 * lease lost to a cut connection (step-down at the renew deadline), tokens, options. The crash and
 * pause cases with real processes are in replicas.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Etcd3 } from 'etcd3';
import type { OwnershipChange } from '../../src/coordinator.js';
import { etcdCoordinator } from 'rx-reconcile/etcd';
import type { EtcdCoordinator } from 'rx-reconcile/etcd';
import { etcdMissing, startEtcd } from '../../examples/support/etcd-server.js';
import type { EtcdServer } from '../../examples/support/etcd-server.js';
import { testClient } from '../../examples/support/etcd-client.js';
import { startProxy } from './tcp-proxy.js';

const missing = etcdMissing();
if (missing !== undefined) console.warn(`coordinator tests skipped: ${missing}`);

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.skipIf(missing !== undefined)('etcd coordinator (real etcd)', () => {
  let server: EtcdServer;
  const clients: Etcd3[] = [];
  const coordinators: EtcdCoordinator[] = [];
  let n = 0;
  const clientFor = (endpoint = server.endpoint): Etcd3 => {
    const client = testClient(endpoint);
    clients.push(client);
    return client;
  };
  const start = (prefix: string, replica: string, extra: Partial<Parameters<typeof etcdCoordinator>[0]> = {}): EtcdCoordinator => {
    const c = etcdCoordinator({ client: clientFor(), prefix, replica, ttl: 2000, shards: 16, ...extra });
    coordinators.push(c);
    return c;
  };
  const keys = Array.from({ length: 200 }, (_, i) => `ns/item-${i}`);

  beforeAll(async () => {
    server = await startEtcd();
  });
  afterAll(async () => {
    for (const c of coordinators) await c.stop();
    for (const c of clients) c.close();
    await server?.stop();
  });

  it('three replicas split every key between them, each key owned by exactly one, each replica a share', async () => {
    const prefix = `/c${++n}`;
    const replicas = ['a', 'b', 'c'].map((r) => start(prefix, r));
    await until(() => replicas.every((c) => c.ready() && c.state().members.length === 3), 'three ready replicas');
    for (const key of keys) expect(replicas.filter((c) => c.owns(key)).map((c) => c.replica), key).toHaveLength(1);
    for (const c of replicas) expect(keys.filter((k) => c.owns(k)).length, c.replica).toBeGreaterThan(20);
    const owned = replicas.flatMap((c) => c.state().owned).sort((x, y) => x - y);
    expect(owned).toEqual(Array.from({ length: 16 }, (_, i) => i));
    // The fence of a key is its shard's key in etcd, created at the token.
    const key = keys[0] as string;
    const owner = replicas.find((c) => c.owns(key)) as EtcdCoordinator;
    const fence = owner.fence(key);
    const kv = (await clients[0]!.get(fence!.lock).exec()).kvs[0];
    expect(Number(kv?.create_revision)).toBe(fence?.token);
    expect(kv?.value.toString()).toBe(owner.replica);
    for (const c of replicas) await c.stop();
  });

  it('a stopped replica hands its shards over at once; the new tokens are larger and the old fences abort', async () => {
    const prefix = `/c${++n}`;
    const a = start(prefix, 'a');
    const b = start(prefix, 'b');
    await until(() => a.ready() && b.ready() && a.state().members.length === 2 && b.state().members.length === 2, 'two ready replicas');
    const keyOfA = keys.find((k) => a.owns(k)) as string;
    const oldFence = a.fence(keyOfA);
    const changes: OwnershipChange[] = [];
    b.changes$.subscribe((c) => changes.push(c));
    await a.stop();
    expect(oldFence?.signal.aborted).toBe(true);
    expect(a.owns(keyOfA)).toBe(false);
    await until(() => b.owns(keyOfA) && b.ready(), 'b owning every key');
    expect(keys.every((k) => b.owns(k))).toBe(true);
    expect(b.fence(keyOfA)!.token).toBeGreaterThan(oldFence!.token);
    expect(changes.some((c) => c.gained.includes(oldFence!.lock))).toBe(true);
    await b.stop();
  });

  it('a joining replica takes its shards only after the owner released them, after its running holds end', async () => {
    const prefix = `/c${++n}`;
    const a = start(prefix, 'a');
    await until(() => a.ready(), 'a ready');
    const holds = keys.map((k) => a.hold(k));
    expect(holds.every((h) => h !== undefined)).toBe(true);
    const b = start(prefix, 'b', { releaseDeadline: 60_000 });
    await until(() => a.state().members.length === 2, 'a seeing b');
    const movingKey = keys.find((k) => !a.owns(k)) as string;
    expect(movingKey).toBeDefined();
    // a drains the moving shards: no new holds, but b cannot have them while a's passes run.
    expect(a.hold(movingKey)).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(b.owns(movingKey)).toBe(false);
    for (const h of holds) h?.release();
    await until(() => b.owns(movingKey) && a.ready() && b.ready(), 'the handover after the holds ended');
    for (const key of keys) expect(Number(a.owns(key)) + Number(b.owns(key)), key).toBe(1);
    await a.stop();
    await b.stop();
  });

  it('single-leader mode: shards: 1 gives every key to one replica, and the other takes over when it leaves', async () => {
    const prefix = `/c${++n}`;
    const a = start(prefix, 'a', { shards: 1 });
    const b = start(prefix, 'b', { shards: 1 });
    await until(() => a.ready() && b.ready() && a.state().members.length === 2, 'two ready replicas');
    const leader = a.owns('x') ? a : b;
    const other = leader === a ? b : a;
    expect(keys.every((k) => leader.owns(k) && !other.owns(k))).toBe(true);
    await leader.stop();
    await until(() => keys.every((k) => other.owns(k)), 'the other leading');
    await other.stop();
  });

  it('cut off from etcd, a replica steps down at its renew deadline (before its TTL) and the other takes over', async () => {
    const prefix = `/c${++n}`;
    const proxy = await startProxy(server.endpoint);
    try {
      const lonely = etcdCoordinator({ client: clientFor(proxy.endpoint), prefix, replica: 'lonely', ttl: 2000, renewDeadline: 1000, shards: 8 });
      coordinators.push(lonely);
      const other = start(prefix, 'other', { shards: 8 });
      await until(() => lonely.ready() && other.ready() && other.state().members.length === 2, 'two ready replicas');
      const key = keys.find((k) => lonely.owns(k)) as string;
      const fence = lonely.fence(key);
      proxy.cut();
      await until(() => !lonely.owns(key), 'the step-down');
      expect(fence?.signal.aborted).toBe(true);
      // The other replica cannot have it yet: etcd keeps the lease until its TTL.
      expect(other.owns(key)).toBe(false);
      await until(() => other.owns(key), 'the takeover after the lease expired');
      proxy.heal();
      await until(() => lonely.ready() && other.ready() && lonely.state().members.length === 2, 'lonely back with a new lease');
      for (const k of keys) expect(Number(lonely.owns(k)) + Number(other.owns(k)), k).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('regression: a shard won while the mirror still showed its previous key is kept (it was dropped but left in etcd, stranding the shard): three replicas starting together become ready, 20 times', async () => {
    for (let round = 0; round < 20; round++) {
      const prefix = `/c${++n}`;
      const replicas = ['a', 'b', 'c'].map((r) => start(prefix, r));
      await until(() => replicas.every((c) => c.ready() && c.state().members.length === 3), `three ready replicas (round ${round})`, 8000);
      for (const c of replicas) await c.stop();
    }
  });

  it('a shard key deleted under its owner (by hand): the owner sees the loss (its fence aborts) and campaigns again with a larger token', async () => {
    const prefix = `/c${++n}`;
    const a = start(prefix, 'a', { shards: 2 });
    await until(() => a.ready(), 'a ready');
    const key = keys[0] as string;
    const fence = a.fence(key);
    await clients[0]!.delete().key(fence!.lock).exec();
    await until(() => fence!.signal.aborted, 'the old fence aborting');
    await until(() => a.owns(key) && a.ready(), 'a owning the shard again');
    expect(a.fence(key)!.token).toBeGreaterThan(fence!.token);
    await a.stop();
  });

  it('refuses bad options by name', () => {
    const client = clientFor();
    const base = { client, prefix: '/x', replica: 'r', ttl: 2000 };
    expect(() => etcdCoordinator({ ...base, ttl: 1000 })).toThrow(/ttl must be an integer from 2000/);
    expect(() => etcdCoordinator({ ...base, ttl: Number.NaN })).toThrow(/ttl/);
    expect(() => etcdCoordinator({ ...base, renewDeadline: 2000 })).toThrow(/renewDeadline must be shorter than ttl/);
    expect(() => etcdCoordinator({ ...base, shards: 0 })).toThrow(/shards/);
    expect(() => etcdCoordinator({ ...base, shards: 2 ** 40 })).toThrow(/shards/);
    expect(() => etcdCoordinator({ ...base, replica: 'a/b' })).toThrow(/replica/);
    expect(() => etcdCoordinator({ ...base, replica: '' })).toThrow(/replica/);
    expect(() => etcdCoordinator({ ...base, leader: true } as never)).toThrow(/unknown option "leader"/);
  });
});
