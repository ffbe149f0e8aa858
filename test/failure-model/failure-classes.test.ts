/**
 * G6, G11: each failure class's retry timing in virtual time, the counters by class, the user's
 * classifier, and backoff properties (cap, exact sequence, reset on success) through the queue.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NEVER, map, timer } from 'rxjs';
import { Backoff, ConflictError, DependencyNotReadyError, Outcome, PermanentError, TimeoutError, TransientError } from 'rx-reconcile';
import { NonErrorThrownError } from '../../src/errors.js';
import type { PassContext } from 'rx-reconcile';
import type { Work } from 'rx-reconcile/operators';
import { queueHarness } from './helpers.js';

/** A work function that records the virtual start time of each pass and then runs `body`. */
function recording(starts: number[], body: (n: number, context: PassContext) => Outcome | undefined) {
  return (scheduler: { now(): number }): Work =>
    (_request, context) => {
      starts.push(scheduler.now());
      return body(starts.length, context);
    };
}

describe('failure classes: retry timing in virtual time', () => {
  it('transient: retried after each delay of the backoff sequence, then quarantined after `steps` retries', () => {
    const starts: number[] = [];
    const policy = Backoff.exponential({ initial: 1000, factor: 2, steps: 5, cap: 60_000 });
    const q = queueHarness(
      recording(starts, () => {
        throw new TransientError('upstream timed out');
      }),
      { backoff: policy },
    );
    q.add('a');
    q.runTo(1_000_000);
    expect(Backoff.delays(policy, 5)).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(starts).toEqual([0, 1000, 3000, 7000, 15000, 31000]);
    expect(q.results.map((r) => r.failures)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(q.results.map((r) => r.nextAttemptAt)).toEqual([1000, 3000, 7000, 15000, 31000, undefined]);
    expect(q.results.at(-1)?.parked).toBe('quarantined');
    const snap = q.control.snapshot();
    expect(snap.parked).toEqual([
      { key: 'a', reason: 'quarantined', failures: 6, lastError: 'upstream timed out', failureClass: 'transient', since: 31000, overdue: false },
    ]);
    expect(snap.counters.errorsByClass).toEqual({ transient: 6, conflict: 0, permanent: 0, dependency: 0 });
  });

  it('conflict: retried at once `conflictRetries` times in a row, then backs off like a transient failure', () => {
    const starts: number[] = [];
    const q = queueHarness(
      recording(starts, () => {
        throw new ConflictError('Item', 'a', '1', '2');
      }),
      { backoff: Backoff.constant({ delay: 1000, steps: 2 }), conflictRetries: 3 },
    );
    q.add('a');
    q.runTo(100_000);
    // First pass + 3 immediate retries, then backoff 1000, 1000, then quarantine.
    expect(starts).toEqual([0, 0, 0, 0, 1000, 2000]);
    expect(q.results.map((r) => r.failureClass)).toEqual(Array(6).fill('conflict'));
    expect(q.results.map((r) => r.failures)).toEqual([0, 0, 0, 1, 2, 3]);
    expect(q.control.snapshot().counters.errorsByClass.conflict).toBe(6);
    expect(q.control.snapshot().parked[0]?.reason).toBe('quarantined');
  });

  it('conflict: a success resets the immediate retries', () => {
    const starts: number[] = [];
    const q = queueHarness(
      recording(starts, (n) => {
        if (n === 3) return Outcome.requeueAfter(500);
        throw new ConflictError('Item', 'a', '1', '2');
      }),
      { backoff: Backoff.constant({ delay: 1000, steps: 1 }), conflictRetries: 1 },
    );
    q.add('a');
    q.runTo(100_000);
    // conflict, at-once retry, backoff 1000 → success (requeue 500) → conflict, at-once retry, backoff, quarantine.
    expect(starts).toEqual([0, 0, 1000, 1500, 1500, 2500]);
  });

  it('permanent: no retry at all until the desired revision changes', () => {
    const starts: number[] = [];
    const q = queueHarness(
      recording(starts, (n) => {
        if (n === 1) throw new PermanentError('title is reserved');
        return undefined;
      }),
    );
    q.add({ key: 'a', reason: 'watch', revision: 2 });
    q.runTo(1_000_000);
    expect(starts).toEqual([0]);
    expect(q.results[0]?.outcome.type).toBe('terminal');
    expect(q.results[0]?.failureClass).toBe('permanent');
    expect(q.control.snapshot().parked).toMatchObject([{ key: 'a', reason: 'terminal', lastError: 'title is reserved', failureClass: 'permanent' }]);
    // Same revision (a status echo, a resync): still parked.
    q.add({ key: 'a', reason: 'watch', revision: 2 });
    q.add({ key: 'a', reason: 'resync' });
    q.runTo(2_000_000);
    expect(starts).toEqual([0]);
    // A new desired revision releases it.
    q.add({ key: 'a', reason: 'watch', revision: 4 });
    q.runTo(2_000_000);
    expect(starts).toEqual([0, 2_000_000]);
    expect(q.results.at(-1)?.outcome.type).toBe('converged');
    expect(q.control.snapshot().counters.released).toBe(1);
  });

  it('dependency: waits a fixed interval, counts no failure, never grows and never quarantines', () => {
    const starts: number[] = [];
    const q = queueHarness(
      recording(starts, (n) => {
        if (n <= 10) throw new DependencyNotReadyError('database');
        return undefined;
      }),
      { dependencyInterval: 2000, backoff: Backoff.constant({ delay: 1, steps: 1 }) },
    );
    q.add('a');
    q.runTo(1_000_000);
    expect(starts).toEqual([0, 2000, 4000, 6000, 8000, 10000, 12000, 14000, 16000, 18000, 20000]);
    expect(q.results.slice(0, 10).every((r) => r.outcome.type === 'waiting' && r.failures === 0)).toBe(true);
    expect(q.results.at(-1)?.outcome.type).toBe('converged');
    expect(q.control.snapshot().counters.errorsByClass).toEqual({ transient: 0, conflict: 0, permanent: 0, dependency: 10 });
    expect(q.control.snapshot().counters.quarantined).toBe(0);
  });

  it("dependency: the error's own retryAfterMs wins over the loop's interval", () => {
    const starts: number[] = [];
    const q = queueHarness(
      recording(starts, (n) => {
        if (n <= 2) throw new DependencyNotReadyError('cache', { retryAfterMs: 300 });
        return undefined;
      }),
      { dependencyInterval: 5000 },
    );
    q.add('a');
    q.runTo(100_000);
    expect(starts).toEqual([0, 300, 600]);
  });

  it('unknown errors and non-Error throws count as transient', () => {
    const errors: unknown[] = [new TypeError('x is undefined'), 'a string', 42, undefined, { code: 7 }];
    const q = queueHarness(
      () => (request) => {
        throw errors[Number(request.key)];
      },
      { backoff: Backoff.constant({ delay: 10, steps: 1 }) },
    );
    errors.forEach((_, i) => q.add(String(i)));
    q.runTo(0);
    expect(q.results.map((r) => r.failureClass)).toEqual(Array(errors.length).fill('transient'));
    expect(q.results.map((r) => r.outcome.type)).toEqual(Array(errors.length).fill('retry'));
    const wrapped = q.results.slice(1).map((r) => (r.outcome.type === 'retry' ? r.outcome.error : undefined));
    expect(wrapped.every((e) => e instanceof NonErrorThrownError)).toBe(true);
    expect(q.control.snapshot().delayed.map((d) => d.lastError)[1]).toMatch(/a non-Error value was thrown \("a string"\)/);
  });

  it('a user classify overrides the default mapping, and undefined keeps the default', () => {
    const q = queueHarness(
      () => (request) => {
        if (request.key === 'nf') throw new Error('HTTP 404 not found');
        if (request.key === 'lock') throw new Error('row locked');
        if (request.key === 'db') throw new Error('ECONNREFUSED');
        throw new ConflictError('Item', request.key, '1', '2');
      },
      {
        classify: (e) => (e.message.includes('404') ? 'permanent' : e.message.includes('locked') ? 'conflict' : e.message.includes('ECONN') ? 'dependency' : undefined),
        conflictRetries: 0,
      },
    );
    for (const key of ['nf', 'lock', 'db', 'other']) q.add(key);
    q.runTo(0);
    expect(q.results.map((r) => `${r.key}:${r.failureClass}:${r.outcome.type}`)).toEqual([
      'nf:permanent:terminal',
      'lock:conflict:retry',
      'db:dependency:waiting',
      'other:conflict:retry',
    ]);
  });

  it('counts each class on its own in the snapshot counters', () => {
    const q = queueHarness(
      () => (request) => {
        switch (request.key) {
          case 't':
            throw new TransientError('t');
          case 'c':
            throw new ConflictError('Item', 'c', '1', '2');
          case 'p':
            throw new PermanentError('p');
          case 'd':
            return Outcome.waiting('db', 1000);
          default:
            return Outcome.converged();
        }
      },
      { conflictRetries: 0 },
    );
    for (const key of ['t', 'c', 'p', 'd', 'ok']) q.add(key);
    q.runTo(0);
    const { counters } = q.control.snapshot();
    expect(counters.errorsByClass).toEqual({ transient: 1, conflict: 1, permanent: 1, dependency: 1 });
    expect(counters).toMatchObject({ passes: 5, converged: 1, retry: 2, terminal: 1, waiting: 1 });
  });
});

describe('backoff through the queue (properties)', () => {
  const policyArb = fc
    .record({
      initial: fc.integer({ min: 1, max: 5000 }),
      factor: fc.double({ min: 1, max: 4, noNaN: true }),
      steps: fc.integer({ min: 1, max: 8 }),
      cap: fc.integer({ min: 1, max: 60_000 }),
    })
    .map((o) => ({ ...o, policy: Backoff.exponential(o) }));
  /** true = the pass fails, false = it succeeds and asks to be looked at again at once. */
  const scriptArb = fc.array(fc.boolean(), { minLength: 1, maxLength: 40 });

  it('waits exactly Backoff.delays between failures, and starts again from the first delay after a success', () => {
    fc.assert(
      fc.property(policyArb, scriptArb, ({ policy, steps }, script) => {
        const starts: number[] = [];
        const q = queueHarness(
          recording(starts, (n) => {
            const fails = script[n - 1];
            if (fails === undefined) return Outcome.converged();
            if (fails) throw new TransientError(`fail ${n}`);
            return Outcome.requeueAfter(0);
          }),
          { backoff: policy },
        );
        q.add('k');
        q.runTo(Number.MAX_SAFE_INTEGER);
        const expected = Backoff.delays(policy, steps);
        let streak = 0;
        for (let i = 0; i < q.results.length; i++) {
          const result = q.results[i];
          if (result === undefined) break;
          if (result.outcome.type === 'retry') {
            streak++;
            expect(result.failures).toBe(streak);
            if (streak > steps) {
              expect(result.parked).toBe('quarantined');
              return;
            }
            expect((starts[i + 1] ?? NaN) - (starts[i] ?? NaN)).toBe(expected[streak - 1]);
          } else {
            streak = 0;
            expect(result.failures).toBe(0);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('never waits longer than the cap, with jitter too', () => {
    fc.assert(
      fc.property(policyArb, fc.double({ min: 0, max: 1, noNaN: true }), fc.integer(), ({ initial, factor, steps, cap }, ratio, seed) => {
        const starts: number[] = [];
        const policy = Backoff.exponential({ initial, factor, steps, cap, jitter: ratio });
        const q = queueHarness(
          recording(starts, () => {
            throw new TransientError('down');
          }),
          { backoff: policy, random: Backoff.seededRandom(seed) },
        );
        q.add('k');
        q.runTo(Number.MAX_SAFE_INTEGER);
        expect(starts).toHaveLength(steps + 1);
        for (let i = 1; i < starts.length; i++) {
          const wait = (starts[i] ?? 0) - (starts[i - 1] ?? 0);
          expect(wait).toBeGreaterThanOrEqual(0);
          expect(wait).toBeLessThanOrEqual(cap);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('time limits: per-pass timeout (G7)', () => {
  it('aborts a hanging pass through its AbortSignal at the timeout and counts a transient failure', () => {
    const signals: AbortSignal[] = [];
    const q = queueHarness(
      () => (_request, context) => {
        signals.push(context.signal);
        return NEVER;
      },
      { timeout: 500, backoff: Backoff.constant({ delay: 1000, steps: 3 }) },
    );
    q.add('hang');
    q.runTo(499);
    expect(signals[0]?.aborted).toBe(false);
    expect(q.results).toHaveLength(0);
    q.runTo(500);
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[0]?.reason).toBeInstanceOf(TimeoutError);
    expect(q.results[0]).toMatchObject({ key: 'hang', failureClass: 'transient', failures: 1, finishedAt: 500, nextAttemptAt: 1500 });
    expect(q.control.snapshot().counters.errorsByClass.transient).toBe(1);
    q.runTo(1500);
    expect(signals).toHaveLength(2); // retried after its backoff, in a fresh pass with a fresh signal
    expect(signals[1]?.aborted).toBe(false);
  });
});

describe('regressions', () => {
  it('signal read after a timeout is already aborted (was: a fresh, never-aborted signal)', () => {
    const contexts: PassContext[] = [];
    const q = queueHarness(
      () => (_request, context) => {
        contexts.push(context); // keeps the context, does not read the signal yet
        return NEVER;
      },
      { timeout: 100 },
    );
    q.add('a');
    q.runTo(100);
    const signal = contexts[0]?.signal;
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(TimeoutError);
  });

  it('a resync during a pass does not cut a dependency wait short (was: an immediate extra pass)', () => {
    const starts: number[] = [];
    const q = queueHarness((scheduler) => () => {
      starts.push(scheduler.now());
      return timer(10, scheduler).pipe(map(() => Outcome.waiting('db', 1000)));
    });
    q.add('a');
    q.runTo(5);
    q.add({ key: 'a', reason: 'resync' });
    q.runTo(2000);
    expect(starts).toEqual([0, 1010]);
  });

  it('a dependency trigger during a pass ends its dependency wait at once', () => {
    const starts: number[] = [];
    const q = queueHarness((scheduler) => () => {
      starts.push(scheduler.now());
      return timer(10, scheduler).pipe(map(() => (starts.length === 1 ? Outcome.waiting('db', 1000) : Outcome.converged())));
    });
    q.add('a');
    q.runTo(5);
    q.add({ key: 'a', reason: 'dependency' });
    q.runTo(2000);
    expect(starts).toEqual([0, 10]);
  });

  it('a terminal failure counts as a failure of the key (was: failures unchanged)', () => {
    const q = queueHarness(() => () => {
      throw new PermanentError('nope');
    });
    q.add('a');
    q.runTo(0);
    expect(q.results[0]?.failures).toBe(1);
    expect(q.control.snapshot().parked[0]?.failures).toBe(1);
  });

  it('a throwing or invalid classify falls back to the default classes (was: the key stuck running)', () => {
    const q = queueHarness(
      () => (request) => {
        if (request.key === 'p') throw new PermanentError('p');
        throw new TransientError('t');
      },
      {
        classify: (e) => {
          if (e.message === 'p') return 'bogus' as never;
          throw new Error('classifier bug');
        },
        backoff: Backoff.constant({ delay: 100, steps: 1 }),
      },
    );
    q.add('t');
    q.add('p');
    q.runTo(100);
    expect(q.results.map((r) => `${r.key}:${r.failureClass}`)).toEqual(['t:transient', 'p:permanent', 't:transient']);
    expect(q.control.snapshot().running).toBe(0);
  });

  it('stop() cancels its deadline timer when passes end before it (was: the timer outlived the stop)', async () => {
    const q = queueHarness((scheduler) => () => timer(10, scheduler).pipe(map(() => undefined)));
    q.add('a');
    let stopped = false;
    void q.control.stop({ deadline: 60_000 }).then(() => (stopped = true));
    q.runTo(10);
    await Promise.resolve();
    expect(stopped).toBe(true);
    expect(q.scheduler.actions).toHaveLength(0);
  });

  it('a manual trigger during a pass that would quarantine the key runs it again, without counting a quarantine', () => {
    const starts: number[] = [];
    const q = queueHarness(
      (scheduler) => () => {
        starts.push(scheduler.now());
        return timer(10, scheduler).pipe(
          map(() => {
            throw new TransientError('down');
          }),
        );
      },
      { backoff: Backoff.constant({ delay: 100, steps: 1 }) },
    );
    q.add('a');
    q.runTo(115); // fails at 10, retried at 110 (failure 2 of 1 step: quarantine at 120)
    q.control.trigger('a');
    q.runTo(130);
    expect(starts).toEqual([0, 110, 120]);
    expect(q.results[1]?.parked).toBeUndefined();
    expect(q.control.snapshot().counters.quarantined).toBe(0);
  });
});
