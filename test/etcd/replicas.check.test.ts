/**
 * Several replicas of one loop as real child processes on one real etcd (G19): an owner killed with
 * SIGKILL, an owner paused with SIGSTOP past its TTL while its passes are mid-write, scale-out over
 * three replicas, and (as root, with `ip netns`) an owner partitioned from etcd.
 *
 * Each replica prints every pass start, write attempt (accepted or refused) and end with its fence
 * token and the wall-clock time (one machine, one clock), so the test counts the deposed owner's
 * accepted writes and checks that no two replicas processed a key at the same time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import type { Etcd3 } from 'etcd3';
import { keyOf } from 'rx-reconcile';
import { createEtcdStore } from 'rx-reconcile/etcd';
import type { EtcdStore } from 'rx-reconcile/etcd';
import { testClient } from '../../examples/support/etcd-client.js';
import { etcdMissing, startEtcd } from '../../examples/support/etcd-server.js';
import type { EtcdServer } from '../../examples/support/etcd-server.js';
import { spawnReplica, until } from '../../examples/support/replica-fleet.js';
import type { ReplicaProcess, WorkerConfig, WorkerLine } from '../../examples/support/replica-fleet.js';

const missing = etcdMissing();
if (missing !== undefined) console.warn(`replica tests skipped: ${missing}`);

const TTL = 2000;
const SHARDS = 12;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Pass {
  readonly replica: string;
  readonly key: string;
  readonly token: number | undefined;
  readonly start: number;
  readonly end: number;
  /** When the pass last acted: its last accepted write (its start when it had none). */
  readonly acted: number;
  readonly accepted: boolean;
}

/** Pairs each replica's start/write/end lines into passes (a key runs once at a time per replica). */
function passesOf(replicas: readonly ReplicaProcess[]): Pass[] {
  const passes: Pass[] = [];
  for (const r of replicas) {
    const open = new Map<string, { start: number; token: number | undefined; accepted: boolean; lastAccepted: number }>();
    for (const line of r.lines) {
      if (line.key === undefined) continue;
      if (line.ev === 'start') open.set(line.key, { start: line.t, token: line.token, accepted: false, lastAccepted: line.t });
      else if (line.ev === 'write' && line.ok === true) {
        const pass = open.get(line.key);
        if (pass !== undefined) {
          pass.accepted = true;
          pass.lastAccepted = line.t;
        }
      } else if (line.ev === 'end') {
        const pass = open.get(line.key);
        if (pass === undefined) continue;
        open.delete(line.key);
        passes.push({ replica: r.replica, key: line.key, token: pass.token, start: pass.start, end: line.t, acted: pass.lastAccepted, accepted: pass.accepted });
      }
    }
  }
  return passes;
}

/**
 * Pairs of passes of one key, by different replicas, that acted at the same time: each interval runs
 * from a pass's start to its last accepted write. A pass paused after an accepted write and fenced
 * afterwards (its later writes refused) acted only up to that write, so a successor that started
 * after it is no overlap; a successor that started before it is one (two owners writing at once).
 */
function overlaps(passes: readonly Pass[]): string[] {
  const found: string[] = [];
  const accepted = passes.filter((p) => p.accepted);
  for (let i = 0; i < accepted.length; i++) {
    for (let j = i + 1; j < accepted.length; j++) {
      const a = accepted[i] as Pass;
      const b = accepted[j] as Pass;
      if (a.key === b.key && a.replica !== b.replica && a.start < b.acted && b.start < a.acted) {
        found.push(`${a.key}: ${a.replica}[${a.start}–${a.acted}] and ${b.replica}[${b.start}–${b.acted}]`);
      }
    }
  }
  return found;
}

