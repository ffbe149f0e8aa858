/**
 * G10 and G7 in a loop: `loop.stop({ deadline })` starts no new pass, lets in-flight passes finish or
 * aborts them at the deadline, and resolves when nothing runs; a timeout aborts a hanging pass.
 */
import { describe, expect, it } from 'vitest';
import { Backoff, StoppedError, TimeoutError, createMemoryStore, defineLoop } from 'rx-reconcile';
import type { PassResult } from 'rx-reconcile';
import { Clock } from './helpers.js';

/** Resolves when `signal` aborts (never otherwise): a pass that hangs but honours its signal. */
const untilAborted = (signal: AbortSignal) =>
  new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));

async function setup(pass: (key: string, signal: AbortSignal, clock: Clock) => Promise<void>, timeout?: number) {
  const clock = new Clock();
  const store = createMemoryStore({ scheduler: clock.scheduler });
  for (const name of ['a', 'b', 'c']) await store.create('Item', { metadata: { name }, spec: {} });
  const started: string[] = [];
  const signals = new Map<string, AbortSignal>();
  const loop = defineLoop({
    name: 'items',
    store,
    kind: 'Item',
    workers: 1,
    scheduler: clock.scheduler,
    backoff: Backoff.constant({ delay: 1000, steps: 3 }),
    ...(timeout === undefined ? {} : { timeout }),
    reconcile: async (request, ctx) => {
      started.push(`${clock.now()}:${request.key}`);
      signals.set(request.key, ctx.signal);
      await pass(request.key, ctx.signal, clock);
    },
  });
  const results: PassResult[] = [];
  let completed = false;
  loop.results$.subscribe({ next: (r) => results.push(r), complete: () => (completed = true) });
  return { clock, store, loop, started, signals, results, isCompleted: () => completed };
}

describe('graceful stop (G10)', () => {
  it('lets the in-flight pass finish before the deadline, starts no new pass, then resolves', async () => {
    const t = await setup((_key, _signal, clock) => clock.sleep(300).then(() => undefined));
    await t.clock.advance(100);
    expect(t.started).toEqual(['0:a']);
    let resolvedAt: number | undefined;
    void t.loop.stop({ deadline: 5000 }).then(() => (resolvedAt = t.clock.now()));
    expect(t.loop.trigger('c')).toBe(false);
    await t.clock.advance(10_000);
    expect(resolvedAt).toBe(300);
    expect(t.started).toEqual(['0:a']); // b and c were queued: never started
    expect(t.results.map((r) => `${r.key}:${r.outcome.type}`)).toEqual(['a:converged']);
    expect(t.signals.get('a')?.aborted).toBe(false);
    expect(t.isCompleted()).toBe(true);
  });

  it('aborts a hanging pass at the deadline through its AbortSignal, and resolves then', async () => {
    const t = await setup((_key, signal) => untilAborted(signal));
    await t.clock.advance(100);
    let resolvedAt: number | undefined;
    void t.loop.stop({ deadline: 1000 }).then(() => (resolvedAt = t.clock.now()));
    await t.clock.advance(999);
    expect(resolvedAt).toBeUndefined();
    expect(t.signals.get('a')?.aborted).toBe(false);
    await t.clock.advance(1);
    expect(t.signals.get('a')?.aborted).toBe(true);
    expect(t.signals.get('a')?.reason).toBeInstanceOf(StoppedError);
    expect(resolvedAt).toBe(1100);
    expect(t.results).toHaveLength(1);
    expect(t.results[0]?.outcome.type).toBe('retry');
    expect(t.started).toEqual(['0:a']);
    expect(t.isCompleted()).toBe(true);
  });

  it('without a deadline, waits for a hanging pass for as long as it hangs', async () => {
    const t = await setup((_key, signal) => untilAborted(signal));
    await t.clock.advance(0);
    let resolved = false;
    void t.loop.stop().then(() => (resolved = true));
    await t.clock.advance(3_600_000);
    expect(resolved).toBe(false);
    expect(t.loop.snapshot()).toMatchObject({ stopping: true, running: 1, depth: 2 });
  });
});

describe('per-pass timeout in a loop (G7)', () => {
  it('aborts a hanging pass at the timeout, counts a transient failure, and the loop goes on with the other keys', async () => {
    const t = await setup((key, signal) => (key === 'a' ? untilAborted(signal) : Promise.resolve()), 500);
    await t.clock.advance(500);
    expect(t.signals.get('a')?.aborted).toBe(true);
    expect(t.signals.get('a')?.reason).toBeInstanceOf(TimeoutError);
    expect(t.results[0]).toMatchObject({ key: 'a', failureClass: 'transient', finishedAt: 500, nextAttemptAt: 1500 });
    expect(t.started).toEqual(['0:a', '500:b', '500:c']);
    expect(t.loop.snapshot().counters.errorsByClass.transient).toBe(1);
    await t.clock.advance(1000);
    expect(t.started.at(-1)).toBe('1500:a'); // retried after its backoff
    const stopping = t.loop.stop({ deadline: 0 });
    await t.clock.advance(0);
    await stopping;
  });
});
