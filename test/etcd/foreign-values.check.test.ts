/**
 * Values written into the store's keys by another program (etcdctl, another app, a bug) against a
 * real etcd: each is skipped by `list` and `watch` with a `Malformed resource skipped` warning
 * carrying a `MalformedResourceError` (the etcd key and every problem), and `get` rejects with it.
 * Before the fix, a lone-surrogate name crashed every watching process (URIError, an unhandled
 * rejection), and values of the wrong kind, of another key or of the wrong shape were served as
 * resources (a `labels: null` made every labelled `list` throw a TypeError).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Etcd3 } from 'etcd3';
import { MalformedResourceError } from 'rx-reconcile';
import type { WatchEvent } from 'rx-reconcile';
import { createEtcdStore } from 'rx-reconcile/etcd';
import { etcdMissing, startEtcd } from '../../examples/support/etcd-server.js';
import type { EtcdServer } from '../../examples/support/etcd-server.js';
import { testClient } from '../../examples/support/etcd-client.js';
import { startProxy } from './tcp-proxy.js';
import { recordingLogger, until } from './etcd-test-kit.js';
import type { LogLine } from './etcd-test-kit.js';

const missing = etcdMissing();
if (missing !== undefined) console.warn(`etcd foreign value tests skipped: ${missing}`);

const names = (events: readonly WatchEvent[]): string[] => events.map((e) => (e.type === 'synced' ? 'synced' : `${e.type} ${e.object.metadata.name}`));
const skipped = (lines: readonly LogLine[]): string[] =>
  lines.filter((l) => l.level === 'warn' && l.message === 'Malformed resource skipped').map((l) => (l.fields['err'] as MalformedResourceError).location);

describe.skipIf(missing !== undefined)('values in the store written around it (real etcd)', () => {
  let server: EtcdServer;
  let client: Etcd3;
  let n = 0;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

  beforeAll(async () => {
    server = await startEtcd();
    client = testClient(server.endpoint);
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    client?.close();
    await server?.stop();
  });

  it('a lone-surrogate name is skipped with a warning by list, watch and the re-list (it crashed every watching process with URIError)', async () => {
    const proxy = await startProxy(server.endpoint);
    const cutClient = testClient(proxy.endpoint);
    try {
      const prefix = `/f${++n}`;
      const lines: LogLine[] = [];
      const store = createEtcdStore({ client: cutClient, prefix, logger: recordingLogger(lines) });
      const direct = createEtcdStore({ client, prefix });
      await direct.create('Todo', { metadata: { name: 'real' }, spec: {} });
      const doc = JSON.parse((await client.get(`${prefix}/Todo/real`).string()) ?? '') as { metadata: { name: string } };
      const withName = (name: string): string => JSON.stringify({ ...doc, metadata: { ...doc.metadata, name } });
      await client.put(`${prefix}/Todo/x`).value(withName('\ud800'));

      expect((await store.list('Todo')).map((r) => r.metadata.name)).toEqual(['real']);
      const events: WatchEvent[] = [];
      let failed: unknown;
      const sub = store.watch('Todo').subscribe({ next: (e) => events.push(e), error: (e: unknown) => (failed = e) });
      try {
        await until(() => events.some((e) => e.type === 'synced'), 'synced');
        // Live, then through the re-list after a compaction while cut off.
        await client.put(`${prefix}/Todo/y`).value(withName('\udc00y'));
        await direct.create('Todo', { metadata: { name: 'after' }, spec: {} });
        await until(() => events.length >= 3, 'the live creation');
        proxy.cut();
        await client.put(`${prefix}/Todo/z`).value(withName('z\ud83d'));
        await direct.create('Todo', { metadata: { name: 'cut' }, spec: {} });
        await client.kv.compact({ revision: Number((await client.get('none').exec()).header.revision) });
        proxy.heal();
        await until(() => events.length >= 4, 'the re-listed creation', 30_000);
        expect(names(events)).toEqual(['added real', 'synced', 'added after', 'added cut']);
        expect(failed).toBeUndefined();
        expect(new Set(skipped(lines))).toEqual(new Set([`etcd key ${prefix}/Todo/x`, `etcd key ${prefix}/Todo/y`, `etcd key ${prefix}/Todo/z`]));
        const error = lines.find((l) => l.message === 'Malformed resource skipped')?.fields['err'] as MalformedResourceError;
        expect(error.problems.join()).toMatch(/lone UTF-16 surrogate/);
        await expect(store.get('Todo', 'x')).rejects.toBeInstanceOf(MalformedResourceError);
        expect(unhandled).toEqual([]);
      } finally {
        sub.unsubscribe();
      }
    } finally {
      cutClient.close();
      await proxy.close();
    }
  });

  it('values of another kind, another key or a wrong shape are skipped, named with their problems (they were served as resources)', async () => {
    const prefix = `/f${++n}`;
    const lines: LogLine[] = [];
    const store = createEtcdStore({ client, prefix, logger: recordingLogger(lines) });
    await store.create('Todo', { metadata: { name: 'real', labels: { a: 'b' } }, spec: { n: 1 } });
    const doc = JSON.parse((await client.get(`${prefix}/Todo/real`).string()) ?? '') as { metadata: Record<string, unknown> } & Record<string, unknown>;
    const variant = (name: string, metadata: Record<string, unknown>, rest: Record<string, unknown> = {}): string =>
      JSON.stringify({ ...doc, ...rest, metadata: { ...doc.metadata, name, ...metadata } });
    const cases: Record<string, [string, RegExp]> = {
      garbage: ['\u00ff not json', /not JSON/],
      array: ['[1,2,3]', /not a JSON object/],
      otherkind: [variant('otherkind', {}, { kind: 'Other' }), /kind is "Other"/],
      dupname: [variant('real', { labels: { a: 'b' } }), /metadata names "real"/],
      infinite: [variant('infinite', {}).replace('"generation":1', '"generation":1e999'), /generation/],
      fraction: [variant('fraction', { generation: -5.5 }), /generation must be an integer/],
      labelsnull: [variant('labelsnull', { labels: null }), /metadata\.labels/],
      finstring: [variant('finstring', { finalizers: 'x' }), /metadata\.finalizers/],
      annotations: [variant('annotations', { annotations: { a: 1 } }), /metadata\.annotations\.a/],
      deletion: [variant('deletion', { deletionTimestamp: 42 }), /deletionTimestamp/],
      owners: [variant('owners', { ownerReferences: 'nope' }), /metadata\.ownerReferences/],
      nouid: [variant('nouid', { uid: undefined }), /uid/],
      nospec: [JSON.stringify({ ...doc, spec: undefined, metadata: { ...doc.metadata, name: 'nospec' } }), /spec is missing/],
    };
    for (const [key, [value]] of Object.entries(cases)) await client.put(`${prefix}/Todo/${key}`).value(value);

    expect((await store.list('Todo')).map((r) => r.metadata.name)).toEqual(['real']);
    expect((await store.list('Todo', { labels: { a: 'b' } })).map((r) => r.metadata.name)).toEqual(['real']);
    for (const [key, [, problem]] of Object.entries(cases)) {
      const error = await store.get('Todo', key).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, key).toBeInstanceOf(MalformedResourceError);
      expect((error as MalformedResourceError).location, key).toBe(`etcd key ${prefix}/Todo/${key}`);
      expect((error as MalformedResourceError).problems.join('; '), key).toMatch(problem);
    }
    const listed = new Set(skipped(lines));
    expect(listed.size).toBe(Object.keys(cases).length);

    lines.length = 0;
    const events: WatchEvent[] = [];
    const sub = store.watch('Todo').subscribe((e) => events.push(e));
    try {
      await until(() => events.some((e) => e.type === 'synced'), 'synced');
      for (const [key, [value]] of Object.entries(cases)) await client.put(`${prefix}/Todo/${key}`).value(`${value} `);
      await store.create('Todo', { metadata: { name: 'last' }, spec: {} });
      await until(() => events.length >= 3, 'the last creation');
      expect(names(events)).toEqual(['added real', 'synced', 'added last']);
      expect(skipped(lines).length).toBe(2 * Object.keys(cases).length);
    } finally {
      sub.unsubscribe();
    }
    expect(unhandled).toEqual([]);
  });
});