describe.skipIf(missing !== undefined)('replicas as child processes on one etcd', () => {
  let server: EtcdServer;
  let client: Etcd3;
  let n = 0;
  const running: ReplicaProcess[] = [];

  beforeAll(async () => {
    server = await startEtcd();
    client = testClient(server.endpoint);
  });
  afterAll(async () => {
    await Promise.all(running.map((r) => r.stop()));
    client?.close();
    await server?.stop();
  });

  async function fleet(count: number, extra: Partial<WorkerConfig> = {}, items = 30): Promise<{ prefix: string; store: EtcdStore; replicas: ReplicaProcess[] }> {
    const prefix = `/r${++n}`;
    const store = createEtcdStore({ client, prefix: `${prefix}/data` });
    for (let i = 0; i < items; i++) await store.create('Item', { metadata: { name: `item-${i}` }, spec: { v: 0 } });
    const replicas = ['a', 'b', 'c'].slice(0, count).map((replica) =>
      spawnReplica({ endpoint: server.endpoint, prefix, replica, ttl: TTL, shards: SHARDS, passMs: 30, ...extra }),
    );
    running.push(...replicas);
    await until(() => replicas.every((r) => lastOwnership(r)?.ready === true && lastOwnership(r)?.members?.length === count), 'every replica ready');
    return { prefix, store, replicas };
  }

  const lastOwnership = (r: ReplicaProcess): WorkerLine | undefined => [...r.lines].reverse().find((l) => l.ev === 'ownership');

  /** Who holds each shard, read from etcd. */
  async function shardOwners(prefix: string): Promise<Map<string, string>> {
    const entries = await client.getAll().prefix(`${prefix}/coordination/shards/`).strings();
    return new Map(Object.entries(entries));
  }

  /** Bumps every item's spec (a new generation each), reading again when a status write got there first. */
  async function bump(store: EtcdStore): Promise<void> {
    for (const listed of await store.list<{ v: number }>('Item')) {
      for (let item = listed, attempt = 0; attempt < 10; attempt++) {
        try {
          await store.update({ ...item, spec: { v: item.spec.v + 1 } });
          break;
        } catch {
          item = (await store.get<{ v: number }>('Item', keyOf(item))) ?? item;
        }
      }
    }
  }

  async function converged(store: EtcdStore, by?: readonly string[]): Promise<boolean> {
    const items = await store.list<{ v: number }, { generation?: number; handledBy?: string }>('Item');
    return items.every((i) => i.status?.generation === i.metadata.generation && (by === undefined || by.includes(i.status.handledBy ?? '')));
  }

  async function untilConverged(store: EtcdStore, by?: readonly string[], ms = 20_000): Promise<void> {
    const end = performance.now() + ms;
    while (!(await converged(store, by))) {
      if (performance.now() > end) throw new Error('the items did not converge');
      await sleep(100);
    }
  }

  it('an owner killed with SIGKILL: its keys are owned again by the others, and the world converges', async () => {
    const { prefix, store, replicas } = await fleet(3);
    const [a] = replicas as [ReplicaProcess];
    const before = await shardOwners(prefix);
    expect([...before.values()].filter((r) => r === 'a').length).toBeGreaterThan(0);
    a.signal('SIGKILL');
    // How soon (TTL + 1 s) is benchmark 27 (etcd/failover); here: every shard is owned again by b or c.
    let after = before;
    for (const end = performance.now() + 10 * TTL; [...after.values()].includes('a') || after.size < SHARDS; ) {
      if (performance.now() > end) throw new Error(`a's shards were not taken over: ${JSON.stringify([...after])}`);
      await sleep(25);
      after = await shardOwners(prefix);
    }
    await bump(store);
    await untilConverged(store, ['b', 'c']);
    await Promise.all(replicas.map((r) => r.stop()));
  });

  it('an owner paused with SIGSTOP past its TTL, resumed mid-write: 0 of its writes accepted, no key processed by two replicas at once', async () => {
    const { prefix, store, replicas } = await fleet(3, { passMs: 400 });
    const [a] = replicas as [ReplicaProcess];
    let driving = true;
    const driver = (async () => {
      while (driving) {
        await bump(store);
        await sleep(150);
      }
    })();
    // Pause a while some of its passes are in flight (started, not ended).
    await until(() => passesInFlight(a) > 0, 'passes of a in flight');
    const tokensOfA = new Set(a.lines.filter((l) => l.ev === 'start').map((l) => l.token));
    a.signal('SIGSTOP');
    const shardsOfA = [...(await shardOwners(prefix)).entries()].filter(([, r]) => r === 'a').map(([k]) => k);
    expect(shardsOfA.length).toBeGreaterThan(0);
    await sleep(TTL + 1500); // a real lease in a real etcd: past its TTL
    const owners = await shardOwners(prefix);
    expect(shardsOfA.every((k) => owners.get(k) !== undefined && owners.get(k) !== 'a'), 'b and c took over').toBe(true);
    a.signal('SIGCONT');
    const resumedAt = Date.now();
    await sleep(1500);
    driving = false;
    await driver;
    await untilConverged(store);

    const deposed = a.lines.filter((l) => l.ev === 'write' && l.t >= resumedAt && tokensOfA.has(l.token));
    expect(deposed.length, 'writes the deposed owner attempted after it resumed').toBeGreaterThan(0);
    expect(deposed.filter((l) => l.ok === true), 'writes of the deposed owner accepted').toEqual([]);
    expect(deposed.every((l) => l.code === 'FENCED')).toBe(true);
    expect(overlaps(passesOf(replicas))).toEqual([]);
    await Promise.all(replicas.map((r) => r.stop()));
  });

  it('scale-out: three replicas with I/O-bound passes handle every key, each its share, each key by its owner', async () => {
    const { prefix, store, replicas } = await fleet(3, { passMs: 100, workers: 2 }, 60);
    const owners = await shardOwners(prefix);
    const from = Date.now();
    await bump(store);
    await untilConverged(store);
    const writesNow = () => replicas.flatMap((r) => r.lines.filter((l) => l.ev === 'write' && l.ok === true && l.t >= from && l.generation === 2));
    // The store says converged as soon as the last write commits; the child's line about it may still
    // be on its way through the pipe. Wait (bounded) until every key's line has arrived.
    for (const end = performance.now() + 5000; new Set(writesNow().map((w) => w.key)).size < 60 && performance.now() < end; ) await sleep(50);
    const writes = writesNow();
    const byKey = new Map<string, string[]>();
    for (const w of writes) byKey.set(w.key as string, [...(byKey.get(w.key as string) ?? []), w.replica]);
    expect(byKey.size).toBe(60);
    expect([...byKey.values()].every((rs) => rs.length === 1)).toBe(true);
    for (const r of replicas) {
      expect(writes.filter((w) => w.replica === r.replica).length, `share of ${r.replica}`).toBeGreaterThanOrEqual(6);
      const shards = [...owners.values()].filter((o) => o === r.replica).length;
      expect(shards, `shards of ${r.replica}`).toBeGreaterThan(0);
    }
    expect(overlaps(passesOf(replicas))).toEqual([]);
    await Promise.all(replicas.map((r) => r.stop()));
  });
});

