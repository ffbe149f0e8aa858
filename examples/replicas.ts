/**
 * Three replicas of one loop as real child processes on one etcd (`rx-reconcile/etcd`): the keys are
 * sharded between them; one is killed (SIGKILL), one is paused past its lease (SIGSTOP, then
 * SIGCONT); their keys move to the others and the world converges. The paused one's writes after it
 * wakes up are refused by its stale fencing token.
 *
 * Run: npm run example -- examples/replicas.ts   (needs the etcd binary: apt-get install -y etcd-server)
 *
 * Each replica is `examples/support/replica-worker.ts`: `defineLoop({ store: createEtcdStore(...),
 * coordinator: etcdCoordinator(...) })` over `Item` resources, whose passes wait 100 ms (the world's
 * I/O) and then write the item's status (`handledBy`, the fence token) through `ctx.store`.
 */
import { keyOf } from 'rx-reconcile';
import { createEtcdStore } from 'rx-reconcile/etcd';
import type { EtcdStore } from 'rx-reconcile/etcd';
import { testClient } from './support/etcd-client.js';
import { etcdMissing, startEtcd } from './support/etcd-server.js';
import { spawnReplica, until } from './support/replica-fleet.js';
import type { ReplicaProcess, WorkerLine } from './support/replica-fleet.js';

const missing = etcdMissing();
if (missing !== undefined) {
  console.log(`replicas example skipped: ${missing}`);
  process.exit(0);
}

const TTL = 2000;
const ITEMS = 24;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const started = Date.now();
const log = (text: string): void => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${text}`);

const etcd = await startEtcd();
const client = testClient(etcd.endpoint);
const store = createEtcdStore({ client, prefix: '/replicas-demo/data' });
log(`etcd ${etcd.endpoint} (pid ${etcd.pid})`);
for (let i = 0; i < ITEMS; i++) await store.create('Item', { metadata: { name: `item-${String(i).padStart(2, '0')}` }, spec: { v: 1 } });

const replicas: ReplicaProcess[] = ['a', 'b', 'c'].map((replica) =>
  spawnReplica({ endpoint: etcd.endpoint, prefix: '/replicas-demo', replica, ttl: TTL, shards: 12, passMs: 100 }),
);
const latest = (r: ReplicaProcess): WorkerLine | undefined => [...r.lines].reverse().find((l) => l.ev === 'ownership');

async function table(title: string): Promise<void> {
  const shards = await client.getAll().prefix('/replicas-demo/coordination/shards/').strings();
  const byReplica = new Map<string, number[]>();
  for (const [key, owner] of Object.entries(shards)) byReplica.set(owner, [...(byReplica.get(owner) ?? []), Number(key.split('/').pop())]);
  const items = await store.list<{ v: number }, { handledBy?: string; generation?: number }>('Item');
  const handled = new Map<string, number>();
  for (const item of items) if (item.status?.generation === item.metadata.generation) handled.set(item.status.handledBy ?? '?', (handled.get(item.status.handledBy ?? '?') ?? 0) + 1);
  log(title);
  for (const r of replicas) {
    const owned = (byReplica.get(r.replica) ?? []).sort((x, y) => x - y);
    console.log(`          replica ${r.replica} (pid ${r.pid}): shards [${owned.join(', ')}], items in sync by it: ${handled.get(r.replica) ?? 0}`);
  }
}

async function bumpAll(target: EtcdStore): Promise<void> {
  for (const listed of await target.list<{ v: number }>('Item')) {
    for (let item = listed, attempt = 0; attempt < 10; attempt++) {
      try {
        await target.update({ ...item, spec: { v: item.spec.v + 1 } });
        break;
      } catch {
        item = (await target.get<{ v: number }>('Item', keyOf(item))) ?? item;
      }
    }
  }
}

async function convergedWithout(gone: readonly string[]): Promise<void> {
  for (;;) {
    const items = await store.list<{ v: number }, { handledBy?: string; generation?: number }>('Item');
    if (items.every((i) => i.status?.generation === i.metadata.generation && !gone.includes(i.status.handledBy ?? ''))) return;
    await sleep(100);
  }
}

try {
  await until(() => replicas.every((r) => latest(r)?.ready === true && latest(r)?.members?.length === 3), 'three ready replicas');
  await convergedWithout([]);
  await table('1. three replicas share the shards; every item is in sync');

  const [a, b, c] = replicas as [ReplicaProcess, ReplicaProcess, ReplicaProcess];
  a.signal('SIGKILL');
  const killedAt = Date.now();
  log(`2. kill -9 replica a (pid ${a.pid}); its lease expires after at most ${TTL} ms`);
  await until(() => [b, c].every((r) => latest(r)?.members?.length === 2 && latest(r)?.ready === true), 'b and c taking over');
  log(`   b and c own every shard after ${Date.now() - killedAt} ms`);
  await bumpAll(store);
  await convergedWithout(['a']);
  await table('   every item changed once more and is in sync again, without a');

  b.signal('SIGSTOP');
  const pausedAt = Date.now();
  log(`3. SIGSTOP replica b (pid ${b.pid}) for ${TTL + 1500} ms, past its lease; items keep changing`);
  const driving = (async () => {
    while (Date.now() - pausedAt < TTL + 1500) {
      await bumpAll(store);
      await sleep(300);
    }
  })();
  await driving;
  await table('   c took over b\'s shards while b was paused');
  b.signal('SIGCONT');
  const resumedAt = Date.now();
  log('   SIGCONT replica b: its passes wake up mid-write with a stale fencing token');
  await until(() => latest(b)?.t !== undefined && (latest(b)?.t ?? 0) > resumedAt && latest(b)?.members?.length === 2 && latest(b)?.ready === true, 'b back', 30_000);
  await bumpAll(store);
  await convergedWithout(['a']);
  const refused = b.lines.filter((l) => l.ev === 'write' && l.t >= resumedAt && l.ok === false && l.code === 'FENCED').length;
  const before = new Set(b.lines.filter((l) => l.ev === 'start' && l.t < pausedAt).map((l) => l.token));
  const acceptedStale = b.lines.filter((l) => l.ev === 'write' && l.t >= resumedAt && l.ok === true && before.has(l.token)).length;
  log(`   writes of b refused by the fence after it woke up: ${refused}; stale writes accepted: ${acceptedStale}`);
  await table('4. b rejoined with a new lease; the shards are split between b and c; every item is in sync');
  log('converged: every item is in sync, each shard has one owner, no stale write landed');
} finally {
  await Promise.all(replicas.map((r) => r.stop()));
  client.close();
  await etcd.stop();
}

