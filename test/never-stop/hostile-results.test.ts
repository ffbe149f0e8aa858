/**
 * G7, G16: whatever a pass returns or throws, and whatever the queue's `random` answers, the key's
 * pass ends in one outcome, the worker is freed and the other keys keep running. Regression tests
 * for values that got past the queue: a Proxy whose getPrototypeOf trap throws (thrown, rejected or
 * returned) and a Promise whose `then` getter throws escaped as uncaught exceptions and held a worker
 * for good; an outcome object whose `ms` getter changed put NaN into the shared timer heap; a
 * throwing `random` lost its key.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { Backoff, Outcome, createMemoryStore, defineLoop } from 'rx-reconcile';
import { NonErrorThrownError, toError } from '../../src/errors.js';
import type { PassResult } from 'rx-reconcile';
import type { Work } from 'rx-reconcile/operators';
import { createQueueControl, workQueue } from 'rx-reconcile/operators';
import { SimulationScheduler } from 'rx-reconcile/testing';

/** A value on which `instanceof` throws. */
const trap = (): object =>
  new Proxy(
    {},
    {
      getPrototypeOf() {
        throw new Error('getPrototypeOf trap');
      },
    },
  );

function queue(work: Work, scheduler: SimulationScheduler, options: Parameters<typeof workQueue>[1] = {}) {
  const source = new Subject<string>();
  const results: PassResult[] = [];
  const control = createQueueControl({ scheduler });
  const subscription = source.pipe(workQueue(work, { scheduler, control, workers: 1, ...options })).subscribe((r) => results.push(r));
  return { add: (k: string) => source.next(k), results, control, stop: () => subscription.unsubscribe() };
}

let escaped: unknown[] = [];
const onEscape = (error: unknown): void => void escaped.push(error);
beforeEach(() => {
  escaped = [];
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
});
afterEach(() => {
  process.off('uncaughtException', onEscape);
  process.off('unhandledRejection', onEscape);
});

describe('hostile pass results (G7)', () => {
  const cases: [string, () => unknown][] = [
    ['throws a Proxy whose getPrototypeOf trap throws', () => { throw trap(); }],
    ['rejects with that Proxy', () => Promise.reject(trap())],
    ['returns that Proxy', () => trap()],
    ['returns a native Promise whose own `then` getter throws', () => {
      const p = Promise.resolve();
      Object.defineProperty(p, 'then', { get() { throw new Error('then getter'); } });
      return p;
    }],
  ];
  for (const [what, bad] of cases) {
    it(`a pass that ${what} is a retry of its key; one worker goes on to the next keys`, async () => {
      const scheduler = new SimulationScheduler();
      const q = queue(((request) => (request.key === 'bad' ? bad() : undefined)) as Work, scheduler);
      q.add('bad');
      for (let i = 0; i < 3; i++) q.add(`good${i}`);
      await scheduler.runUntil(5);
      expect(q.results.map((r) => `${r.key}:${r.outcome.type}`)).toEqual(['bad:retry', 'good0:converged', 'good1:converged', 'good2:converged']);
      expect(q.control.snapshot().running).toBe(0);
      expect(escaped).toEqual([]);
      q.stop();
    });
  }

  it('toError wraps a value on which instanceof throws, and its message still says something', () => {
    const error = toError(trap());
    expect(error).toBeInstanceOf(NonErrorThrownError);
    expect(error.message).toMatch(/a non-Error value was thrown/);
    const opaque = new Proxy({}, { get() { throw new Error('get'); }, ownKeys() { throw new Error('keys'); }, getPrototypeOf() { throw new Error('proto'); } });
    expect(toError(opaque).message).toMatch(/a non-Error value was thrown \((\[object Object\]|object)\)/);
  });
});

