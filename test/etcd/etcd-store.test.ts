/**
 * The etcd store against a real etcd (started by the test on free 127.0.0.1 ports): the memory
 * store's write rules, the layout in etcd, compare-and-set on mod_revision, fenced writes, deadlines
 * and options. The watch has its own file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Etcd3 } from 'etcd3';
import {
  AlreadyExistsError,
  ConflictError,
  FencedError,
  InvalidArgumentError,
  NotFoundError,
  ResourceTooLargeError,
  TransientError,
  ValidationError,
} from 'rx-reconcile';
import type { Fence } from 'rx-reconcile';
import { createEtcdStore } from 'rx-reconcile/etcd';
import { etcdMissing, startEtcd } from '../../examples/support/etcd-server.js';
import type { EtcdServer } from '../../examples/support/etcd-server.js';
import { testClient } from '../../examples/support/etcd-client.js';
import { startProxy } from './tcp-proxy.js';

const missing = etcdMissing();
if (missing !== undefined) console.warn(`etcd store tests skipped: ${missing}`);

describe.skipIf(missing !== undefined)('etcd store (real etcd)', () => {
  let server: EtcdServer;
  let client: Etcd3;
  let n = 0;
  const fresh = () => createEtcdStore({ client, prefix: `/t${++n}` });

  beforeAll(async () => {
    server = await startEtcd();
    client = testClient(server.endpoint);
  });
  afterAll(async () => {
    client?.close();
    await server?.stop();
  });

  it('keeps a resource as JSON at <prefix>/<kind>/<name>, with metadata.revision = mod_revision', async () => {
    const store = fresh();
    const a = await store.create('Post', { metadata: { name: 'a', labels: { team: 'x' } }, spec: { n: 1 } });
    const b = await store.create('Post', { metadata: { name: 'b', namespace: 'ns' }, spec: {} });
    const kv = (await client.get(`${store.prefix}/Post/a`).exec()).kvs[0];
    expect(kv).toBeDefined();
    expect(Number(kv?.mod_revision)).toBe(a.metadata.revision);
    expect(a.metadata.version).toBe(String(a.metadata.revision));
    expect(JSON.parse(kv?.value.toString() ?? '')).toMatchObject({ kind: 'Post', metadata: { name: 'a', generation: 1 }, spec: { n: 1 } });
    expect(await client.get(`${store.prefix}/Post/ns/b`).string()).not.toBeNull();
    expect(b.metadata.revision).toBeGreaterThan(a.metadata.revision);
    expect(Object.isFrozen(a) && Object.isFrozen(a.metadata) && Object.isFrozen(a.spec)).toBe(true);
    expect(await store.get('Post', 'a')).toEqual(a);
    expect(await store.get('Post', 'ns/b')).toEqual(b);
    expect(await store.get('Post', 'zz')).toBeUndefined();
    expect((await store.list('Post')).map((r) => r.metadata.name)).toEqual(['a', 'b']);
    expect((await store.list('Post', { namespace: 'ns' })).map((r) => r.metadata.name)).toEqual(['b']);
    expect((await store.list('Post', { labels: { team: 'x' } })).map((r) => r.metadata.name)).toEqual(['a']);
    await expect(store.create('Post', { metadata: { name: 'a' }, spec: {} })).rejects.toBeInstanceOf(AlreadyExistsError);
  });

  it('bumps generation on spec changes only, skips no-op writes, keeps omitted fields, and refuses stale versions', async () => {
    const store = fresh();
    const a = await store.create('Post', { metadata: { name: 'a', labels: { l: '1' } }, spec: { n: 1 } });
    const same = await store.update({ ...a, spec: { n: 1 } });
    expect(same).toBe(a);
    const labelled = await store.update({ ...a, metadata: { ...a.metadata, labels: { l: '2' } } });
    expect(labelled.metadata).toMatchObject({ generation: 1, labels: { l: '2' } });
    const changed = await store.update({ ...labelled, spec: { n: 2 } });
    expect(changed.metadata.generation).toBe(2);
    expect(changed.metadata.labels).toEqual({ l: '2' });
    const status = await store.updateStatus({ ...changed, status: { ok: true } });
    expect(status.metadata.generation).toBe(2);
    expect(await store.updateStatus({ ...status, status: { ok: true } })).toBe(status);
    // A status given to update is ignored; the stored one stays.
    const kept = await store.update({ ...status, spec: { n: 3 }, status: { ok: false } });
    expect(kept.status).toEqual({ ok: true });
    await expect(store.update({ ...a, spec: { n: 9 } })).rejects.toBeInstanceOf(ConflictError);
    await expect(store.updateStatus({ ...a, status: { x: 1 } })).rejects.toBeInstanceOf(ConflictError);
    await expect(store.update({ ...a, metadata: { ...a.metadata, name: 'gone' } })).rejects.toBeInstanceOf(NotFoundError);
    expect((await store.get('Post', 'a'))?.spec).toEqual({ n: 3 });
  });

  it('a CAS decided by etcd: a writer whose copy went stale in its cache is refused by etcd, not by itself', async () => {
    const one = fresh();
    const other = createEtcdStore({ client, prefix: one.prefix });
    const a = await one.create('Post', { metadata: { name: 'a' }, spec: { n: 0 } });
    expect(await other.get('Post', 'a')).toEqual(a); // other caches version 1
    const b = await one.update({ ...a, spec: { n: 1 } });
    // other believes its cached copy is current: only etcd's compare on mod_revision can refuse it.
    await expect(other.update({ ...a, spec: { n: 2 } })).rejects.toMatchObject({ code: 'CONFLICT', expectedVersion: a.metadata.version, actualVersion: b.metadata.version });
    await expect(other.updateStatus({ ...a, status: { s: 1 } })).rejects.toBeInstanceOf(ConflictError);
    expect((await one.get('Post', 'a'))?.spec).toEqual({ n: 1 });
    // Two writers racing from the same version: exactly one wins.
    const results = await Promise.allSettled([one.update({ ...b, spec: { n: 3 } }), other.update({ ...b, spec: { n: 4 } })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof ConflictError)).toHaveLength(1);
  });

  it('deletes finalizer-aware: marks while finalizers remain, removes when the last one goes', async () => {
    const store = fresh();
    await store.create('Post', { metadata: { name: 'plain' }, spec: {} });
    expect(await store.delete('Post', 'plain')).toBeUndefined();
    expect(await store.get('Post', 'plain')).toBeUndefined();
    await expect(store.delete('Post', 'plain')).rejects.toBeInstanceOf(NotFoundError);
    await store.create('Post', { metadata: { name: 'f', finalizers: ['x/y'] }, spec: {} });
    const marked = await store.delete('Post', 'f');
    expect(marked?.metadata.deletionTimestamp).toBeDefined();
    expect(await store.delete('Post', 'f')).toEqual(marked);
    await expect(store.update({ ...(marked as NonNullable<typeof marked>), metadata: { ...marked!.metadata, finalizers: ['x/y', 'z'] } })).rejects.toThrow(
      /cannot be added/,
    );
    const gone = await store.update({ ...marked!, metadata: { ...marked!.metadata, finalizers: [] } });
    expect(gone.metadata.finalizers).toEqual([]);
    expect(await store.get('Post', 'f')).toBeUndefined();
  });

  it('stores the schema output, and refuses bad input naming the field, storing nothing', async () => {
    const store = createEtcdStore({
      client,
      prefix: `/t${++n}`,
      kinds: { Post: { schema: z.object({ title: z.string().trim(), n: z.number().default(7) }) } },
      maxResourceBytes: 2000,
    });
    const a = await store.create('Post', { metadata: { name: 'a' }, spec: { title: '  hi  ' } });
    expect(a.spec).toEqual({ title: 'hi', n: 7 });
    await expect(store.create('Post', { metadata: { name: 'b' }, spec: { title: 5 } })).rejects.toThrow(ValidationError);
    await expect(store.create('Post', { metadata: { name: 'c', labels: { team: 5 as unknown as string } }, spec: { title: 'x' } })).rejects.toThrow(
      /metadata\.labels\.team/,
    );
    const cyclic: Record<string, unknown> = { title: 'x' };
    cyclic['self'] = cyclic;
    await expect(store.create('Post', { metadata: { name: 'd' }, spec: cyclic })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(store.create('Post', { metadata: { name: 'e' }, spec: { title: 'x'.repeat(3000) } })).rejects.toBeInstanceOf(ResourceTooLargeError);
    await expect(store.create('Post', { metadata: { name: 'a/b' }, spec: { title: 'x' } })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect((await store.list('Post')).map((r) => r.metadata.name)).toEqual(['a']);
    // Multi-byte text counts in bytes: 700 three-byte characters fit in characters but not in bytes.
    await expect(store.create('Post', { metadata: { name: 'f' }, spec: { title: '€'.repeat(700) } })).rejects.toBeInstanceOf(ResourceTooLargeError);
  });

  it('keeps __proto__ and constructor keys as data through etcd', async () => {
    const store = fresh();
    const spec = JSON.parse('{"__proto__":{"polluted":true},"constructor":{"x":1}}') as Record<string, unknown>;
    await store.create('Doc', { metadata: { name: 'd' }, spec });
    const read = await store.get('Doc', 'd');
    expect(JSON.stringify(read?.spec)).toBe(JSON.stringify(spec));
    expect(Object.getPrototypeOf(read?.spec)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('a kind with "/" in it cannot reach into another kind', async () => {
    const store = fresh();
    await store.create('a/b', { metadata: { name: 'x' }, spec: {} });
    await store.create('a', { metadata: { name: 'y', namespace: 'b' }, spec: {} });
    expect((await store.list('a')).map((r) => r.metadata.name)).toEqual(['y']);
    expect((await store.list('a/b')).map((r) => r.metadata.name)).toEqual(['x']);
  });

  it('fenced writes apply only while the fence lock still has the token as its create revision', async () => {
    const store = fresh();
    const lock = `${store.prefix}-lock/shard-0`;
    const put = await client.put(lock).value('me').exec();
    const fence: Fence = { lock, token: Number(put.header.revision), signal: new AbortController().signal };
    const fenced = store.fenced(fence);
    const a = await fenced.create('Post', { metadata: { name: 'a' }, spec: { n: 1 } });
    const b = await fenced.update({ ...a, spec: { n: 2 } });
    // Another owner takes the lock: it is created again at a later revision.
    await client.delete().key(lock).exec();
    await client.put(lock).value('other').exec();
    const attempts = [
      fenced.update({ ...b, spec: { n: 3 } }),
      fenced.updateStatus({ ...b, status: { s: 1 } }),
      fenced.create('Post', { metadata: { name: 'c' }, spec: {} }),
      fenced.delete('Post', 'a'),
    ];
    const results = await Promise.allSettled(attempts);
    for (const result of results) expect(result.status === 'rejected' && result.reason instanceof FencedError, String(result)).toBe(true);
    expect((await store.get('Post', 'a'))?.metadata.version).toBe(b.metadata.version);
    expect(await store.get('Post', 'c')).toBeUndefined();
    expect(results[0]).toMatchObject({ reason: { code: 'FENCED', token: String(fence.token) } });
    // A conflict under a valid fence is still a conflict, not a fence failure.
    const now = store.fenced({ ...fence, token: Number((await client.get(lock).exec()).kvs[0]?.create_revision) });
    await expect(now.update({ ...a, spec: { n: 9 } })).rejects.toBeInstanceOf(ConflictError);
    expect(() => store.fenced({ lock, token: Number.NaN, signal: fence.signal })).toThrow(InvalidArgumentError);
  });

  it('every call has a deadline: etcd out of reach fails with a TransientError, never hangs', async () => {
    const proxy = await startProxy(server.endpoint);
    const cut = testClient(proxy.endpoint);
    try {
      const store = createEtcdStore({ client: cut, prefix: `/t${++n}`, callTimeout: 300 });
      await store.create('Post', { metadata: { name: 'a' }, spec: {} });
      proxy.cut();
      const started = performance.now();
      await expect(store.get('Post', 'a')).rejects.toBeInstanceOf(TransientError);
      await expect(store.create('Post', { metadata: { name: 'b' }, spec: {} })).rejects.toThrow(/etcd: write .* failed/);
      expect(performance.now() - started).toBeLessThan(10_000);
    } finally {
      cut.close();
      await proxy.close();
    }
  });

  it('refuses bad options by name', () => {
    expect(() => createEtcdStore({ client, prefix: '' })).toThrow(/prefix/);
    expect(() => createEtcdStore({ client, prefix: '/x', callTimeout: 0 })).toThrow(/callTimeout/);
    expect(() => createEtcdStore({ client, prefix: '/x', callTimeout: Number.NaN })).toThrow(/callTimeout/);
    expect(() => createEtcdStore({ client, prefix: '/x', maxResourceBytes: 2 ** 40 })).toThrow(/maxResourceBytes/);
    expect(() => createEtcdStore({ client: {} as Etcd3, prefix: '/x' })).toThrow(/etcd3 client/);
    expect(() => createEtcdStore({ client, prefix: '/x', colour: 1 } as never)).toThrow(/unknown option "colour"/);
  });
});
