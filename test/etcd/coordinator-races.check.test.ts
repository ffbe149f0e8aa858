/**
 * etcdCoordinator's edge cases against a real etcd, each named after the failure it guards: replicas
 * that disagree on `shards`, a lease that goes stale during the join, `stop()` during the join, two
 * concurrent `stop()` calls, and the options that let those happen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { FencedError } from 'rx-reconcile';
import { createEtcdStore, etcdCoordinator } from 'rx-reconcile/etcd';
import type { EtcdCoordinator } from 'rx-reconcile/etcd';
import { etcdMissing, startEtcd } from '../../examples/support/etcd-server.js';
import type { EtcdServer } from '../../examples/support/etcd-server.js';
import { testClient } from '../../examples/support/etcd-client.js';
import { recordingLogger, sleep, until } from './etcd-test-kit.js';
import type { LogLine } from './etcd-test-kit.js';

const missing = etcdMissing();
if (missing !== undefined) console.warn(`coordinator race tests skipped: ${missing}`);

const keys = Array.from({ length: 200 }, (_, i) => `item-${i}`);

/** Runs `after` (once) when `client` has been granted its next lease, before the grant's caller resumes. */
function onNextGrant(client: Etcd3, after: (id: string) => void): void {
  const lease = client.leaseClient;
  const grant = lease.leaseGrant.bind(lease);
  lease.leaseGrant = async (...args: Parameters<typeof grant>) => {
    const granted = await grant(...args);
    lease.leaseGrant = grant;
    after(String(granted.ID));
    return granted;
  };
}

