/**
 * The main generics of the public surface, as a user sees them through the entry points (type tests:
 * they fail at `tsc`, and vitest runs the few run-time lines).
 */
import { of, type Observable, type OperatorFunction } from 'rxjs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { Backoff, Outcome, createMemoryStore, defineLoop, setDiff } from 'rx-reconcile';
import type { BackoffPolicy, Correction, FailureClass, Key, Loop, PassResult, ReconcileRequest, Resource, Store } from 'rx-reconcile';
import { compare, observe, workQueue } from 'rx-reconcile/operators';
import type { QueueControl, Work } from 'rx-reconcile/operators';
import { loopDefinition, memoryWorld } from 'rx-reconcile/testing';
import type { LoopDefinition, World } from 'rx-reconcile/testing';
import type { createSqliteStore } from 'rx-reconcile/sqlite';
import type { createEtcdStore } from 'rx-reconcile/etcd';

describe('public generics', () => {
  it('store reads are typed by the caller: get<Spec, Status> gives Resource<Spec, Status> | undefined', async () => {
    const store = createMemoryStore();
    expectTypeOf(store).toMatchTypeOf<Store>();
    await store.create('Todo', { metadata: { name: 'a' }, spec: { title: 'a' } });
    const todo = await store.get<{ title: string }, { phase: string }>('Todo', 'a');
    expectTypeOf(todo).toEqualTypeOf<Resource<{ title: string }, { phase: string }> | undefined>();
    expect(todo?.spec.title).toBe('a');
  });

  it('defineLoop returns a Loop whose pass results are PassResults, and reconcile gets a ReconcileRequest', () => {
    const loop = defineLoop<{ title: string }>({
      name: 't',
      store: createMemoryStore(),
      kind: 'Todo',
      reconcile: (request) => {
        expectTypeOf(request).toEqualTypeOf<ReconcileRequest>();
        expectTypeOf(request.key).toEqualTypeOf<Key>();
        return Outcome.converged();
      },
    });
    expectTypeOf(loop).toEqualTypeOf<Loop>();
    expectTypeOf(loop.results$).toEqualTypeOf<Observable<PassResult>>();
    void loop.stop();
  });

  it('workQueue is an operator from keys or requests to pass results; Work may return an Outcome, nothing, a Promise or an Observable', () => {
    expectTypeOf(workQueue).parameter(0).toEqualTypeOf<Work>();
    expectTypeOf(workQueue(() => undefined)).toEqualTypeOf<OperatorFunction<Key | ReconcileRequest, PassResult>>();
    const work: Work = (request) => (request.key === 'a' ? of(Outcome.converged()) : Promise.resolve(undefined));
    expect(typeof work).toBe('function');
    expectTypeOf<PassResult['failureClass']>().toEqualTypeOf<FailureClass | undefined>();
    expectTypeOf<QueueControl['trigger']>().toBeFunction();
  });

  it('observe and compare carry the desired, current and correction types through the pipeline', () => {
    const pipeline = (keys: Observable<Key>) =>
      keys.pipe(
        observe({ desired: (_key: Key) => ({ pages: 1 }), current: (_key: Key) => 'html' }),
        compare((desired, current) => {
          expectTypeOf(desired).toEqualTypeOf<{ pages: number } | undefined>();
          expectTypeOf(current).toEqualTypeOf<string | undefined>();
          return [] as Correction<number>[];
        }),
      );
    expectTypeOf(pipeline).returns.toMatchTypeOf<Observable<{ readonly corrections: readonly Correction<number>[] }>>();
  });

  it('setDiff keeps the item type; Backoff policies are values of BackoffPolicy', () => {
    expectTypeOf(setDiff({ a: 1 }, { a: 2 })).toEqualTypeOf<Correction<number>[]>();
    const policy = Backoff.exponential({ initial: 10, cap: 1000 });
    expectTypeOf(policy).toMatchTypeOf<BackoffPolicy>();
    expect(Backoff.delayFor(policy, 1)).toBe(10);
  });

  it('the testing kit ties a definition to its world value type', () => {
    expectTypeOf(memoryWorld<string>()).toMatchTypeOf<World<string>>();
    expectTypeOf(loopDefinition<{ title: string }, unknown, string>).returns.toEqualTypeOf<LoopDefinition<{ title: string }, unknown, string>>();
  });

  it('adapter stores are Stores', () => {
    expectTypeOf<ReturnType<typeof createSqliteStore>>().toMatchTypeOf<Store>();
    expectTypeOf<ReturnType<typeof createEtcdStore>>().toMatchTypeOf<Store>();
  });
});
