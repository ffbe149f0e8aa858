/**
 * Benchmarks 27–29, several replicas on etcd (`rx-reconcile/etcd`), each against its own etcd started
 * on free 127.0.0.1 ports and stopped (by pid) before the result is printed:
 *
 * - `failover`: three replica processes (`examples/support/replica-worker.ts`), one SIGKILLed; the time
 *   until every shard has a live owner again, read from etcd every 10 ms (the TTL is the floor).
 * - `throughput`: `replicas` processes, `K` items whose passes are `passMs` of I/O with `workers`
 *   workers each; after every replica is ready, every spec is changed at once (a few transactions); items/s over the middle
 *   80 % of the status writes (and over the whole drain, for reference).
 * - `writes`: in one process on one etcd, rounds taking turns (after warm-up rounds): `K` resources
 *   created and then updated once each through the etcd store, and the same JSON documents written
 *   twice with plain etcd3 puts, and with hand-written compare-and-set transactions (the floor a
 *   CAS store can reach), `concurrency` writes in flight; medians of writes/s and per-round ratios.
 */
import { CompareResult, CompareTarget } from 'etcd3';
import type { Etcd3 } from 'etcd3';
import { createEtcdStore } from 'rx-reconcile/etcd';
import type { EtcdStore } from 'rx-reconcile/etcd';
import { testClient } from '../../examples/support/etcd-client.js';
import { startEtcd } from '../../examples/support/etcd-server.js';
import { spawnReplica, until } from '../../examples/support/replica-fleet.js';
import type { ReplicaProcess, WorkerLine } from '../../examples/support/replica-fleet.js';
import { median, nowNs, readParams, runCase, sleep } from '../lib/util.js';

const p = readParams({
  what: 'writes' as 'failover' | 'throughput' | 'writes',
  impl: 'library' as 'library' | 'baseline',
  K: 2000,
  concurrency: 16,
  rounds: 5,
  warmUp: 3,
  replicas: 3,
  passMs: 50,
  workers: 4,
  ttl: 2000,
  shards: 32,
});

const noViolations = { overlaps: 0, stale: 0, overLimit: 0, coalescing: 0, other: 0 };
const latest = (r: ReplicaProcess): WorkerLine | undefined => [...r.lines].reverse().find((l) => l.ev === 'ownership');

async function seed(store: EtcdStore, count: number): Promise<void> {
  const names = Array.from({ length: count }, (_, i) => `item-${i}`);
  for (let i = 0; i < names.length; i += 50) {
    await Promise.all(names.slice(i, i + 50).map((name) => store.create('Item', { metadata: { name }, spec: { v: 0 } })));
  }
}

async function fleet(endpoint: string, prefix: string, count: number): Promise<ReplicaProcess[]> {
  const replicas = ['a', 'b', 'c', 'd', 'e'].slice(0, count).map((replica) =>
    spawnReplica({ endpoint, prefix, replica, ttl: p.ttl, shards: p.shards, passMs: p.passMs, workers: p.workers }),
  );
  await until(() => replicas.every((r) => latest(r)?.ready === true && latest(r)?.members?.length === count), 'every replica ready', 60_000);
  return replicas;
}

async function failover(client: Etcd3, endpoint: string): Promise<Record<string, number>> {
  const prefix = '/bench-failover';
  await seed(createEtcdStore({ client, prefix: `${prefix}/data` }), 30);
  const replicas = await fleet(endpoint, prefix, 3);
  try {
    await sleep(500);
    const owners = async (): Promise<string[]> => Object.values(await client.getAll().prefix(`${prefix}/coordination/shards/`).strings());
    const victim = replicas[0] as ReplicaProcess;
    victim.signal('SIGKILL');
    const start = nowNs();
    for (;;) {
      const now = await owners();
      if (now.length === p.shards && !now.includes(victim.replica)) break;
      if (nowNs() - start > 30e9) throw new Error('no failover within 30 s');
      await sleep(10);
    }
    return { failoverMs: (nowNs() - start) / 1e6, ttlMs: p.ttl };
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
  }
}

async function throughput(client: Etcd3, endpoint: string): Promise<Record<string, number>> {
  const prefix = `/bench-throughput-${p.replicas}`;
  const store = createEtcdStore({ client, prefix: `${prefix}/data` });
  await seed(store, p.K);
  const replicas = await fleet(endpoint, prefix, p.replicas);
  try {
    // Let the first passes (generation 1) finish before the measured change.
    const done = (generation: number): number => {
      const keys = new Set<string>();
      for (const r of replicas) for (const l of r.lines) if (l.ev === 'write' && l.ok === true && l.generation === generation) keys.add(l.key as string);
      return keys.size;
    };
    await until(() => done(1) === p.K, 'the first passes', 120_000);
    await sleep(300);
    // Change every spec at once (transactions of 100 puts of the next generation), so the replicas'
    // work, not the driver's writes, sets the pace.
    const items = await store.list<{ v: number }>('Item');
    const startMs = Date.now();
    for (let i = 0; i < items.length; i += 100) {
      const success = items.slice(i, i + 100).map((item) => {
        const { version: _version, revision: _revision, ...metadata } = item.metadata;
        void [_version, _revision];
        const next = { ...item, metadata: { ...metadata, generation: metadata.generation + 1 }, spec: { v: item.spec.v + 1 } };
        return { request_put: { key: Buffer.from(`${prefix}/data/Item/${metadata.name}`), value: Buffer.from(JSON.stringify(next)) } };
      });
      await client.kv.txn({ success });
    }
    await until(() => done(2) === p.K, 'every item handled', 120_000);
    const times: number[] = [];
    const perReplica: Record<string, number> = {};
    for (const r of replicas) {
      for (const l of r.lines) {
        if (l.ev === 'write' && l.ok === true && l.generation === 2) {
          times.push(l.t);
          perReplica[`writes_${r.replica}`] = (perReplica[`writes_${r.replica}`] ?? 0) + 1;
        }
      }
    }
    times.sort((a, b) => a - b);
    // The steady rate: the middle 80 % of the writes (the change of every spec takes a while to be
    // written, and the last passes of the busiest replica trail), then the whole drain for reference.
    const first = times[Math.floor(p.K * 0.1)] as number;
    const last = times[Math.floor(p.K * 0.9)] as number;
    const drainSeconds = ((times[times.length - 1] as number) - startMs) / 1000;
    return { itemsPerSec: (Math.floor(p.K * 0.9) - Math.floor(p.K * 0.1)) / ((last - first) / 1000), drainItemsPerSec: p.K / drainSeconds, drainSeconds, ...perReplica };
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
  }
}

