/**
 * A watch far behind (cut off while other clients write several MiB) against a real etcd: etcd packs
 * up to 1000 revisions into one watch answer, and the client refuses answers over 4 MiB
 * (RESOURCE_EXHAUSTED). Before the fix, etcd3 asked for the same answer again, forever: the watch
 * stopped for good with only debug lines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import type { IOptions } from 'etcd3';
import { TransientError } from 'rx-reconcile';
import type { WatchEvent } from 'rx-reconcile';
import { createEtcdStore } from 'rx-reconcile/etcd';
import { etcdMissing, startEtcd } from '../../examples/support/etcd-server.js';
import type { EtcdServer } from '../../examples/support/etcd-server.js';
import { testClient } from '../../examples/support/etcd-client.js';
import { startProxy } from './tcp-proxy.js';
import type { TcpProxy } from './tcp-proxy.js';
import { recordingLogger, until } from './etcd-test-kit.js';
import type { LogLine } from './etcd-test-kit.js';

const missing = etcdMissing();
if (missing !== undefined) console.warn(`etcd watch catch-up tests skipped: ${missing}`);

const names = (events: readonly WatchEvent[]): string[] => events.flatMap((e) => (e.type === 'synced' ? [] : [`${e.type} ${e.object.metadata.name}`]));

type HostPolicy = ReturnType<NonNullable<NonNullable<IOptions['faultHandling']>['host']>>;
const passThrough = { execute: async <T>(fn: () => T | Promise<T>): Promise<T> => fn() } as unknown as HostPolicy;

describe.skipIf(missing !== undefined)('etcd watch catching up over more than the client takes in one answer (real etcd)', () => {
  let server: EtcdServer;
  let writer: Etcd3;
  let proxy: TcpProxy;
  const clients: Etcd3[] = [];
  let n = 0;

  beforeAll(async () => {
    server = await startEtcd();
    writer = testClient(server.endpoint);
    proxy = await startProxy(server.endpoint);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    writer?.close();
    await proxy?.close();
    await server?.stop();
  });

  it('a list watch cut off while 6 MiB of changes are written delivers every one after the heal (it stalled on RESOURCE_EXHAUSTED)', async () => {
    const watching = testClient(proxy.endpoint);
    clients.push(watching);
    const prefix = `/big${++n}`;
    const lines: LogLine[] = [];
    const watched = createEtcdStore({ client: watching, prefix, logger: recordingLogger(lines) });
    const direct = createEtcdStore({ client: writer, prefix });
    const first = await direct.create('Blob', { metadata: { name: 'a' }, spec: { data: 'a' } });
    const events: WatchEvent[] = [];
    const sub = watched.watch('Blob').subscribe((e) => events.push(e));
    try {
      await until(() => events.some((e) => e.type === 'synced'), 'synced');
      proxy.cut();
      // Four values of 1.4 MB and one update of the listed one: 7 MB in one catch-up batch.
      for (const name of ['w', 'x', 'y', 'z']) await direct.create('Blob', { metadata: { name }, spec: { data: name.repeat(1_400_000) } });
      await direct.update({ ...first, spec: { data: 'b'.repeat(1_400_000) } });
      proxy.heal();
      await until(() => events.length >= 7, 'the five changes', 30_000);
      expect(names(events)).toEqual(['added a', 'added w', 'added x', 'added y', 'added z', 'modified a']);
      const modified = events[6];
      expect(modified?.type === 'modified' && modified.old).toEqual(first);
      // Caught up by the watch itself, not by a re-list.
      expect(lines.filter((l) => l.level === 'warn')).toEqual([]);
    } finally {
      sub.unsubscribe();
      proxy.heal();
    }
  });

  it('a sinceRevision watch over 4 big updates (8 MB with previous values) delivers all of them (it stalled)', async () => {
    const client = testClient(server.endpoint);
    clients.push(client);
    const store = createEtcdStore({ client, prefix: `/big${++n}` });
    let r = await store.create('Blob', { metadata: { name: 'b' }, spec: { data: 'a'.repeat(1_400_000) } });
    const since = r.metadata.revision;
    for (const c of ['b', 'c', 'd']) r = await store.update({ ...r, spec: { data: c.repeat(1_400_000) } });
    const events: WatchEvent[] = [];
    const sub = store.watch('Blob', { sinceRevision: since }).subscribe((e) => events.push(e));
    try {
      await until(() => events.length >= 3, 'three updates', 30_000);
      expect(events.map((e) => (e.type === 'synced' ? 'synced' : `${e.type} ${String((e.object.spec as { data: string }).data[0])}`))).toEqual(['modified b', 'modified c', 'modified d']);
      expect(events.map((e) => e.type !== 'synced' && e.type === 'modified' && (e.old?.spec as { data: string }).data[0])).toEqual(['a', 'b', 'c']);
    } finally {
      sub.unsubscribe();
    }
  });

  describe('a client that takes less in one answer than etcd sends (grpc.max_receive_message_length 256 KiB)', () => {
    const smallClient = (endpoint: string): Etcd3 => {
      const client = new Etcd3({ hosts: endpoint, faultHandling: { host: () => passThrough }, grpcOptions: { 'grpc.max_receive_message_length': 256 * 1024 } });
      clients.push(client);
      return client;
    };

    it('a list watch re-lists with a warning instead of asking for the same answer forever', async () => {
      const prefix = `/big${++n}`;
      const lines: LogLine[] = [];
      const watched = createEtcdStore({ client: smallClient(proxy.endpoint), prefix, logger: recordingLogger(lines) });
      const direct = createEtcdStore({ client: writer, prefix });
      const events: WatchEvent[] = [];
      const sub = watched.watch('Blob').subscribe((e) => events.push(e));
      try {
        await until(() => events.some((e) => e.type === 'synced'), 'synced');
        proxy.cut();
        // 20 × 100 kB: one etcd answer of ~1.5 MiB (etcd's own limit), six times what the client takes.
        for (let i = 10; i < 30; i++) await direct.create('Blob', { metadata: { name: `k${i}` }, spec: { data: 'q'.repeat(100_000) } });
        proxy.heal();
        await until(() => events.length >= 21, 'the twenty creations', 30_000);
        expect(names(events)).toEqual(Array.from({ length: 20 }, (_, i) => `added k${i + 10}`));
        expect(lines.some((l) => l.level === 'warn' && l.message === 'Watch answer too large for this client; listing again')).toBe(true);
        // And it streams on from the new list.
        await direct.create('Blob', { metadata: { name: 'z' }, spec: {} });
        await until(() => events.length >= 22, 'the next change');
        expect(names(events).at(-1)).toBe('added z');
      } finally {
        sub.unsubscribe();
        proxy.heal();
      }
    });

    it('a sinceRevision watch fails with a TransientError that says what to do instead of stalling', async () => {
      const prefix = `/big${++n}`;
      const direct = createEtcdStore({ client: writer, prefix });
      const r = await direct.create('Blob', { metadata: { name: 'a' }, spec: {} });
      for (let i = 0; i < 10; i++) await direct.create('Blob', { metadata: { name: `k${i}` }, spec: { data: 'q'.repeat(100_000) } });
      const watched = createEtcdStore({ client: smallClient(server.endpoint), prefix });
      let error: unknown;
      const sub = watched.watch('Blob', { sinceRevision: r.metadata.revision }).subscribe({ error: (e: unknown) => (error = e) });
      try {
        await until(() => error !== undefined, 'the error', 30_000);
        expect(error).toBeInstanceOf(TransientError);
        expect((error as Error).message).toMatch(/larger than this etcd3 client accepts.*watch without sinceRevision.*grpc\.max_receive_message_length/s);
      } finally {
        sub.unsubscribe();
      }
    });
  });
});
