/**
 * G8: a deleted resource disappears only after its cleanup succeeded once; cleanup is retried like any
 * pass; the user's pass only sees live resources; cleanup is safe when nothing was ever applied.
 */
import { describe, expect, it } from 'vitest';
import { Subject, merge } from 'rxjs';
import { Backoff, DependencyNotReadyError, Outcome, TransientError, createMemoryStore, defineLoop, getCondition, setDiff } from 'rx-reconcile';
import type { PassResult, Resource } from 'rx-reconcile';
import { createQueueControl, ignoreOwnWrites, watchRequests, withFinalizer, workQueue } from 'rx-reconcile/operators';
import { Clock } from './helpers.js';

const FINALIZER = 'test.example.com/cleanup';

describe('withFinalizer via defineLoop, reconcile style', () => {
  it('adds the finalizer before the first correction; a failing cleanup is retried with backoff and the resource stays until it succeeds once', async () => {
    const clock = new Clock();
    const store = createMemoryStore({ scheduler: clock.scheduler });
    await store.create('Item', { metadata: { name: 'a' }, spec: { v: 1 } });
    const world = new Map<string, number>();
    const seen: string[] = [];
    const cleanups: number[] = [];
    const loop = defineLoop<{ v: number }, unknown>({
      name: 'items',
      store,
      kind: 'Item',
      scheduler: clock.scheduler,
      backoff: Backoff.constant({ delay: 1000, steps: 5 }),
      finalizer: {
        name: FINALIZER,
        cleanup: (item) => {
          cleanups.push(clock.now());
          if (cleanups.length < 3) throw new TransientError('file server unreachable');
          world.delete(item.metadata.name);
        },
      },
      async reconcile(request, ctx) {
        const item = await ctx.get();
        seen.push(`${request.key}:${item?.metadata.finalizers.join(',')}:${item?.metadata.deletionTimestamp ?? 'live'}`);
        if (item) world.set(request.key, item.spec.v); // the correction
      },
    });
    const results: PassResult[] = [];
    loop.results$.subscribe((r) => results.push(r));
    await clock.advance(0);
    expect(seen).toEqual([`a:${FINALIZER}:live`]); // the finalizer was in place before the correction
    expect((await store.get('Item', 'a'))?.metadata.finalizers).toEqual([FINALIZER]);
    expect(world.get('a')).toBe(1);

    await clock.advance(100);
    await store.delete('Item', 'a');
    await clock.advance(0);
    expect(cleanups).toEqual([100]);
    const deleting = await store.get('Item', 'a');
    expect(deleting?.metadata.deletionTimestamp).toBeDefined(); // still there: cleanup failed
    expect(getCondition(deleting?.status as never, 'Ready')?.reason).toBe('Retrying');

    await clock.advance(1000);
    expect(cleanups).toEqual([100, 1100]);
    expect(await store.get('Item', 'a')).toBeDefined();

    await clock.advance(1000);
    expect(cleanups).toEqual([100, 1100, 2100]);
    expect(await store.get('Item', 'a')).toBeUndefined(); // gone only after cleanup succeeded once
    expect(world.has('a')).toBe(false);
    expect(seen).toHaveLength(1); // reconcile never saw the deleting resource
    // The removal that the last pass's own finalizer write caused is no trigger (one pass per change).
    expect(results.map((r) => r.outcome.type)).toEqual(['converged', 'retry', 'retry', 'converged']);
    await clock.advance(60_000);
    expect(cleanups).toHaveLength(3); // and it ran exactly once successfully, never again
    await loop.stop();
  });

  it('cleanup is safe when the correction never ran: a resource deleted while its dependency was not ready', async () => {
    const clock = new Clock();
    const store = createMemoryStore({ scheduler: clock.scheduler });
    await store.create('Item', { metadata: { name: 'a' }, spec: {} });
    const world = new Map<string, string>();
    const cleaned: string[] = [];
    const loop = defineLoop({
      name: 'items',
      store,
      kind: 'Item',
      scheduler: clock.scheduler,
      dependencyInterval: 5000,
      finalizer: {
        name: FINALIZER,
        cleanup: (item) => {
          cleaned.push(item.metadata.name);
          world.delete(item.metadata.name); // idempotent: nothing there is fine
        },
      },
      reconcile: () => {
        throw new DependencyNotReadyError('database');
      },
    });
    await clock.advance(0);
    expect((await store.get('Item', 'a'))?.metadata.finalizers).toEqual([FINALIZER]);
    await store.delete('Item', 'a');
    await clock.advance(0); // a new revision (deletion) wakes the key from its dependency wait
    expect(cleaned).toEqual(['a']);
    expect(await store.get('Item', 'a')).toBeUndefined();
    expect(world.size).toBe(0);
    await loop.stop();
  });

  it('a resource deleted before the first pass is simply gone: no finalizer, no cleanup, no reconcile', async () => {
    const clock = new Clock();
    const store = createMemoryStore({ scheduler: clock.scheduler });
    await store.create('Item', { metadata: { name: 'a' }, spec: {} });
    const calls: string[] = [];
    const loop = defineLoop({
      name: 'items',
      store,
      kind: 'Item',
      scheduler: clock.scheduler,
      finalizer: { name: FINALIZER, cleanup: () => void calls.push('cleanup') },
      reconcile: () => void calls.push('reconcile'),
    });
    await store.delete('Item', 'a'); // before the loop's first tick
    await clock.advance(0);
    expect(calls).toEqual([]);
    expect(store.size).toBe(0);
    await loop.stop();
  });
});

