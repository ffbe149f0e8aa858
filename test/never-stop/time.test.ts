/**
 * G16: time values cannot break a loop. Delays of any length (above a Node timer's 2³¹ − 1 ms) work
 * through chained timers; bad values are refused where they enter, never stored as NaN; a clock that
 * steps back does not stall delayed keys; broken thenables and NaN dependency delays are failures of
 * their key only. All in virtual time, through a scheduler that refuses any timer a JavaScript runtime
 * would fire early.
 */
import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';
import { Backoff, DependencyNotReadyError, Outcome, createMemoryStore, defineLoop } from 'rx-reconcile';
import { maxTimerDelay } from '../../src/check-options.js';
import type { PassResult } from 'rx-reconcile';
import type { ReconcileRequest } from '../../src/types.js';
import type { Work } from 'rx-reconcile/operators';
import { createQueueControl, resync, workQueue } from 'rx-reconcile/operators';
import { SimulationScheduler } from 'rx-reconcile/testing';

const DAY = 86_400_000;

/** A virtual scheduler that fails the test if anything asks a timer for more than 2³¹ − 1 ms. */
class StrictScheduler extends SimulationScheduler {
  readonly tooLong: number[] = [];
  override schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    if (!(delay <= maxTimerDelay)) this.tooLong.push(delay);
    return super.schedule(work, delay, state);
  }
}

function queue(work: Work, scheduler: SchedulerLike, options: Parameters<typeof workQueue>[1] = {}) {
  const source = new Subject<string | ReconcileRequest>();
  const results: PassResult[] = [];
  const control = createQueueControl({ scheduler });
  const subscription = source.pipe(workQueue(work, { scheduler, control, ...options })).subscribe((r) => results.push(r));
  return { add: (k: string | ReconcileRequest) => source.next(k), results, control, stop: () => subscription.unsubscribe() };
}

/** `base`'s timers with a clock that is off by `offset()` ms: a wall clock someone sets. */
function steppingClock(base: SchedulerLike, offset: () => number): SchedulerLike {
  return {
    now: () => base.now() + offset(),
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T): Subscription {
      return base.schedule(work, delay, state);
    },
  };
}

const startsOf = (results: readonly PassResult[], key: string) => results.filter((r) => r.key === key).map((r) => r.startedAt);

describe('delays longer than a Node timer takes (G16)', () => {
  it('requeueAfter(40 days) runs once, exactly 40 days later, through chained timers', async () => {
    const scheduler = new StrictScheduler();
    const q = queue(() => Outcome.requeueAfter(40 * DAY), scheduler);
    q.add('a');
    await scheduler.runUntil(80 * DAY + 1);
    expect(startsOf(q.results, 'a')).toEqual([0, 40 * DAY, 80 * DAY]);
    expect(scheduler.tooLong).toEqual([]);
    q.stop();
  });

  it('a dependency wait of 30 days, a 30-day timeout and a 30-day convergence deadline are honoured, not fired early', async () => {
    const scheduler = new StrictScheduler();
    let calls = 0;
    const q = queue(
      (request) => {
        calls += 1;
        if (request.key === 'dep' && calls === 1) throw new DependencyNotReadyError('db', { retryAfterMs: 30 * DAY });
        return new Promise<undefined>(() => undefined); // 'slow' hangs until its timeout
      },
      scheduler,
      { timeout: 30 * DAY, convergenceDeadline: 30 * DAY, workers: 2 },
    );
    q.add('dep');
    await scheduler.runUntil(DAY);
    expect(q.results).toHaveLength(1); // the wait, nothing else fired early
    expect(q.results[0]?.nextAttemptAt).toBe(30 * DAY);
    q.add('slow');
    await scheduler.runUntil(29 * DAY);
    expect(q.control.snapshot().inFlight.map((p) => p.key)).toEqual(['slow']); // not timed out early
    await scheduler.runUntil(31 * DAY + 1);
    expect(q.results.some((r) => r.key === 'slow' && r.outcome.type === 'retry')).toBe(true);
    expect(scheduler.tooLong).toEqual([]);
    q.stop();
  });

  it('a resync every 30 days resyncs every 30 days (not every millisecond)', async () => {
    const scheduler = new StrictScheduler();
    const ticks: number[] = [];
    const subscription = resync({ every: 30 * DAY, scheduler, keys: () => ['a'] }).subscribe(() => ticks.push(scheduler.now()));
    await scheduler.runUntil(61 * DAY);
    expect(ticks).toEqual([30 * DAY, 60 * DAY]);
    expect(scheduler.tooLong).toEqual([]);
    subscription.unsubscribe();
  });

  it('a stop deadline of 30 days aborts the running pass after 30 days', async () => {
    const scheduler = new StrictScheduler();
    const q = queue(() => new Promise<undefined>(() => undefined), scheduler);
    q.add('a');
    await scheduler.runUntil(1);
    let stopped = false;
    void q.control.stop({ deadline: 30 * DAY }).then(() => (stopped = true));
    await scheduler.runUntil(29 * DAY);
    expect(stopped).toBe(false);
    await scheduler.runUntil(30 * DAY + 1);
    expect(stopped).toBe(true);
    expect(scheduler.tooLong).toEqual([]);
  });
});

