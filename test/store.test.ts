import { describe, it, expect } from 'vitest';
import { config, Subject, take } from 'rxjs';
import type { Subscription } from 'rxjs';
import { z } from 'zod';
import fc from 'fast-check';
import { createMemoryStore } from 'rx-reconcile';
import type { MemoryStore } from 'rx-reconcile';
import { SimulationScheduler } from 'rx-reconcile/testing';
import {
  AlreadyExistsError,
  ConflictError,
  InvalidArgumentError,
  NotFoundError,
  ValidationError,
} from 'rx-reconcile';
import type { Resource, ResourceEvent, WatchEvent } from 'rx-reconcile';

interface PostSpec {
  title: string;
  tags?: string[];
}

const post = (name: string, spec: PostSpec = { title: name }, finalizers: string[] = []) => ({
  metadata: { name, finalizers },
  spec,
});

/** Subscribes to `store.watch(kind)` and collects the events. */
function record(store: MemoryStore, kind = 'Post'): { events: ResourceEvent[]; subscription: Subscription } {
  const events: ResourceEvent[] = [];
  const subscription = store.watch(kind).subscribe((e) => {
    if (e.type !== 'synced') events.push(e);
  });
  return { events, subscription };
}

/** `type[*] name@version` per resource event; `synced` events (the end of the list) are left out. */
const summary = (events: readonly WatchEvent[]) =>
  events.flatMap((e) => (e.type === 'synced' ? [] : [`${e.type}${e.initial ? '*' : ''} ${e.object.metadata.name}@${e.object.metadata.version}`]));

function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeepFrozen);
}

