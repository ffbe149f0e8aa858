/**
 * `ignoreOwnWrites`: a loop's own status and finalizer writes do not come back as triggers (no
 * self-triggered passes, G9), while every other write does.
 */
import { describe, expect, it } from 'vitest';
import { delay } from 'rxjs';
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

  it('hides them too when the store tells watchers later (by the version the write returned)', async () => {
    const clock = new Clock();
    const memory = createMemoryStore({ scheduler: clock.scheduler });
    const late: Store = { ...memory, watch: <S, St>(kind: string) => memory.watch<S, St>(kind).pipe(delay(1, clock.scheduler)) };
    const { events } = await scenario(late, clock);
    await clock.advance(10);
    expect(summary(events)).toEqual(['added a@1', 'modified a@3', 'modified a@5', 'modified a@6']);
  });
});