async function writes(client: Etcd3): Promise<Record<string, number>> {
  const spec = (i: number, v: number) => ({ title: `item number ${i}`, tags: ['a', 'b', 'c'], replicas: 3, v });
  // The same JSON a resource is stored as, for the plain puts.
  const document = (name: string, v: number): string =>
    JSON.stringify({
      kind: 'Item',
      metadata: { name, generation: v + 1, uid: '00000000-0000-4000-8000-000000000000', creationTimestamp: '2026-01-01T00:00:00.000Z', labels: {}, annotations: {}, finalizers: [], ownerReferences: [] },
      spec: spec(Number(name.slice(5)), v),
    });
  const inFlight = async (count: number, write: (i: number) => Promise<unknown>): Promise<void> => {
    let next = 0;
    await Promise.all(
      Array.from({ length: p.concurrency }, async () => {
        while (next < count) await write(next++);
      }),
    );
  };
  const names = Array.from({ length: p.K }, (_, i) => `item-${i}`);
  /** K creates and K updates through the store; writes/s. */
  const library = async (prefix: string): Promise<number> => {
    const store = createEtcdStore({ client, prefix });
    const start = nowNs();
    const created = new Array<Awaited<ReturnType<typeof store.create>>>(p.K);
    await inFlight(p.K, async (i) => (created[i] = await store.create('Item', { metadata: { name: names[i] as string }, spec: spec(i, 0) })));
    await inFlight(p.K, (i) => store.update({ ...(created[i] as (typeof created)[number]), spec: spec(i, 1) }));
    return (2 * p.K) / ((nowNs() - start) / 1e9);
  };
  /** The same documents written twice each with plain puts; writes/s. */
  const baseline = async (prefix: string): Promise<number> => {
    const start = nowNs();
    await inFlight(p.K, (i) => client.put(`${prefix}/Item/${names[i]}`).value(document(names[i] as string, 0)).exec());
    await inFlight(p.K, (i) => client.put(`${prefix}/Item/${names[i]}`).value(document(names[i] as string, 1)).exec());
    return (2 * p.K) / ((nowNs() - start) / 1e9);
  };
  /** The same documents with hand-written compare-and-set transactions (create if absent, then update at the revision): writes/s. */
  const cas = async (prefix: string): Promise<number> => {
    const start = nowNs();
    const revisions = new Array<string>(p.K);
    const txn = (i: number, v: number): Promise<unknown> => {
      const key = Buffer.from(`${prefix}/Item/${names[i]}`);
      const compare =
        v === 0
          ? { key, result: CompareResult.Equal, target: CompareTarget.Create, create_revision: 0 }
          : { key, result: CompareResult.Equal, target: CompareTarget.Mod, mod_revision: revisions[i] as string };
      return client.kv
        .txn({ compare: [compare], success: [{ request_put: { key, value: Buffer.from(document(names[i] as string, v)) } }] })
        .then((response) => (revisions[i] = response.header.revision));
    };
    await inFlight(p.K, (i) => txn(i, 0));
    await inFlight(p.K, (i) => txn(i, 1));
    return (2 * p.K) / ((nowNs() - start) / 1e9);
  };
  // Warm-up rounds of each (connection, etcd, and the JIT: the store has more code to compile), then
  // rounds taking turns on the same etcd.
  for (let round = 0; round < p.warmUp; round++) {
    await library(`/warm-library-${round}`);
    await baseline(`/warm-baseline-${round}`);
    await cas(`/warm-cas-${round}`);
  }
  const lib: number[] = [];
  const base: number[] = [];
  const hand: number[] = [];
  const ratios: number[] = [];
  const casRatios: number[] = [];
  for (let round = 0; round < p.rounds; round++) {
    let l: number;
    let b: number;
    if (round % 2 === 0) {
      l = await library(`/library-${round}`);
      b = await baseline(`/baseline-${round}`);
    } else {
      b = await baseline(`/baseline-${round}`);
      l = await library(`/library-${round}`);
    }
    const c = await cas(`/cas-${round}`);
    lib.push(l);
    base.push(b);
    hand.push(c);
    ratios.push(l / b);
    casRatios.push(l / c);
  }
  return {
    libraryWritesPerSec: median(lib),
    baselineWritesPerSec: median(base),
    casWritesPerSec: median(hand),
    ratio: median(ratios),
    casRatio: median(casRatios),
    rounds: p.rounds,
  };
}

runCase(async () => {
  const etcd = await startEtcd();
  const client = testClient(etcd.endpoint);
  try {
    const metrics =
      p.what === 'failover' ? await failover(client, etcd.endpoint) : p.what === 'throughput' ? await throughput(client, etcd.endpoint) : await writes(client);
    return { metrics: { what: p.what, impl: p.impl, ...metrics }, violations: noViolations };
  } finally {
    client.close();
    await etcd.stop();
  }
});
