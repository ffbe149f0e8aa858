/**
 * The etcd store's watch against a real etcd: the list, `synced`, `old`, deletions, resume by
 * revision, `CompactedError`, a gap-free resume across an etcd `kill -9` + restart, and a logged
 * re-list when etcd cancels a watch whose revision was compacted while it was cut off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Subscription } from 'rxjs';
import type { Etcd3 } from 'etcd3';
import { CompactedError } from 'rx-reconcile';
import type { Logger, WatchEvent } from 'rx-reconcile';
import type { LogFields } from '../../src/ports.js';
import { createEtcdStore } from 'rx-reconcile/etcd';
import { etcdMissing, startEtcd } from '../../examples/support/etcd-server.js';
import type { EtcdServer } from '../../examples/support/etcd-server.js';
import { testClient } from '../../examples/support/etcd-client.js';
import { startProxy } from './tcp-proxy.js';

const missing = etcdMissing();
if (missing !== undefined) console.warn(`etcd watch tests skipped: ${missing}`);

const line = (e: WatchEvent): string =>
  e.type === 'synced' ? 'synced' : `${e.type}${e.initial ? '*' : ''} ${e.object.metadata.name}`;

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function recordingLogger(lines: { level: string; message: string; fields: LogFields }[]): Logger {
  const at =
    (level: string) =>
    (fields: LogFields, message: string): void => {
      lines.push({ level, message, fields });
    };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

describe.skipIf(missing !== undefined)('etcd store watch (real etcd)', () => {
  let server: EtcdServer;
  let client: Etcd3;
  let n = 0;
  const subscriptions: Subscription[] = [];

  beforeAll(async () => {
    server = await startEtcd();
    client = testClient(server.endpoint);
  });
  afterAll(async () => {
    for (const s of subscriptions) s.unsubscribe();
    client?.close();
    await server?.stop();
  });

  it('replays the list, says synced at the list revision, then streams changes with old and deletions', async () => {
    const store = createEtcdStore({ client, prefix: `/w${++n}` });
    const a = await store.create('Post', { metadata: { name: 'a' }, spec: { n: 1 } });
    await store.create('Other', { metadata: { name: 'o' }, spec: {} });
    const events: WatchEvent[] = [];
    subscriptions.push(store.watch('Post').subscribe((e) => events.push(e)));
    await until(() => events.some((e) => e.type === 'synced'), 'synced');
    const synced = events.find((e) => e.type === 'synced');
    expect(synced?.type === 'synced' && synced.revision).toBeGreaterThanOrEqual(a.metadata.revision);
    const b = await store.create('Post', { metadata: { name: 'b', finalizers: ['f/x'] }, spec: {} });
    const a2 = await store.update({ ...a, spec: { n: 2 } });
    await store.delete('Post', 'a');
    const marked = await store.delete('Post', 'b');
    const gone = await store.update({ ...marked!, metadata: { ...marked!.metadata, finalizers: [] } });
    await until(() => events.length >= 7, 'seven events');
    expect(events.map(line)).toEqual(['added* a', 'synced', 'added b', 'modified a', 'deleted a', 'modified b', 'deleted b']);
    const modified = events[3];
    expect(modified?.type === 'modified' && modified.old).toEqual(a);
    expect(modified?.type === 'modified' && modified.object).toEqual(a2);
    const deleted = events[6];
    expect(deleted?.type === 'deleted' && deleted.object.metadata).toMatchObject({ finalizers: [], revision: gone.metadata.revision });
    expect(b.metadata.revision).toBeLessThan(gone.metadata.revision);
  });

  it('sinceRevision replays exactly the changes after it, then streams; a compacted one fails with CompactedError', async () => {
    const store = createEtcdStore({ client, prefix: `/w${++n}` });
    const a = await store.create('Post', { metadata: { name: 'a' }, spec: {} });
    await store.update({ ...a, spec: { n: 1 } });
    await store.create('Post', { metadata: { name: 'b' }, spec: {} });
    const events: WatchEvent[] = [];
    subscriptions.push(store.watch('Post', { sinceRevision: a.metadata.revision }).subscribe((e) => events.push(e)));
    await store.create('Post', { metadata: { name: 'c' }, spec: {} });
    await until(() => events.length >= 3, 'three events');
    expect(events.map(line)).toEqual(['modified a', 'added b', 'added c']);

    const latest = Number((await client.get('none').exec()).header.revision);
    await client.kv.compact({ revision: latest });
    let error: unknown;
    subscriptions.push(store.watch('Post', { sinceRevision: a.metadata.revision }).subscribe({ error: (e: unknown) => (error = e) }));
    await until(() => error !== undefined, 'the CompactedError');
    expect(error).toBeInstanceOf(CompactedError);
    expect(error).toMatchObject({ code: 'COMPACTED', kind: 'Post', requested: a.metadata.revision });
  });

  it('resumes across an etcd kill -9 and restart on the same data dir with 0 missed and 0 repeated events', async () => {
    const store = createEtcdStore({ client, prefix: `/w${++n}` });
    const writerClient = testClient(server.endpoint);
    const writer = createEtcdStore({ client: writerClient, prefix: store.prefix, callTimeout: 1000 });
    try {
      const seen: string[] = [];
      subscriptions.push(store.watch('Post').subscribe((e) => e.type !== 'synced' && seen.push(`${e.object.metadata.name}@${e.object.metadata.revision}`)));
      const written: string[] = [];
      const write = async (i: number): Promise<void> => {
        for (;;) {
          try {
            const r = await writer.create('Post', { metadata: { name: `p${i}` }, spec: { i } });
            written.push(`p${i}@${r.metadata.revision}`);
            return;
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 100)); // etcd is restarting
          }
        }
      };
      for (let i = 0; i < 30; i++) await write(i);
      await until(() => seen.length === 30, 'the first 30 events');
      await server.crash();
      const restarting = server.restart();
      for (let i = 30; i < 60; i++) await write(i);
      await restarting;
      await until(() => seen.length >= 60, 'all 60 events', 30_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(seen).toEqual(written);
    } finally {
      writerClient.close();
    }
  });

  it('a list watch whose revision is compacted while it is cut off logs, re-lists and emits what changed', async () => {
    const proxy = await startProxy(server.endpoint);
    const cutClient = testClient(proxy.endpoint);
    const lines: { level: string; message: string; fields: LogFields }[] = [];
    try {
      const prefix = `/w${++n}`;
      const watched = createEtcdStore({ client: cutClient, prefix, logger: recordingLogger(lines) });
      const direct = createEtcdStore({ client, prefix });
      const a = await direct.create('Post', { metadata: { name: 'a' }, spec: { n: 1 } });
      await direct.create('Post', { metadata: { name: 'b' }, spec: {} });
      const events: WatchEvent[] = [];
      subscriptions.push(watched.watch('Post').subscribe((e) => events.push(e)));
      await until(() => events.some((e) => e.type === 'synced'), 'synced');
      proxy.cut();
      const a2 = await direct.update({ ...a, spec: { n: 2 } });
      await direct.delete('Post', 'b');
      await direct.create('Post', { metadata: { name: 'c' }, spec: {} });
      await client.kv.compact({ revision: Number((await client.get('none').exec()).header.revision) });
      proxy.heal();
      await until(() => events.length >= 5, 'the re-listed changes', 30_000);
      expect(events.map(line)).toEqual(['added* a', 'added* b', 'synced', 'deleted b', 'modified a', 'added c']);
      const modified = events[4];
      expect(modified?.type === 'modified' && modified.old).toEqual(a);
      expect(modified?.type === 'modified' && modified.object).toEqual(a2);
      expect(lines.some((l) => l.level === 'warn' && l.message === 'Watch cancelled; listing again' && l.fields['kind'] === 'Post')).toBe(true);
      // And it streams on from the new list.
      await direct.create('Post', { metadata: { name: 'd' }, spec: {} });
      await until(() => events.length >= 7, 'the next change');
      expect(line(events[6] as WatchEvent)).toBe('added d');
    } finally {
      cutClient.close();
      await proxy.close();
    }
  });
});
