/**
 * G13: a spec failing its schema is reported on status (Degraded/InvalidSpec, naming the field) and
 * gets no retries until it changes; malformed watch events are dropped with a log line; non-Error
 * throws become errors; the loop and every other key go on, and nothing stored is lost.
 */
import { describe, expect, it } from 'vitest';
import { Subject, merge } from 'rxjs';
import { z } from 'zod';
import { createMemoryStore, defineLoop, getCondition } from 'rx-reconcile';
import { InvalidSpecError } from 'rx-reconcile/operators';
import { NonErrorThrownError } from '../../src/errors.js';
import type { ReconcileStatus, Store, WatchEvent } from 'rx-reconcile';
import { Clock, recordingLogger } from './helpers.js';

const TodoSpec = z.object({ title: z.string().min(1), tags: z.array(z.string()).optional() });
type TodoSpec = z.infer<typeof TodoSpec>;

describe('a spec that fails its schema (G13)', () => {
  it('sets Degraded/InvalidSpec naming the field, gets no retries until the spec changes, and loses nothing', async () => {
    const clock = new Clock();
    const store = createMemoryStore({ scheduler: clock.scheduler });
    // Written before the kind had a schema: the store holds it as is.
    await store.create('Todo', { metadata: { name: 'bad' }, spec: { title: 42, tags: ['ok', 7] } });
    await store.create('Todo', { metadata: { name: 'good' }, spec: { title: 'write docs' } });
    store.registerKind('Todo', { schema: TodoSpec });
    const storedBefore = await store.get('Todo', 'bad');
    const passes: string[] = [];
    const loop = defineLoop<TodoSpec, ReconcileStatus>({
      name: 'todos',
      store,
      kind: 'Todo',
      scheduler: clock.scheduler,
      schema: TodoSpec,
      resync: 1000,
      reconcile: (request) => void passes.push(request.key),
    });
    await clock.advance(0);
    const bad = await store.get<unknown, ReconcileStatus>('Todo', 'bad');
    const degraded = getCondition(bad?.status, 'Degraded');
    expect(degraded).toMatchObject({ status: 'True', reason: 'InvalidSpec', observedGeneration: 1 });
    expect(degraded?.message).toContain('spec.title: ');
    expect(degraded?.message).toContain('spec.tags.1: ');
    expect(getCondition(bad?.status, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(bad?.spec).toEqual(storedBefore?.spec); // nothing stored is lost or rewritten
    expect(passes).toEqual(['good']); // the user's reconcile never saw the bad spec
    expect(getCondition((await store.get<unknown, ReconcileStatus>('Todo', 'good'))?.status, 'Ready')?.status).toBe('True');
    const parked = loop.snapshot().parked;
    expect(parked).toMatchObject([{ key: 'bad', reason: 'terminal', failureClass: 'permanent' }]);
    expect(parked[0]?.lastError).toMatch(/Todo "bad" has an invalid spec \(spec\.title: .*; spec\.tags\.1: /);

    // Resyncs and time: no retries of the bad key; the good key is resynced.
    const results: string[] = [];
    loop.results$.subscribe((r) => results.push(r.key));
    await clock.advance(5000);
    expect(results.filter((k) => k === 'bad')).toEqual([]);
    expect(results.filter((k) => k === 'good')).toHaveLength(5);

    // The spec is fixed: reconciled at once.
    const current = await store.get<TodoSpec, ReconcileStatus>('Todo', 'bad');
    if (current) await store.update({ ...current, spec: { title: 'fixed' } });
    await clock.advance(0);
    expect(passes.at(-1)).toBe('bad');
    const fixed = await store.get<unknown, ReconcileStatus>('Todo', 'bad');
    expect(getCondition(fixed?.status, 'Degraded')).toMatchObject({ status: 'False', observedGeneration: 2 });
    expect(getCondition(fixed?.status, 'Ready')).toMatchObject({ status: 'True' });
    expect(loop.snapshot().parked).toEqual([]);
    await loop.stop();
  });

  it('a finalizer cleanup still runs for a resource whose spec is invalid', async () => {
    const clock = new Clock();
    const store = createMemoryStore({ scheduler: clock.scheduler });
    await store.create('Todo', { metadata: { name: 'bad', finalizers: ['t/cleanup'] }, spec: { title: '' } });
    const cleaned: string[] = [];
    const loop = defineLoop<TodoSpec, ReconcileStatus>({
      name: 'todos',
      store,
      kind: 'Todo',
      scheduler: clock.scheduler,
      schema: TodoSpec,
      finalizer: { name: 't/cleanup', cleanup: (todo) => void cleaned.push(todo.metadata.name) },
      reconcile: () => undefined,
    });
    await clock.advance(0);
    await store.delete('Todo', 'bad');
    await clock.advance(0);
    expect(cleaned).toEqual(['bad']);
    expect(await store.get('Todo', 'bad')).toBeUndefined();
    await loop.stop();
  });

  it('InvalidSpecError is a ValidationError with the field paths', () => {
    const error = new InvalidSpecError('Todo', 'x', [{ path: 'spec.title', message: 'Required' }]);
    expect(error.code).toBe('VALIDATION');
    expect(error.field).toBe('spec.title');
    expect(error.message).toContain('Fix the named field(s)');
  });
});

describe('malformed watch events (G13)', () => {
  it('are dropped with a log line, and the loop and every other key go on', async () => {
    const clock = new Clock();
    const memory = createMemoryStore({ scheduler: clock.scheduler });
    const junk = new Subject<unknown>();
    const store: Store = {
      ...memory,
      watch: <S, St>(kind: string) => merge(memory.watch<S, St>(kind), junk as Subject<WatchEvent<S, St>>),
    };
    const { logger, lines } = recordingLogger();
    const passes: string[] = [];
    const loop = defineLoop({ name: 'items', store, kind: 'Item', scheduler: clock.scheduler, logger, reconcile: (r) => void passes.push(r.key) });
    await clock.advance(0);
    junk.next(null);
    junk.next({ type: 'exploded' });
    junk.next({ type: 'added', object: { metadata: { generation: 1 } } });
    junk.next({ type: 'modified', object: { metadata: { name: 'x', generation: 'one' } } });
    await memory.create('Item', { metadata: { name: 'after' }, spec: {} });
    await clock.advance(0);
    expect(passes).toEqual(['after']);
    const dropped = lines.filter((l) => l.message === 'Dropped malformed watch event');
    expect(dropped).toHaveLength(4);
    expect(dropped.every((l) => l.level === 'warn' && l.fields['kind'] === 'Item')).toBe(true);
    expect(dropped[1]?.fields['event']).toBe('{"type":"exploded"}');
    expect(memory.size).toBe(1);
    await loop.stop();
  });
});

describe('non-Error throws (G13)', () => {
  it('become NonErrorThrownError, count as transient, and are recorded on status', async () => {
    const clock = new Clock();
    const store = createMemoryStore({ scheduler: clock.scheduler });
    await store.create('Item', { metadata: { name: 'a' }, spec: {} });
    const loop = defineLoop<unknown, ReconcileStatus>({
      name: 'items',
      store,
      kind: 'Item',
      scheduler: clock.scheduler,
      reconcile: () => {
        throw 'out of cheese';
      },
    });
    const results: { cls: string | undefined; error: unknown }[] = [];
    loop.results$.subscribe((r) => results.push({ cls: r.failureClass, error: r.outcome.type === 'retry' ? r.outcome.error : undefined }));
    await clock.advance(0);
    expect(results[0]?.cls).toBe('transient');
    expect(results[0]?.error).toBeInstanceOf(NonErrorThrownError);
    const ready = getCondition((await store.get<unknown, ReconcileStatus>('Item', 'a'))?.status, 'Ready');
    expect(ready?.message).toContain('a non-Error value was thrown ("out of cheese")');
    await loop.stop({ deadline: 0 });
  });
});
