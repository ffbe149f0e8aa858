/**
 * Types that infer (issue 14, item 5): a typed kind or a spec schema gives `Spec`; `ctx.get()` has the
 * library's conditions in its status; phase loops infer their current state and correction types
 * from `observe` and `compare`; stream loops infer from `desired$` / `current$`. Checked by the strict
 * compiler (`tsc --noEmit` runs in the suite); the runtime part checks the values agree.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { firstValueFrom, of } from 'rxjs';
import { z } from 'zod';
import { Outcome, createMemoryStore, defineKind, defineLoop } from 'rx-reconcile';
import type { Condition, Correction, Resource } from 'rx-reconcile';
import type { KeyedChange } from '../operators/loop/keyed-state.js';

const TodoSpec = z.object({ title: z.string().min(1), done: z.boolean().default(false), priority: z.coerce.number().default(3) });
type TodoSpec = z.output<typeof TodoSpec>;

describe('types that infer', () => {
  it('defineKind: Spec comes from the schema (z.output: defaults and coercions show), status includes the conditions', async () => {
    const Todo = defineKind('Todo', { spec: TodoSpec, status: z.object({ phase: z.string().optional() }) });
    const store = createMemoryStore();
    let seen: TodoSpec | undefined;
    const loop = defineLoop({
      name: 'typed',
      store,
      kind: Todo,
      async reconcile(_request, ctx) {
        const todo = await ctx.get();
        expectTypeOf(todo).toEqualTypeOf<Resource<TodoSpec, { phase?: string | undefined } & import('rx-reconcile').ReconcileStatus> | undefined>();
        if (todo === undefined) return Outcome.converged();
        expectTypeOf(todo.spec.done).toEqualTypeOf<boolean>();
        expectTypeOf(todo.status?.conditions).toEqualTypeOf<readonly Condition[] | undefined>();
        seen = todo.spec;
        return Outcome.converged();
      },
    });
    // The store registered the kind's schema: the parsed output is stored.
    const pass = firstValueFrom(loop.results$);
    await store.create('Todo', { metadata: { name: 'a' }, spec: { title: 'A', priority: '5' } });
    await pass;
    expect(seen).toEqual({ title: 'A', done: false, priority: 5 });
    await expect(store.create('Todo', { metadata: { name: 'b' }, spec: { title: '' } })).rejects.toThrow(/spec\.title/);
    await loop.stop();
  });

  it('schema: Spec comes from a zod schema given as `schema`', () => {
    const store = createMemoryStore();
    const loop = defineLoop({
      name: 'schema',
      store,
      kind: 'Todo',
      schema: TodoSpec,
      async reconcile(_request, ctx) {
        const todo = await ctx.get();
        expectTypeOf(todo?.spec).toEqualTypeOf<TodoSpec | undefined>();
      },
    });
    void loop.stop();
  });

  it('phase loops infer C from observe and T from compare, without explicit generics', () => {
    const store = createMemoryStore();
    const loop = defineLoop({
      name: 'phases',
      store,
      kind: 'Site',
      schema: z.object({ pages: z.record(z.string(), z.string()) }),
      observe: async (key) => new Map<string, string>([[key, 'x']]),
      compare: (desired, current) => {
        expectTypeOf(desired?.spec.pages).toEqualTypeOf<Record<string, string> | undefined>();
        expectTypeOf(current).toEqualTypeOf<Map<string, string>>();
        return [{ action: 'update' as const, target: 'index', value: { html: '<p>' } }];
      },
      correct: (correction) => {
        expectTypeOf(correction).toEqualTypeOf<Correction<{ html: string }>>();
      },
      verify: { notConverged: (plan) => Outcome.retryAfter(new Error(`${plan.corrections.length} left`), 1000) },
    });
    void loop.stop();
  });

  it('stream loops infer D and C from desired$ and current$', () => {
    const loop = defineLoop({
      name: 'streams',
      desired$: of(new Map([['web', { replicas: 2 }]])),
      current$: of<KeyedChange<number>[]>([{ key: 'web', value: 1 }]),
      reconcile(_request, ctx) {
        expectTypeOf(ctx.desired()).toEqualTypeOf<{ replicas: number } | undefined>();
        expectTypeOf(ctx.current()).toEqualTypeOf<number | undefined>();
      },
    });
    void loop.stop();
  });

  it('Outcome.retryAfter is a retry with a fixed delay', () => {
    const outcome = Outcome.retryAfter(new Error('x'), 30_000);
    expectTypeOf(outcome.type).toEqualTypeOf<'retry'>();
    expect(outcome).toMatchObject({ type: 'retry', after: 30_000 });
  });
});