describe('bad time values never reach the shared timer heap (G16)', () => {
  it('a hand-built requeueAfter(NaN) is a transient failure of its key, and another key’s requeue still fires on time', async () => {
    const scheduler = new SimulationScheduler();
    const q = queue(
      (request) => (request.key === 'bad' ? ({ type: 'requeueAfter', ms: Number.NaN } as unknown as Outcome) : Outcome.requeueAfter(1000)),
      scheduler,
      { backoff: Backoff.constant({ delay: 5000, steps: 10 }) },
    );
    q.add('bad');
    q.add('good');
    await scheduler.runUntil(3500);
    expect(startsOf(q.results, 'good')).toEqual([0, 1000, 2000, 3000]);
    const bad = q.results.find((r) => r.key === 'bad');
    expect(bad?.outcome.type).toBe('retry');
    expect(bad?.failureClass).toBe('transient');
    expect(bad?.nextAttemptAt).toBe(5000); // its backoff, not NaN
    q.stop();
  });

  it('a DependencyNotReadyError with a NaN delay waits the dependency interval', async () => {
    const scheduler = new SimulationScheduler();
    let first = true;
    const q = queue(
      () => {
        if (!first) return undefined;
        first = false;
        throw new DependencyNotReadyError('db', { retryAfterMs: Number.NaN });
      },
      scheduler,
      { dependencyInterval: 700 },
    );
    q.add('a');
    await scheduler.runUntil(1000);
    expect(startsOf(q.results, 'a')).toEqual([0, 700]);
    q.stop();
  });

  it('a clock stepping back one hour does not stall a delayed key', async () => {
    const base = new SimulationScheduler();
    let offset = 0;
    const q = queue(() => Outcome.requeueAfter(1000), steppingClock(base, () => offset));
    q.add('a');
    await base.runUntil(10);
    offset = -3_600_000; // the wall clock is set back an hour
    await base.runUntil(2500);
    expect(q.results.length).toBeGreaterThanOrEqual(3); // ran at 0, 1000, 2000: not an hour later
    q.stop();
  });

  it('a clock stepping forward only makes a delayed key due early (one spare pass), never stops it', async () => {
    const base = new SimulationScheduler();
    let offset = 0;
    const q = queue(() => Outcome.requeueAfter(60_000), steppingClock(base, () => offset));
    q.add('a');
    await base.runUntil(10);
    offset = 3_600_000;
    await base.runUntil(130_000);
    expect(q.results.length).toBeGreaterThanOrEqual(2);
    q.stop();
  });
});

describe('results that are not what they seem (G7)', () => {
  const broken: [string, () => unknown][] = [
    ['a thenable whose then throws', () => ({ then: () => { throw new Error('then exploded'); } })],
    ['a thenable whose then getter throws', () => Object.defineProperty({}, 'then', { get: () => { throw new Error('getter exploded'); } })],
    ['a thenable that rejects with a non-Error', () => ({ then: (_ok: unknown, fail: (e: unknown) => void) => fail('nope') })],
    ['a thenable that calls back twice', () => ({ then: (ok: (v: unknown) => void) => { ok(undefined); ok(Outcome.retry(new Error('late'))); } })],
  ];
  for (const [what, result] of broken) {
    it(`${what} ends the pass as one outcome, frees the worker, and the next key runs`, async () => {
      const scheduler = new SimulationScheduler();
      const q = queue((request) => (request.key === 'bad' ? (result() as never) : undefined), scheduler, { workers: 1 });
      q.add('bad');
      q.add('next');
      await scheduler.runUntil(10);
      expect(q.results.filter((r) => r.key === 'bad')).toHaveLength(1);
      expect(q.results.map((r) => r.key)).toContain('next');
      expect(q.control.snapshot().inFlight).toEqual([]);
      q.stop();
    });
  }
});

describe('a loop on a huge requeue and resync', () => {
  it('defineLoop with resync: 40 days and requeueAfter(45 days) keeps one pass per period', async () => {
    const scheduler = new StrictScheduler();
    const store = createMemoryStore({ scheduler });
    await store.create('Item', { metadata: { name: 'a' }, spec: {} });
    const starts: number[] = [];
    const loop = defineLoop({
      name: 'slow',
      store,
      kind: 'Item',
      scheduler,
      resync: 40 * DAY,
      conditions: false,
      reconcile: () => {
        starts.push(scheduler.now());
        return Outcome.requeueAfter(45 * DAY);
      },
    });
    await scheduler.runUntil(90 * DAY);
    expect(starts).toEqual([0, 40 * DAY, 80 * DAY]); // the resync comes first each time, the requeue collapses into it
    expect(scheduler.tooLong).toEqual([]);
    const stopping = loop.stop();
    await scheduler.runUntil(90 * DAY);
    await stopping;
  });
});