describe('withFinalizer via defineLoop, phase style', () => {
  it('by default cleans up by running the phases toward an absent desired state', async () => {
    const clock = new Clock();
    const store = createMemoryStore({ scheduler: clock.scheduler });
    await store.create('Site', { metadata: { name: 's' }, spec: { pages: { index: 'hi', about: 'me' } } });
    const world = new Map<string, string>();
    let failDeletes = 1;
    const loop = defineLoop<{ pages: Record<string, string> }, unknown, Record<string, string>, string>({
      name: 'sites',
      store,
      kind: 'Site',
      scheduler: clock.scheduler,
      backoff: Backoff.constant({ delay: 500, steps: 3 }),
      finalizer: { name: FINALIZER },
      observe: () => Object.fromEntries(world),
      compare: (desired, current) => {
        if (desired?.metadata.deletionTimestamp !== undefined) throw new Error('compare saw a deleting resource');
        return setDiff(desired?.spec.pages ?? {}, current);
      },
      correct: (c) => {
        if (c.action === 'delete') {
          if (failDeletes-- > 0) throw new TransientError('disk busy');
          world.delete(c.target);
        } else world.set(c.target, c.value as string);
      },
    });
    await clock.advance(0);
    expect([...world.keys()].sort()).toEqual(['about', 'index']);
    await store.delete('Site', 's');
    await clock.advance(0);
    expect(await store.get('Site', 's')).toBeDefined(); // the first delete failed
    await clock.advance(500);
    expect(world.size).toBe(0);
    expect(await store.get('Site', 's')).toBeUndefined();
    await loop.stop();
  });
});

describe('withFinalizer in hard mode', () => {
  it('wraps a workQueue pass: live passes see the finalizer, the deleted resource goes after cleanup', async () => {
    const clock = new Clock();
    const store = createMemoryStore({ scheduler: clock.scheduler });
    await store.create('Item', { metadata: { name: 'a' }, spec: {} });
    const own = ignoreOwnWrites(store);
    const log: string[] = [];
    const pass = withFinalizer<unknown, unknown>({
      store: own,
      kind: 'Item',
      name: FINALIZER,
      cleanup: (item) => void log.push(`cleanup ${item.metadata.name}`),
    })((item: Resource) => {
      log.push(`live ${item.metadata.name} [${item.metadata.finalizers.join(',')}]`);
      return Outcome.converged();
    });
    const control = createQueueControl({ scheduler: clock.scheduler });
    const manual = new Subject<string>();
    const sub = merge(watchRequests(own, 'Item'), manual)
      .pipe(workQueue(pass, { scheduler: clock.scheduler, control }))
      .subscribe();
    await clock.advance(0);
    await store.delete('Item', 'a');
    await clock.advance(0);
    expect(log).toEqual([`live a [${FINALIZER}]`, 'cleanup a']);
    expect(await store.get('Item', 'a')).toBeUndefined();
    sub.unsubscribe();
  });
});