describe.skipIf(missing !== undefined)('etcd coordinator races (real etcd)', () => {
  let server: EtcdServer;
  let observer: Etcd3;
  const clients: Etcd3[] = [];
  const coordinators: EtcdCoordinator[] = [];
  let n = 0;
  const clientFor = (): Etcd3 => {
    const client = testClient(server.endpoint);
    clients.push(client);
    return client;
  };
  const start = (options: Omit<Parameters<typeof etcdCoordinator>[0], 'client' | 'ttl'> & { client?: Etcd3; ttl?: number }): EtcdCoordinator => {
    const c = etcdCoordinator({ client: clientFor(), ttl: 2000, ...options });
    coordinators.push(c);
    return c;
  };
  const memberKeys = async (prefix: string): Promise<string[]> => observer.getAll().prefix(`${prefix}/members/`).keys();

  beforeAll(async () => {
    server = await startEtcd();
    observer = testClient(server.endpoint);
  });
  afterAll(async () => {
    server?.signal('SIGCONT');
    for (const c of coordinators) await c.stop();
    for (const c of clients) c.close();
    observer?.close();
    await server?.stop();
  });

  it('replicas that disagree on shards never both own a key or hold a current fence for it (both fenced writes landed)', async () => {
    const prefix = `/r${++n}`;
    const lines: LogLine[] = [];
    const a = start({ prefix, replica: 'a', shards: 4 });
    const b = start({ prefix, replica: 'b', shards: 8, logger: recordingLogger(lines) });
    const store = createEtcdStore({ client: observer, prefix: `${prefix}-data` });
    // Sample ownership while both start, campaign and settle.
    const end = performance.now() + 3000;
    while (performance.now() < end) {
      expect(keys.filter((k) => a.owns(k) && b.owns(k))).toEqual([]);
      await sleep(10);
    }
    expect(a.state().owned.length + b.state().owned.length).toBeGreaterThan(0);
    const [winner, loser] = a.state().owned.length > 0 ? [a, b] : [b, a];
    expect(loser.state().owned).toEqual([]);
    expect(loser.ready()).toBe(false);
    // Every shard key in etcd is of one count.
    const counts = new Set((await observer.getAll().prefix(`${prefix}/shards/`).keys()).map((k) => k.split('/').at(-2)));
    expect(counts.size).toBe(1);
    if (loser === b) expect(lines.some((l) => l.level === 'warn' && /^Replicas disagree on shards/.test(l.message))).toBe(true);

    // The rolling change completes when the last replica of the other count leaves; the old fence is refused.
    const key = keys[0] as string;
    const resource = await store.create('T', { metadata: { name: key }, spec: {} });
    const oldFence = winner.fence(key);
    expect(oldFence).toBeDefined();
    await winner.stop();
    await until(() => loser.ready() && loser.owns(key), 'the other replica owning every shard');
    const newFence = loser.fence(key);
    expect(newFence!.token).toBeGreaterThan(oldFence!.token);
    await expect(store.fenced(oldFence!).updateStatus({ ...resource, status: { by: 'old' } })).rejects.toBeInstanceOf(FencedError);
    const written = await store.fenced(newFence!).updateStatus({ ...resource, status: { by: 'new' } });
    expect(written.status).toEqual({ by: 'new' });
  });

  it('a lease that goes stale while joining leads to a new join, logged (the replica stayed joined with a dead lease, idle, silent)', async () => {
    const prefix = `/r${++n}`;
    const client = clientFor();
    const lines: LogLine[] = [];
    let skew = 0;
    // This process "pauses" for longer than the renew deadline right after its first lease is granted,
    // while etcd is slow to answer the member put.
    onNextGrant(client, () => {
      skew += 1500;
      server.signal('SIGSTOP');
      setTimeout(() => server.signal('SIGCONT'), 300);
    });
    const a = start({ client, prefix, replica: 'a', ttl: 2000, renewDeadline: 1200, shards: 4, now: () => performance.now() + skew, logger: recordingLogger(lines) });
    await until(() => a.ready() && a.state().owned.length === 4, 'a owning every shard', 10_000);
    expect(lines.some((l) => l.level === 'warn' && l.message === 'Lease went stale while joining; joining again with a new lease')).toBe(true);
    expect(await memberKeys(prefix)).toEqual([`${prefix}/members/a`]);
    // It keeps its new lease: still ready a few renewals later.
    await sleep(1500);
    expect(a.ready()).toBe(true);
  });

  it('a join attempt that fails leaves no lease renewed behind (an orphaned keeper renewed it for good)', async () => {
    const prefix = `/r${++n}`;
    const client = clientFor();
    const lines: LogLine[] = [];
    const granted: string[] = [];
    // etcd stalls longer than callTimeout (666 ms) but less than renewDeadline (2000 ms): the member
    // put fails, the lease of that attempt stays renewable.
    onNextGrant(client, (id) => {
      granted.push(id);
      server.signal('SIGSTOP');
      setTimeout(() => server.signal('SIGCONT'), 1000);
    });
    const a = start({ client, prefix, replica: 'a', ttl: 3000, shards: 4, logger: recordingLogger(lines) });
    await until(() => a.ready() && a.state().owned.length === 4, 'a owning every shard', 10_000);
    expect(lines.some((l) => l.level === 'warn' && l.message === 'Join failed; trying again')).toBe(true);
    expect(await memberKeys(prefix)).toEqual([`${prefix}/members/a`]);
    await sleep(3500); // past the TTL: only a renewed lease is still alive
    const alive = (await observer.leaseClient.leaseLeases()).leases.map((l) => String(l.ID));
    expect(granted).toHaveLength(1);
    expect(alive).not.toContain(granted[0]);
    expect(alive).toContain(a.state().lease);
  });

  it('stop() during the join resolves after the lease is revoked, leaving no member (a zombie member kept renewing)', async () => {
    const prefix = `/r${++n}`;
    const client = clientFor();
    let stopping: Promise<void> | undefined;
    let a: EtcdCoordinator | undefined;
    let lease = '';
    // etcd stalls while the member put is in flight; stop() is called then.
    onNextGrant(client, (id) => {
      lease = id;
      server.signal('SIGSTOP');
      setTimeout(() => server.signal('SIGCONT'), 300);
      setTimeout(() => (stopping = a?.stop()), 50);
    });
    a = start({ client, prefix, replica: 'a', shards: 4 });
    await until(() => stopping !== undefined, 'stop() to be called');
    await stopping;
    expect(await memberKeys(prefix)).toEqual([]);
    expect(a.state().lease).toBeUndefined();
    const leases = await observer.leaseClient.leaseLeases();
    expect(leases.leases.map((l) => String(l.ID))).not.toContain(lease);
    // Another replica gets every shard.
    const b = start({ prefix, replica: 'b', shards: 4 });
    await until(() => b.ready() && b.state().owned.length === 4, 'b owning every shard');
    expect(b.state().members).toEqual(['b']);
  });

  it('a second concurrent stop() resolves only after the hand-over (it resolved at once, before the revoke)', async () => {
    const prefix = `/r${++n}`;
    const a = start({ prefix, replica: 'a', shards: 4 });
    await until(() => a.ready(), 'a ready');
    expect(await memberKeys(prefix)).toEqual([`${prefix}/members/a`]);
    let revoked = false;
    const first = a.stop().then(() => (revoked = true));
    await a.stop();
    expect(revoked).toBe(true);
    await first;
    expect(await memberKeys(prefix)).toEqual([]);
  });

  it('refuses options that let a replica join with a dead lease or see a phantom member, naming the key and the fix', () => {
    const client = new Etcd3({ hosts: '127.0.0.1:1' });
    try {
      const base = { client, prefix: '/p', replica: 'r', ttl: 3000 };
      expect(() => etcdCoordinator({ ...base, callTimeout: 5000 })).toThrow(/callTimeout must be at most a third of renewDeadline \(2000 ms, ⅔ of ttl\), so 666 ms or less.*Lower callTimeout, or raise renewDeadline/s);
      expect(() => etcdCoordinator({ ...base, renewDeadline: 1500, callTimeout: 501 })).toThrow(/callTimeout must be at most a third of renewDeadline \(1500 ms\)/);
      expect(() => etcdCoordinator({ ...base, renewDeadline: 1 })).toThrow(/renewDeadline must be an integer from 300/);
      expect(() => etcdCoordinator({ ...base, replica: 'worker-\ud83d' })).toThrow(/replica must be well-formed text: it holds a lone UTF-16 surrogate/);
      expect(() => etcdCoordinator({ ...base, prefix: '/p\udc00' })).toThrow(/prefix must be well-formed text/);
      expect(() => createEtcdStore({ client, prefix: '/p\ud800' })).toThrow(/prefix must be well-formed text/);
      // Whole characters are fine.
      void etcdCoordinator({ ...base, replica: 'worker-🙂', renewDeadline: 1500, callTimeout: 500 }).stop();
    } finally {
      client.close();
    }
  });
});