describe('createMemoryStore: create, get, list', () => {
  it('create fills version, generation 1, uid, timestamps and defaults, and emits added', async () => {
    const scheduler = new SimulationScheduler();
    scheduler.advanceTo(5000);
    const store = createMemoryStore({ scheduler });
    const { events } = record(store);
    const created = await store.create('Post', { metadata: { name: 'a' }, spec: { title: 'A' } });
    expect(created).toMatchObject({
      kind: 'Post',
      metadata: {
        name: 'a',
        version: '1',
        generation: 1,
        creationTimestamp: '1970-01-01T00:00:05.000Z',
        labels: {},
        annotations: {},
        finalizers: [],
        ownerReferences: [],
      },
      spec: { title: 'A' },
    });
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata.deletionTimestamp).toBeUndefined();
    expect('status' in created).toBe(false);
    expect(summary(events)).toEqual(['added a@1']);
    expect(store.size).toBe(1);
  });

  it('create of an existing key rejects with AlreadyExistsError and consumes no version', async () => {
    const store = createMemoryStore();
    await store.create('Post', post('a'));
    await expect(store.create('Post', post('a'))).rejects.toBeInstanceOf(AlreadyExistsError);
    expect((await store.create('Post', post('b'))).metadata.version).toBe('2');
  });

  it('uids are unique and versions increase across kinds', async () => {
    const store = createMemoryStore();
    const a = await store.create('Post', post('a'));
    const b = await store.create('Tag', post('a'));
    expect(a.metadata.uid).not.toBe(b.metadata.uid);
    expect(Number(b.metadata.version)).toBeGreaterThan(Number(a.metadata.version));
    expect(store.size).toBe(2);
  });

  it('uids are version 4 UUIDs, all distinct across more than one pool of random bytes', async () => {
    const store = createMemoryStore();
    const uids = new Set<string>();
    for (let i = 0; i < 1500; i++) uids.add((await store.create('Post', post(`p${i}`))).metadata.uid);
    expect(uids.size).toBe(1500);
    for (const uid of uids) expect(uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('with a random source, uids replay from it and still never repeat, even when it throws or answers NaN', async () => {
    const seeded = (seed: number) => () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const uidsOf = async (random: () => number) => {
      const store = createMemoryStore({ random });
      const uids: string[] = [];
      for (let i = 0; i < 300; i++) uids.push((await store.create('Post', post(`p${i}`))).metadata.uid);
      return uids;
    };
    const first = await uidsOf(seeded(7));
    expect(await uidsOf(seeded(7))).toEqual(first);
    expect(await uidsOf(seeded(8))).not.toEqual(first);
    const broken: (() => number)[] = [() => 0.5, () => Number.NaN, () => 7, () => { throw new Error('no randomness'); }];
    for (const random of broken) {
      const uids = await uidsOf(random);
      expect(new Set(uids).size).toBe(300);
      for (const uid of uids) expect(uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(() => createMemoryStore({ random: 5 as unknown as () => number })).toThrow(/random must be a function answering numbers in \[0, 1\)/);
  });

  it('get returns the snapshot, or undefined when absent; namespaced keys are namespace/name', async () => {
    const store = createMemoryStore();
    const created = await store.create('Post', { metadata: { name: 'a', namespace: 'blog' }, spec: { title: 'A' } });
    expect(await store.get('Post', 'blog/a')).toBe(created);
    expect(await store.get('Post', 'a')).toBeUndefined();
    expect(await store.get('Other', 'blog/a')).toBeUndefined();
  });

  it('list is sorted by key and filters by namespace and labels', async () => {
    const store = createMemoryStore();
    await store.create('Post', { metadata: { name: 'c', labels: { app: 'x' } }, spec: {} });
    await store.create('Post', { metadata: { name: 'a', namespace: 'n2', labels: { app: 'x', tier: 'web' } }, spec: {} });
    await store.create('Post', { metadata: { name: 'b', namespace: 'n1' }, spec: {} });
    const keys = async (options?: Parameters<MemoryStore['list']>[1]) =>
      (await store.list('Post', options)).map((r) => `${r.metadata.namespace ?? ''}/${r.metadata.name}`);
    expect(await keys()).toEqual(['/c', 'n1/b', 'n2/a']);
    expect(await keys({ namespace: 'n1' })).toEqual(['n1/b']);
    expect(await keys({ labels: { app: 'x' } })).toEqual(['/c', 'n2/a']);
    expect(await keys({ labels: { app: 'x', tier: 'web' } })).toEqual(['n2/a']);
    expect(await store.list('Nothing')).toEqual([]);
  });
});

describe('createMemoryStore: snapshots and copies', () => {
  it('every object handed out (create, get, list, update, watch) is deep-frozen', async () => {
    const store = createMemoryStore();
    const { events } = record(store);
    const created = await store.create('Post', post('a', { title: 'A', tags: ['x'] }));
    const updated = await store.update({ ...created, spec: { title: 'B', tags: ['y'] } });
    const withStatus = await store.updateStatus({ ...updated, status: { phase: 'Ready', conditions: [{ ok: true }] } });
    for (const value of [created, updated, withStatus, await store.get('Post', 'a'), ...(await store.list('Post'))]) {
      expect(isDeepFrozen(value)).toBe(true);
    }
    expect(events.every(isDeepFrozen)).toBe(true);
    expect(() => {
      (withStatus.spec as PostSpec).tags?.push('z');
    }).toThrow(TypeError);
  });

  it('writes build new objects: an earlier snapshot is unchanged by later writes', async () => {
    const store = createMemoryStore();
    const created = await store.create('Post', post('a'));
    await store.update({ ...created, spec: { title: 'changed' } });
    expect(created.spec).toEqual({ title: 'a' });
    expect(created.metadata.version).toBe('1');
  });

  it('caller input is neither retained by reference nor mutated', async () => {
    const store = createMemoryStore();
    const spec = { title: 'A', tags: ['x'] };
    const labels = { app: 'x' };
    const finalizers = ['f'];
    const input = { metadata: { name: 'a', labels, finalizers }, spec, status: { n: 1 } };
    const created = await store.create('Post', input);
    expect(created.spec).not.toBe(spec);
    expect(created.metadata.labels).not.toBe(labels);
    expect(Object.isFrozen(spec) || Object.isFrozen(labels) || Object.isFrozen(finalizers)).toBe(false);
    spec.tags.push('mutated');
    labels.app = 'mutated';
    finalizers.push('mutated');
    input.status.n = 2;
    expect(await store.get('Post', 'a')).toMatchObject({
      metadata: { labels: { app: 'x' }, finalizers: ['f'] },
      spec: { title: 'A', tags: ['x'] },
      status: { n: 1 },
    });

    const nextSpec = { title: 'B', tags: ['y'] };
    await store.update({ ...created, spec: nextSpec });
    nextSpec.tags.push('mutated');
    expect((await store.get<PostSpec>('Post', 'a'))?.spec).toEqual({ title: 'B', tags: ['y'] });
  });

  it('values that are not plain data reject with InvalidArgumentError', async () => {
    const store = createMemoryStore();
    await expect(store.create('Post', { metadata: { name: 'a' }, spec: { run: () => 1 } })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    expect(store.size).toBe(0);
  });

  it('names the path of a value that is not JSON data, and drops undefined properties', async () => {
    const store = createMemoryStore();
    const error = await store.create('Post', { metadata: { name: 'a' }, spec: { when: { at: new Date(0) } } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/Post "a" spec\.when\.at must be plain JSON data .* holds a Date/);
    const created = await store.create('Post', { metadata: { name: 'b' }, spec: { title: 'x', gone: undefined } });
    expect(Object.keys(created.spec as object)).toEqual(['title']);
  });
});

describe('createMemoryStore: update', () => {
  it('update with a stale version rejects with ConflictError and stores nothing', async () => {
    const store = createMemoryStore();
    const v1 = await store.create('Post', post('a'));
    const v2 = await store.update({ ...v1, spec: { title: 'first' } });
    const { events } = record(store);
    const error = await store.update({ ...v1, spec: { title: 'second' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ code: 'CONFLICT', expectedVersion: '1', actualVersion: v2.metadata.version });
    expect(await store.get('Post', 'a')).toBe(v2);
    expect(summary(events)).toEqual([`added* a@${v2.metadata.version}`]);
    await expect(store.updateStatus({ ...v1, status: { x: 1 } })).rejects.toBeInstanceOf(ConflictError);
  });

  it('update or updateStatus of an absent resource rejects with NotFoundError', async () => {
    const store = createMemoryStore();
    const created = await store.create('Post', post('a'));
    await store.delete('Post', 'a');
    await expect(store.update(created)).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.updateStatus({ ...created, status: 1 })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a spec change bumps generation; label, annotation, finalizer and status changes do not', async () => {
    const store = createMemoryStore();
    let r: Resource = await store.create('Post', post('a'));
    r = await store.update({ ...r, metadata: { ...r.metadata, labels: { a: 'b' }, annotations: { n: 'x' } } });
    expect(r.metadata).toMatchObject({ generation: 1, version: '2', labels: { a: 'b' }, annotations: { n: 'x' } });
    r = await store.update({ ...r, metadata: { ...r.metadata, finalizers: ['f'] } });
    expect(r.metadata).toMatchObject({ generation: 1, version: '3', finalizers: ['f'] });
    r = await store.updateStatus({ ...r, status: { phase: 'Ready' } });
    expect(r.metadata).toMatchObject({ generation: 1, version: '4' });
    r = await store.update({ ...r, spec: { title: 'new' } });
    expect(r.metadata).toMatchObject({ generation: 2, version: '5' });
    expect(r.status).toEqual({ phase: 'Ready' });
  });

  it('update keeps the stored status and ignores store-owned metadata from the caller', async () => {
    const store = createMemoryStore();
    const created = await store.create('Post', { ...post('a'), status: { phase: 'Ready' } });
    const updated = await store.update({
      ...created,
      metadata: { ...created.metadata, uid: 'forged', generation: 99, creationTimestamp: 'forged', deletionTimestamp: 'x' },
      spec: { title: 'B' },
      status: { phase: 'Forged' },
    });
    expect(updated.status).toEqual({ phase: 'Ready' });
    expect(updated.metadata).toMatchObject({
      uid: created.metadata.uid,
      generation: 2,
      creationTimestamp: created.metadata.creationTimestamp,
    });
    expect(updated.metadata.deletionTimestamp).toBeUndefined();
  });

  it('an update that changes nothing writes nothing: same object, same version, no event', async () => {
    const store = createMemoryStore();
    const created = await store.create('Post', post('a', { title: 'A', tags: ['x'] }));
    const { events } = record(store);
    const same = await store.update({
      ...created,
      metadata: { ...created.metadata, labels: {}, finalizers: [] },
      spec: { title: 'A', tags: ['x'] },
    });
    expect(same).toBe(created);
    expect(events.filter((e) => !e.initial)).toEqual([]);
    expect((await store.create('Post', post('b'))).metadata.version).toBe('2');
  });

  it('an updateStatus with a deep-equal status writes nothing: same object, same version, no event', async () => {
    const store = createMemoryStore();
    const created = await store.create('Post', { ...post('a'), status: { phase: 'Ready', n: [1] } });
    const { events } = record(store);
    const same = await store.updateStatus({ ...created, status: { phase: 'Ready', n: [1] } });
    expect(same).toBe(created);
    expect(events.filter((e) => !e.initial)).toEqual([]);
  });

  it('updateStatus writes status only, never the spec, and never bumps generation', async () => {
    const store = createMemoryStore();
    const created = await store.create('Post', post('a'));
    const updated = await store.updateStatus({ ...created, spec: { title: 'ignored' }, status: { phase: 'Ready' } });
    expect(updated).toMatchObject({ spec: { title: 'a' }, status: { phase: 'Ready' } });
    expect(updated.metadata).toMatchObject({ generation: 1, version: '2' });
  });
});

describe('createMemoryStore: finalizer-aware delete', () => {
  it('delete without finalizers removes the resource and emits deleted with the last snapshot', async () => {
    const store = createMemoryStore();
    await store.create('Post', post('a'));
    const { events } = record(store);
    expect(await store.delete('Post', 'a')).toBeUndefined();
    expect(await store.get('Post', 'a')).toBeUndefined();
    expect(store.size).toBe(0);
    expect(summary(events)).toEqual(['added* a@1', 'deleted a@2']);
    await expect(store.delete('Post', 'a')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('delete with finalizers only marks; removing the last finalizer removes it and emits deleted', async () => {
    const scheduler = new SimulationScheduler();
    const store = createMemoryStore({ scheduler });
    await store.create('Post', post('a', { title: 'A' }, ['cleanup', 'audit']));
    const { events } = record(store);
    scheduler.advanceTo(1000);

    const marked = await store.delete('Post', 'a');
    expect(marked?.metadata).toMatchObject({ version: '2', deletionTimestamp: '1970-01-01T00:00:01.000Z' });
    expect(await store.get('Post', 'a')).toBe(marked);
    expect(await store.delete('Post', 'a')).toBe(marked); // second delete: no-op

    const current = marked as Resource;
    await expect(
      store.update({ ...current, metadata: { ...current.metadata, finalizers: ['cleanup', 'audit', 'new'] } }),
    ).rejects.toThrow(/being deleted.*new/);

    const one = await store.update({ ...current, metadata: { ...current.metadata, finalizers: ['audit'] } });
    expect(one.metadata).toMatchObject({ finalizers: ['audit'], deletionTimestamp: '1970-01-01T00:00:01.000Z' });
    const last = await store.update({ ...one, metadata: { ...one.metadata, finalizers: [] } });
    expect(last.metadata).toMatchObject({ finalizers: [], version: '4' });
    expect(await store.get('Post', 'a')).toBeUndefined();
    expect(store.size).toBe(0);
    expect(summary(events)).toEqual(['added* a@1', 'modified a@2', 'modified a@3', 'deleted a@4']);
    expect(events.at(-1)?.object).toBe(last);
  });

  it('a resource that is not being deleted may drop all its finalizers and stays stored', async () => {
    const store = createMemoryStore();
    const created = await store.create('Post', post('a', { title: 'A' }, ['f']));
    const updated = await store.update({ ...created, metadata: { ...created.metadata, finalizers: [] } });
    expect(await store.get('Post', 'a')).toBe(updated);
  });
});

describe('createMemoryStore: schemas', () => {
  const PostSchema = z.object({ title: z.string().min(1), tags: z.array(z.string()).optional() });

  it('create with a spec failing the schema rejects with ValidationError naming spec.title, stores nothing', async () => {
    const store = createMemoryStore({ kinds: { Post: { schema: PostSchema } } });
    const { events } = record(store);
    const error = await store.create('Post', { metadata: { name: 'a' }, spec: { title: 42 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('spec.title');
    expect((error as ValidationError).message).toMatch(/spec\.title/);
    expect(await store.get('Post', 'a')).toBeUndefined();
    expect(events).toEqual([]);
    expect((await store.create('Post', post('b'))).metadata.version).toBe('1'); // no version consumed
  });

  it('update with a spec failing the schema rejects, keeps the old value and emits nothing', async () => {
    const store = createMemoryStore();
    store.registerKind('Post', { schema: PostSchema });
    const created = await store.create('Post', post('a'));
    const { events } = record(store);
    const error = await store
      .update({ ...created, spec: { title: 'ok', tags: ['x', 3] } })
      .catch((e: unknown) => e as ValidationError);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ issues: [{ path: 'spec.tags.1' }] });
    expect(await store.get('Post', 'a')).toBe(created);
    expect(events.filter((e) => !e.initial)).toEqual([]);
  });

  it('the parsed output of the schema is stored: defaults and coercions apply, so z.infer is what readers get', async () => {
    const Schema = z.object({ title: z.string(), replicas: z.coerce.number(), tier: z.string().default('web') });
    const store = createMemoryStore({ kinds: { Post: { schema: Schema } } });
    const created = await store.create('Post', { metadata: { name: 'a' }, spec: { title: 'A', replicas: '3', extra: true } });
    expect(created.spec).toEqual({ title: 'A', replicas: 3, tier: 'web' });
    // An update whose parsed output equals the stored spec is no change at all.
    const same = await store.update({ ...created, spec: { title: 'A', replicas: '3' } });
    expect(same).toBe(created);
  });

  it('kinds without a schema accept any plain-data spec', async () => {
    const store = createMemoryStore({ kinds: { Post: { schema: PostSchema } } });
    await expect(store.create('Other', { metadata: { name: 'a' }, spec: { title: 42 } })).resolves.toBeDefined();
  });
});

describe('createMemoryStore: argument checks', () => {
  it('an empty kind or a bad name rejects with InvalidArgumentError saying what to do', async () => {
    const store = createMemoryStore();
    await expect(store.create('', post('a'))).rejects.toThrow(/kind must be a non-empty string/);
    await expect(store.create('Post', post(''))).rejects.toThrow(/metadata\.name must be a non-empty string/);
    await expect(store.create('Post', post('ns/a'))).rejects.toThrow(/put a namespace in metadata\.namespace/);
    await expect(store.get('', 'a')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(store.delete('Post', '')).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(() => store.watch('')).toThrow(InvalidArgumentError);
    expect(() => store.registerKind('', {})).toThrow(InvalidArgumentError);
    expect(store.size).toBe(0);
  });
});

describe('createMemoryStore: watch', () => {
  it('watch replays the current list sorted by key as initial events, then streams changes in order', async () => {
    const store = createMemoryStore();
    await store.create('Post', post('b'));
    await store.create('Post', post('a'));
    await store.create('Other', post('x'));
    const { events, subscription } = record(store);
    expect(summary(events)).toEqual(['added* a@2', 'added* b@1']); // synchronous, before any await
    const a = (await store.get('Post', 'a')) as Resource;
    await store.create('Post', post('c'));
    await store.update({ ...a, spec: { title: 'A2' } });
    await store.delete('Post', 'b');
    await store.create('Other', post('y'));
    subscription.unsubscribe();
    await store.create('Post', post('d'));
    expect(summary(events)).toEqual(['added* a@2', 'added* b@1', 'added c@4', 'modified a@5', 'deleted b@6']);
  });

  it('watchers are told synchronously inside the write, before its Promise resolves', () => {
    const store = createMemoryStore();
    const { events } = record(store);
    void store.create('Post', post('a'));
    expect(summary(events)).toEqual(['added a@1']);
  });

  it('watch is cold: each subscriber gets its own replay', async () => {
    const store = createMemoryStore();
    const watch$ = store.watch('Post');
    await store.create('Post', post('a'));
    const first: WatchEvent[] = [];
    const second: WatchEvent[] = [];
    watch$.subscribe((e) => first.push(e));
    await store.create('Post', post('b'));
    watch$.subscribe((e) => second.push(e));
    expect(summary(first)).toEqual(['added* a@1', 'added b@2']);
    expect(summary(second)).toEqual(['added* a@1', 'added* b@2']);
  });

  it('writes made by a watcher while it is told about a write reach every watcher in write order, once', async () => {
    const store = createMemoryStore();
    const late = new Subject<WatchEvent>();
    const lateEvents: WatchEvent[] = [];
    store.watch('Post').subscribe((e) => {
      if (e.type !== 'synced' && !e.initial && e.object.metadata.name === 'a') {
        void store.create('Post', post('b')); // nested write
        store.watch('Post').subscribe(late); // nested subscription: b is in its list, not its stream
      }
    });
    late.subscribe((e) => lateEvents.push(e));
    const { events } = record(store);
    await store.create('Post', post('a'));
    expect(summary(events)).toEqual(['added a@1', 'added b@2']);
    expect(summary(lateEvents)).toEqual(['added* a@1', 'added* b@2']);
  });

  it('a watcher that unsubscribes while another one is told about a write gets nothing more, and the others get every write', async () => {
    const store = createMemoryStore();
    const kept: WatchEvent[] = [];
    const quitting: WatchEvent[] = [];
    let quit: (() => void) | undefined;
    store.watch('Post').subscribe((e) => {
      kept.push(e);
      if (e.type !== 'synced' && !e.initial && e.object.metadata.name === 'a') quit?.(); // the second watcher leaves mid-delivery
    });
    const sub = store.watch('Post').subscribe((e) => quitting.push(e));
    quit = () => sub.unsubscribe();
    await store.create('Post', post('a'));
    await store.create('Post', post('b'));
    expect(summary(kept)).toEqual(['added a@1', 'added b@2']);
    // RxJS drops what reaches a closed subscriber: the unsubscribed watcher sees nothing after it left.
    expect(summary(quitting)).toEqual([]);
  });

  it('a write during the initial replay is delivered after the replay, not lost or duplicated', async () => {
    const store = createMemoryStore();
    await store.create('Post', post('a'));
    await store.create('Post', post('b'));
    const events: ResourceEvent[] = [];
    store.watch('Post').subscribe((e) => {
      if (e.type === 'synced') return;
      events.push(e);
      if (e.initial && e.object.metadata.name === 'a') void store.create('Post', post('c'));
    });
    expect(summary(events)).toEqual(['added* a@1', 'added* b@2', 'added c@3']);
  });

  it('a throwing subscriber breaks neither the store nor other watchers', async () => {
    const store = createMemoryStore();
    const reported: unknown[] = [];
    const previous = config.onUnhandledError;
    config.onUnhandledError = (error) => reported.push(error);
    try {
      store.watch('Post').subscribe(() => {
        throw new Error('boom');
      });
      const { events } = record(store);
      await expect(store.create('Post', post('a'))).resolves.toBeDefined();
      await expect(store.create('Post', post('b'))).resolves.toBeDefined();
      expect(summary(events)).toEqual(['added a@1', 'added b@2']);
      await new Promise((resolve) => setTimeout(resolve, 10)); // rxjs reports on a timer
      expect(reported).toHaveLength(3); // the synced event of the empty list, then a and b
    } finally {
      config.onUnhandledError = previous;
    }
  });

  it('an unsubscribe during the replay (take) stops the replay, and later writes are not delivered', async () => {
    const store = createMemoryStore();
    for (const name of ['a', 'b', 'c']) await store.create('Post', post(name));
    const taken: WatchEvent[] = [];
    let completed = false;
    store
      .watch('Post')
      .pipe(take(2))
      .subscribe({ next: (e) => taken.push(e), complete: () => (completed = true) });
    await store.create('Post', post('d'));
    expect(summary(taken)).toEqual(['added* a@1', 'added* b@2']);
    expect(completed).toBe(true);
  });
});

describe('createMemoryStore: property', () => {
  type Op =
    | { op: 'create'; name: string; title: string; finalizer: boolean }
    | { op: 'spec'; name: string; title: string }
    | { op: 'status'; name: string; phase: string }
    | { op: 'delete'; name: string }
    | { op: 'addFinalizer'; name: string; finalizer: string }
    | { op: 'removeFinalizer'; name: string; finalizer: string }
    | { op: 'watch' };
  const name = fc.constantFrom('a', 'b', 'c');
  const word = fc.constantFrom('x', 'y', 'z');
  const finalizer = fc.constantFrom('f1', 'f2');
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant('create' as const), name, title: word, finalizer: fc.boolean() }),
    fc.record({ op: fc.constant('spec' as const), name, title: word }),
    fc.record({ op: fc.constant('status' as const), name, phase: word }),
    fc.record({ op: fc.constant('delete' as const), name }),
    fc.record({ op: fc.constant('addFinalizer' as const), name, finalizer }),
    fc.record({ op: fc.constant('removeFinalizer' as const), name, finalizer }),
    fc.constant({ op: 'watch' as const }),
  );

  async function apply(store: MemoryStore, o: Exclude<Op, { op: 'watch' }>): Promise<void> {
    const r = await store.get('Post', o.name);
    const expected = [AlreadyExistsError, NotFoundError, InvalidArgumentError];
    try {
      switch (o.op) {
        case 'create':
          await store.create('Post', post(o.name, { title: o.title }, o.finalizer ? ['f1'] : []));
          break;
        case 'spec':
          if (r) await store.update({ ...r, spec: { title: o.title } });
          break;
        case 'status':
          if (r) await store.updateStatus({ ...r, status: { phase: o.phase } });
          break;
        case 'delete':
          await store.delete('Post', o.name);
          break;
        case 'addFinalizer':
          if (r) await store.update({ ...r, metadata: { ...r.metadata, finalizers: [...r.metadata.finalizers, o.finalizer] } });
          break;
        case 'removeFinalizer':
          if (r) {
            const finalizers = r.metadata.finalizers.filter((f) => f !== o.finalizer);
            await store.update({ ...r, metadata: { ...r.metadata, finalizers } });
          }
          break;
      }
    } catch (error) {
      if (!expected.some((type) => error instanceof type)) throw error;
    }
  }

  it('folding the watch events of any operation sequence gives list(), with strictly increasing versions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60, size: 'max' }), async (ops) => {
        const store = createMemoryStore();
        const watchers: { state: Map<string, Resource>; last: number }[] = [];
        for (const o of ops) {
          if (o.op !== 'watch') {
            await apply(store, o);
            continue;
          }
          const watcher = { state: new Map<string, Resource>(), last: 0 };
          watchers.push(watcher);
          let replayMax = 0;
          store.watch('Post').subscribe((e) => {
            if (e.type === 'synced') return;
            const version = Number(e.object.metadata.version);
            if (e.initial) replayMax = Math.max(replayMax, version);
            else {
              expect(version).toBeGreaterThan(Math.max(watcher.last, replayMax));
              watcher.last = version;
            }
            if (e.type === 'deleted') watcher.state.delete(e.object.metadata.name);
            else watcher.state.set(e.object.metadata.name, e.object);
          });
        }
        const list = await store.list('Post');
        expect(store.size).toBe(list.length);
        // A resource marked for deletion stays only while it has finalizers.
        expect(list.filter((r) => r.metadata.deletionTimestamp !== undefined && r.metadata.finalizers.length === 0)).toEqual([]);
        for (const watcher of watchers) {
          expect([...watcher.state.values()].sort((x, y) => (x.metadata.name < y.metadata.name ? -1 : 1))).toEqual(list);
        }
      }),
      { numRuns: 200 },
    );
  });
});
