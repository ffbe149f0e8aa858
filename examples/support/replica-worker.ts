/**
 * One replica of the `Item` loop, run as a child process by `examples/replicas.ts`, the replica tests
 * and the etcd benchmarks. Each pass does `passMs` of I/O (a timer), then writes the key's status
 * through the pass's fenced store. Every pass start, write attempt and end is printed as a JSON line
 * (with the fence token and the wall-clock time) so the parent can check who did what, and when.
 *
 * Usage: replica-worker.ts '{"endpoint":"127.0.0.1:2379","prefix":"/demo","replica":"a","ttl":2000}'
 */
import { Outcome, defineLoop } from 'rx-reconcile';
import { createEtcdStore, etcdCoordinator } from 'rx-reconcile/etcd';
import { testClient } from './etcd-client.js';

interface Config {
  readonly endpoint: string;
  readonly prefix: string;
  readonly replica: string;
  readonly ttl: number;
  readonly renewDeadline?: number;
  readonly shards?: number;
  readonly passMs?: number;
  readonly workers?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as Config;
const { replica } = config;
const out = (line: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify({ replica, t: Date.now(), ...line })}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const client = testClient(config.endpoint);
const store = createEtcdStore({ client, prefix: `${config.prefix}/data` });
const coordinator = etcdCoordinator({
  client,
  prefix: `${config.prefix}/coordination`,
  replica,
  ttl: config.ttl,
  ...(config.renewDeadline === undefined ? {} : { renewDeadline: config.renewDeadline }),
  shards: config.shards ?? 12,
});
coordinator.changes$.subscribe((change) => out({ ev: 'ownership', owned: coordinator.state().owned, members: coordinator.state().members, ready: change.ready }));

type Status = { handledBy?: string; token?: number; generation?: number };
const loop = defineLoop<{ v: number }, Status>({
  name: 'items',
  store,
  kind: 'Item',
  coordinator,
  conditions: false,
  workers: config.workers ?? 8,
  // Spec changes only: the pass's own status write does not come back as one more pass.
  filter: (event) => event.type !== 'modified' || event.old?.metadata.generation !== event.object.metadata.generation,
  async reconcile(request, ctx) {
    const token = ctx.fence?.token;
    out({ ev: 'start', key: request.key, token });
    try {
      await sleep(config.passMs ?? 50); // the world's I/O; a paused process wakes up here, mid-write
      const resource = await ctx.get();
      if (resource === undefined) return Outcome.converged();
      const status: Status = { handledBy: replica, generation: resource.metadata.generation, ...(token === undefined ? {} : { token }) };
      if (resource.status?.generation === status.generation && resource.status?.handledBy === replica) return Outcome.converged();
      try {
        await ctx.store.updateStatus({ ...resource, status });
        out({ ev: 'write', key: request.key, token, ok: true, generation: status.generation });
      } catch (error) {
        out({ ev: 'write', key: request.key, token, ok: false, code: (error as { code?: string }).code });
        throw error;
      }
      return Outcome.converged();
    } finally {
      out({ ev: 'end', key: request.key, token });
    }
  },
});

void coordinator.whenReady().then(() => out({ ev: 'ready', owned: coordinator.state().owned }));

const shutdown = async (): Promise<void> => {
  await loop.stop({ deadline: 2000 });
  await coordinator.stop();
  client.close();
  out({ ev: 'stopped' });
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