describe('hostile outcomes never reach the shared timer heap (G16)', () => {
  it('an outcome whose ms getter reads 5 and then NaN is read once: the key backs off, another key\'s requeue still fires', async () => {
    const scheduler = new SimulationScheduler();
    let reads = 0;
    const q = queue(
      ((request) => (request.key === 'bad' ? { type: 'requeueAfter', get ms() { return reads++ === 0 ? 5 : Number.NaN; } } : request.key === 'good' ? Outcome.requeueAfter(100) : undefined)) as Work,
      scheduler,
      { workers: 2 },
    );
    q.add('good');
    q.add('bad');
    await scheduler.runUntil(250);
    const good = q.results.filter((r) => r.key === 'good').map((r) => r.startedAt);
    expect(good).toEqual([0, 100, 200]);
    const bad = q.results.find((r) => r.key === 'bad');
    expect(bad?.outcome.type).toBe('retry');
    expect(Number.isFinite(bad?.nextAttemptAt)).toBe(true);
    for (const d of q.control.snapshot().delayed) expect(Number.isFinite(d.nextAttemptAt)).toBe(true);
    q.stop();
  });

  it('a well-formed outcome built elsewhere is taken as a frozen copy; ours are passed on as they are', () => {
    const mine = Outcome.requeueAfter(5);
    expect(Outcome.from(mine)).toBe(mine);
    const foreign = { type: 'requeueAfter', ms: 7 };
    const copy = Outcome.from(foreign);
    expect(copy).toEqual({ type: 'requeueAfter', ms: 7 });
    expect(copy).not.toBe(foreign);
    expect(Object.isFrozen(copy)).toBe(true);
    const error = new Error('x');
    expect(Outcome.from({ type: 'retry', error, after: 3 })).toEqual({ type: 'retry', error, after: 3 });
    expect(Outcome.from({ type: 'retry', error: trap() }).type).toBe('retry');
  });
});

describe("the queue's random (G16)", () => {
  const answers: [string, () => number][] = [
    ['throws', () => { throw new Error('no entropy'); }],
    ['answers NaN', () => Number.NaN],
    ['answers undefined', () => undefined as unknown as number],
    ['answers 5', () => 5],
    ['answers -3', () => -3],
  ];
  for (const [what, random] of answers) {
    it(`a random that ${what} neither loses a backing-off key nor makes its delay huge (it was 24.8 days, or the key was gone)`, async () => {
      const scheduler = new SimulationScheduler();
      const backoff = Backoff.jitter(Backoff.exponential({ initial: 10, factor: 2, cap: 1000, steps: 10 }), 0.2);
      const q = queue(() => Outcome.retry(new Error('down')), scheduler, { backoff, random });
      q.add('k');
      await scheduler.runUntil(200);
      const waits = q.results.map((r) => (r.nextAttemptAt as number) - r.finishedAt);
      expect(waits.slice(0, 4)).toEqual([10, 20, 40, 80]); // no jitter when random cannot be read
      expect(q.control.snapshot().delayed.map((d) => d.key)).toEqual(['k']);
      expect(escaped).toEqual([]);
      q.stop();
    });
  }

  it('Backoff.delayFor with a random answering NaN jitters nothing', () => {
    const policy = Backoff.jitter(Backoff.constant({ delay: 100, steps: 3 }), 0.5);
    expect(Backoff.delayFor(policy, 1, () => Number.NaN)).toBe(100);
  });
});

describe('errors whose message cannot be read (G13)', () => {
  it('regression: the key is still quarantined on its status, the message named as unreadable (no condition was ever written)', async () => {
    const scheduler = new SimulationScheduler();
    const store = createMemoryStore({ scheduler });
    await store.create('T', { metadata: { name: 'bad' }, spec: {} });
    const hostile = (): Error => {
      const error = new Error('x');
      Object.defineProperty(error, 'message', {
        get() {
          throw new Error('message getter');
        },
      });
      return error;
    };
    const loop = defineLoop({ name: 'l', store, kind: 'T', scheduler, backoff: Backoff.constant({ delay: 5, steps: 2 }), reconcile: () => { throw hostile(); } });
    await scheduler.runUntil(100);
    const status = (await store.get('T', 'bad'))?.status as { conditions?: { type: string; reason: string; message: string }[] } | undefined;
    expect(status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ reason: 'Quarantined', message: expect.stringContaining('an error whose message cannot be read') });
    expect(escaped).toEqual([]);
    await loop.stop();
  });
});
