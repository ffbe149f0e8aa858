/**
 * The watch contract of the memory store: the list, a `synced` marker, `old` on updates, revisions,
 * and resuming after a revision (or a `CompactedError` when the history no longer reaches back).
 */
import { describe, expect, it } from 'vitest';
import { CompactedError, createMemoryStore } from 'rx-reconcile';
import type { WatchEvent } from 'rx-reconcile';

const line = (e: WatchEvent): string =>
  e.type === 'synced' ? `synced@${e.revision}` : `${e.type}${e.initial ? '*' : ''} ${e.object.metadata.name}@${e.object.metadata.revision}`;

describe('memory store watch', () => {
  it('replays the list, then a synced event at the list revision, then changes; an empty list still says synced', async () => {
    const store = createMemoryStore();
    const empty: string[] = [];
    store.watch('Post').subscribe((e) => empty.push(line(e)));
    expect(empty).toEqual(['synced@0']);
    await store.create('Post', { metadata: { name: 'a' }, spec: {} });
    await store.create('Other', { metadata: { name: 'o' }, spec: {} });
    const events: string[] = [];
    store.watch('Post').subscribe((e) => events.push(line(e)));
    await store.create('Post', { metadata: { name: 'b' }, spec: {} });
    expect(events).toEqual(['added* a@1', 'synced@2', 'added b@3']);
  });

  it('a modified event carries the old object, and revisions are store-wide and increasing', async () => {
    const store = createMemoryStore();
    const events: WatchEvent[] = [];
    store.watch('Post').subscribe((e) => events.push(e));
    const a = await store.create('Post', { metadata: { name: 'a' }, spec: { n: 1 } });
    const b = await store.update({ ...a, spec: { n: 2 } });
    const c = await store.updateStatus({ ...b, status: { ok: true } });
    expect(events.map(line)).toEqual(['synced@0', 'added a@1', 'modified a@2', 'modified a@3']);
    const modified = events.filter((e) => e.type === 'modified');
    expect(modified.map((e) => (e.type === 'modified' ? e.old : undefined))).toEqual([a, b]);
    expect(c.metadata).toMatchObject({ revision: 3, version: '3', generation: 2 });
    expect(store.revision).toBe(3);
  });

  it('sinceRevision replays exactly the changes of the kind after that revision, then streams', async () => {
    const store = createMemoryStore();
    const a = await store.create('Post', { metadata: { name: 'a' }, spec: {} });
    await store.create('Other', { metadata: { name: 'o' }, spec: {} });
    await store.update({ ...a, spec: { n: 1 } });
    await store.delete('Post', 'a');
    const events: string[] = [];
    store.watch('Post', { sinceRevision: 1 }).subscribe((e) => events.push(line(e)));
    await store.create('Post', { metadata: { name: 'b' }, spec: {} });
    expect(events).toEqual(['modified a@3', 'deleted a@4', 'added b@5']);
    const none: string[] = [];
    store.watch('Post', { sinceRevision: store.revision }).subscribe((e) => none.push(line(e)));
    expect(none).toEqual([]);
  });

  it('a revision older than the kept history fails with CompactedError; a re-list then resumes', async () => {
    const store = createMemoryStore({ history: 2 });
    for (const name of ['a', 'b', 'c', 'd']) await store.create('Post', { metadata: { name }, spec: {} });
    let error: unknown;
    store.watch('Post', { sinceRevision: 1 }).subscribe({ error: (e: unknown) => (error = e) });
    expect(error).toBeInstanceOf(CompactedError);
    expect(error).toMatchObject({ code: 'COMPACTED', requested: 1, oldest: 2 });
    expect(String((error as Error).message)).toMatch(/list the kind again/);
    const resumed: string[] = [];
    store.watch('Post', { sinceRevision: 2 }).subscribe((e) => resumed.push(line(e)));
    expect(resumed).toEqual(['added c@3', 'added d@4']);
  });

  it('a bad sinceRevision is refused at once, naming the option', () => {
    const store = createMemoryStore();
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '3']) {
      expect(() => store.watch('Post', { sinceRevision: bad as number })).toThrow(/sinceRevision must be a revision/);
    }
  });

  it('history: 0 keeps nothing: every resume from the past lists again', async () => {
    const store = createMemoryStore({ history: 0 });
    await store.create('Post', { metadata: { name: 'a' }, spec: {} });
    let error: unknown;
    store.watch('Post', { sinceRevision: 0 }).subscribe({ error: (e: unknown) => (error = e) });
    expect(error).toBeInstanceOf(CompactedError);
  });
});