function passesInFlight(r: ReplicaProcess): number {
  let open = 0;
  for (const line of r.lines) {
    if (line.ev === 'start') open++;
    else if (line.ev === 'end') open--;
  }
  return open;
}

/** Why the partition test cannot run here, or undefined when it can. */
function partitionUnavailable(): string | undefined {
  if (missing !== undefined) return missing;
  if (process.getuid?.() !== 0) return 'it needs root to create a network namespace (ip netns)';
  try {
    const probe = `rxprobe${process.pid}`;
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'ignore' });
    execFileSync('ip', ['netns', 'del', probe], { stdio: 'ignore' });
    return undefined;
  } catch (error) {
    return `ip netns does not work here (${(error as Error).message.split('\n')[0]})`;
  }
}

const noPartition = partitionUnavailable();
if (noPartition !== undefined) console.warn(`partition test skipped: ${noPartition}`);

describe.skipIf(noPartition !== undefined)('an owner partitioned from etcd (ip netns)', () => {
  const ns = `rxr${process.pid}`;
  const hostSide = `rxh${process.pid % 100000}`;
  const nsSide = `rxn${process.pid % 100000}`;
  const octet = (process.pid % 200) + 20;
  const hostIp = `10.251.${octet}.1`;
  const nsIp = `10.251.${octet}.2`;
  const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: 'ignore' });
  let server: EtcdServer;
  let client: Etcd3;
  const replicas: ReplicaProcess[] = [];

  beforeAll(async () => {
    ip('netns', 'add', ns);
    ip('link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide);
    ip('link', 'set', nsSide, 'netns', ns);
    ip('addr', 'add', `${hostIp}/30`, 'dev', hostSide);
    ip('link', 'set', hostSide, 'up');
    ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${nsIp}/30`, 'dev', nsSide);
    ip('netns', 'exec', ns, 'ip', 'link', 'set', nsSide, 'up');
    ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
    server = await startEtcd({ alsoListenOn: hostIp });
    client = testClient(server.endpoint);
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    client?.close();
    await server?.stop();
    try {
      ip('netns', 'del', ns); // removes the veth pair with it
    } catch {
      // already gone
    }
  });

  it('the cut-off owner steps down, the others take over after its TTL, none of its writes lands, and it rejoins after the heal', async () => {
    const prefix = '/partition';
    const store = createEtcdStore({ client, prefix: `${prefix}/data` });
    for (let i = 0; i < 30; i++) await store.create('Item', { metadata: { name: `item-${i}` }, spec: { v: 0 } });
    const port = server.endpoint.split(':')[1] as string;
    const base = { prefix, ttl: TTL, shards: SHARDS, passMs: 200 };
    const a = spawnReplica({ ...base, endpoint: `${hostIp}:${port}`, replica: 'a' }, { netns: ns });
    const others = ['b', 'c'].map((replica) => spawnReplica({ ...base, endpoint: server.endpoint, replica }));
    replicas.push(a, ...others);
    const lastOwnership = (r: ReplicaProcess): WorkerLine | undefined => [...r.lines].reverse().find((l) => l.ev === 'ownership');
    await until(() => replicas.every((r) => lastOwnership(r)?.ready === true && lastOwnership(r)?.members?.length === 3), 'every replica ready');
    let driving = true;
    const driver = (async () => {
      while (driving) {
        for (const item of await store.list<{ v: number }>('Item')) await store.update({ ...item, spec: { v: item.spec.v + 1 } }).catch(() => undefined);
        await sleep(150);
      }
    })();
    await until(() => passesInFlight(a) > 0, 'passes of a in flight');
    const tokensOfA = new Set(a.lines.filter((l) => l.ev === 'start').map((l) => l.token));
    const shardsOfA = new Set(lastOwnership(a)?.owned ?? []);
    expect(shardsOfA.size).toBeGreaterThan(0);
    ip('link', 'set', hostSide, 'down'); // packets are dropped, connections hang: a real partition
    const cutAt = Date.now();
    await until(() => a.lines.some((l) => l.ev === 'ownership' && l.t > cutAt && l.owned?.length === 0), 'a stepping down');
    const steppedDownAt = (a.lines.find((l) => l.ev === 'ownership' && l.t > cutAt && l.owned?.length === 0) as WorkerLine).t;
    const shards = async () => new Map(Object.entries(await client.getAll().prefix(`${prefix}/coordination/shards/`).strings()));
    await sleep(TTL + 1000); // a real lease in a real etcd: past its TTL
    const owners = await shards();
    expect([...owners.values()].includes('a'), 'a still holds shards in etcd after its TTL').toBe(false);
    ip('link', 'set', hostSide, 'up');
    const healedAt = Date.now();
    await until(() => a.lines.some((l) => l.ev === 'ownership' && l.t > healedAt && (l.owned?.length ?? 0) > 0), 'a rejoining', 20_000);
    await sleep(1000);
    driving = false;
    await driver;
    const end = performance.now() + 20_000;
    for (;;) {
      const items = await store.list<{ v: number }, { generation?: number }>('Item');
      if (items.every((i) => i.status?.generation === i.metadata.generation)) break;
      if (performance.now() > end) throw new Error('no convergence after the heal');
      await sleep(100);
    }
    // a stopped believing it owned before its lease expired (renew deadline < TTL): its step-down
    // comes before any other replica took one of its shards (one host, one clock for the lines).
    const takeovers = others.flatMap((r) => r.lines.filter((l) => l.ev === 'ownership' && l.t > cutAt && (l.owned ?? []).some((shard) => shardsOfA.has(shard))));
    expect(takeovers.length).toBeGreaterThan(0);
    expect(steppedDownAt).toBeLessThan(Math.min(...takeovers.map((l) => l.t)));
    const lateWrites = a.lines.filter((l) => l.ev === 'write' && l.t >= cutAt && tokensOfA.has(l.token) && l.ok === true);
    expect(lateWrites, 'writes of the cut-off owner accepted after the cut').toEqual([]);
    expect(overlaps(passesOf(replicas))).toEqual([]);
  });
});
