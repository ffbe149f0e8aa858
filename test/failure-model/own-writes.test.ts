/**
 * `ignoreOwnWrites`: a loop's own status and finalizer writes do not come back as triggers (no
 * self-triggered passes, G9), while every other write does.
 */
import { describe, expect, it } from 'vitest';
import { delay, map } from 'rxjs';
import { createMemoryStore } from 'rx-reconcile';
import type { Resource, Store, WatchEvent } from 'rx-reconcile';
import { ignoreOwnWrites } from 'rx-reconcile/operators';
import { Clock } from './helpers.js';

const summary = (events: WatchEvent[]) =>
  events.flatMap((e) => (e.type === 'synced' ? [] : [`${e.type} ${e.object.metadata.name}@${e.object.metadata.version}`]));

async function scenario(store: Store, clock: Clock) {
  const own = ignoreOwnWrites(store);
  const events: WatchEvent[] = [];
  const sub = own.watch('Item').subscribe((e) => events.push(e));
  const a = await store.create('Item', { metadata: { name: 'a' }, spec: { n: 1 } });
  await clock.advance(1);
  const s1 = await own.updateStatus({ ...a, status: { mine: 1 } }); // own: hidden
  await clock.advance(1);
  const s2 = await store.updateStatus({ ...s1, status: { theirs: 1 } }); // someone else's: seen
  await clock.advance(1);
  const f = await own.update({ ...s2, metadata: { ...s2.metadata, finalizers: ['x/y'] } }); // own, same generation: hidden
  await clock.advance(1);
  const g = await own.update({ ...f, spec: { n: 2 } }); // own but a spec change: seen
  await clock.advance(1);
  await own.updateStatus(g); // no change: no write, nothing recorded
  await store.update({ ...g, metadata: { ...g.metadata, labels: { l: '1' } } }); // theirs: seen
  await clock.advance(1);
  sub.unsubscribe();
  return { events, versions: { a, s1, s2, f, g } as Record<string, Resource> };
}

describe('ignoreOwnWrites', () => {
  it('hides the events of its own writes that keep the generation, with a store that tells watchers inside the write', async () => {
    const clock = new Clock();
    const { events } = await scenario(createMemoryStore({ scheduler: clock.scheduler }), clock);
    expect(summary(events)).toEqual(['added a@1', 'modified a@3', 'modified a@5', 'modified a@6']);
  });

  it('judges by what was written when the store\'s modified events carry no old object, or a malformed one', async () => {
    for (const old of [undefined, null, {}, { metadata: { version: 7 } }, 'junk']) {
      const clock = new Clock();
      const memory = createMemoryStore({ scheduler: clock.scheduler });
      const stripped: Store = {
        ...memory,
        watch: <S, St>(kind: string) =>
          memory.watch<S, St>(kind).pipe(map((e) => (e.type === 'modified' ? ({ ...e, old } as unknown as WatchEvent<S, St>) : e))),
      };
      const { events } = await scenario(stripped, clock);
      expect(summary(events), String(JSON.stringify(old))).toEqual(['added a@1', 'modified a@3', 'modified a@5', 'modified a@6']);
    }
  });

  it('hides them too when the store tells watchers later (by the version the write returned)', async () => {
    const clock = new Clock();
    const memory = createMemoryStore({ scheduler: clock.scheduler });
    const late: Store = { ...memory, watch: <S, St>(kind: string) => memory.watch<S, St>(kind).pipe(delay(1, clock.scheduler)) };
    const { events } = await scenario(late, clock);
    await clock.advance(10);
    expect(summary(events)).toEqual(['added a@1', 'modified a@3', 'modified a@5', 'modified a@6']);
  });
});

describe('ignoreOwnWrites with bad input', () => {
  it('regression: a write of a malformed resource is refused by the store as it would be without the view (it was a TypeError of the view)', async () => {
    const store = createMemoryStore();
    const own = ignoreOwnWrites(store);
    for (const bad of [{ kind: 'Item' }, { kind: 'Item', metadata: null }, { kind: 'Item', metadata: { name: 'x' } }]) {
      const direct = await store.update(bad as never).catch((e: unknown) => e);
      const viaView = await own.update(bad as never).catch((e: unknown) => e);
      expect((viaView as Error).constructor).toBe((direct as Error).constructor);
      expect((viaView as Error).message).toBe((direct as Error).message);
    }
  });

  it('regression: an own write made while another write is being told to watchers is hidden too (it came back as a trigger)', async () => {
    const store = createMemoryStore();
    const own = ignoreOwnWrites(store);
    const a = await store.create('Item', { metadata: { name: 'a' }, spec: { n: 1 } });
    const seen: WatchEvent[] = [];
    let nested: Promise<unknown> | undefined;
    own.watch('Item').subscribe((e) => {
      seen.push(e);
    });
    store.watch('Item').subscribe((e) => {
      // Told about the first own write: write the same key again, through the view, inside the delivery.
      if (e.type === 'modified' && (e.object.status as { step?: number } | undefined)?.step === 1) nested = own.updateStatus({ ...e.object, status: { step: 2 } });
    });
    await own.updateStatus({ ...a, status: { step: 1 } });
    await nested;
    await store.updateStatus({ ...(await store.get('Item', 'a'))!, status: { step: 3 } }); // someone else's
    expect(summary(seen)).toEqual(['added a@1', 'modified a@4']);
  });
});
