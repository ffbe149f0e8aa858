/**
 * Marble helpers: a loop's timing with TestScheduler, and timelines of whole simulated loops.
 */
import { of, throwError, timer, map } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { Backoff, Outcome, TransientError } from 'rx-reconcile';
import { workQueue } from 'rx-reconcile/operators';
import { createTestScheduler, expectTimeline, loopDefinition, simulate } from 'rx-reconcile/testing';
import { MarbleMismatchError } from '../../testing/errors.js';
import { marblesOf, summarizePasses } from '../../testing/marbles.js';

describe('createTestScheduler', () => {
  it('tests backoff timing with marbles: retries after 10 ms, then quarantine', () => {
    const testScheduler = createTestScheduler();
    testScheduler.run(({ cold, expectObservable }) => {
      const passes = cold('a').pipe(
        workQueue(() => throwError(() => new TransientError('down')), { scheduler: testScheduler, backoff: Backoff.constant({ delay: 10, steps: 2 }) }),
        summarizePasses(),
      );
      expectObservable(passes).toBe('a 9ms b 9ms c', { a: 'a:retry(TRANSIENT)', b: 'a:retry(TRANSIENT)', c: 'a:quarantined' });
    });
  });

  it('tests requeueAfter and slow passes', () => {
    const testScheduler = createTestScheduler();
    testScheduler.run(({ hot, expectObservable }) => {
      let n = 0;
      const passes = hot('x 4ms y').pipe(
        workQueue((request) => timer(3, testScheduler).pipe(map(() => (request.key === 'x' && n++ === 0 ? Outcome.requeueAfter(20) : Outcome.converged()))), {
          scheduler: testScheduler,
        }),
        summarizePasses(),
      );
      // x ends at 3 and comes back at 23 (ends 26); y arrives at 4 and ends at 8.
      expectObservable(passes).toBe('3ms a 4ms b 17ms c', { a: 'x:requeueAfter(20)', b: 'y:converged', c: 'x:converged' });
    });
  });

  it('fails with both timelines, frame by frame, and works without a test runner', () => {
    const testScheduler = createTestScheduler();
    let failure: unknown;
    try {
      testScheduler.run(({ expectObservable }) => {
        expectObservable(of('a:converged')).toBe('1ms a', { a: 'a:converged' });
      });
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(MarbleMismatchError);
    expect((failure as MarbleMismatchError).code).toBe('MARBLE_MISMATCH');
    expect((failure as Error).message).toMatch(/expected:\n\s+1ms {2}next "a:converged"[\s\S]*actual:\n\s+0ms {2}next "a:converged"/);
  });
});

describe('timelines of simulated loops', () => {
  // A loop that fails twice, then converges: the default backoff is 1 s, then 2 s.
  const flaky = loopDefinition<number, unknown, number>({
    loop: () => {
      let calls = 0;
      return {
        name: 'flaky',
        kind: 'F',
        reconcile: async () => {
          if (++calls <= 2) throw new TransientError('not yet');
          return Outcome.converged();
        },
      };
    },
  });

  it('expectTimeline pins down a whole loop’s timing, in virtual time', async () => {
    const { trace } = await simulate(flaky, { desired: [{ metadata: { name: 'a' }, spec: 1 }], until: 10_000 });
    const timeline = trace.passes.filter((p) => p.reason !== 'watch').map((p) => ({ at: p.at, value: p.summary }));
    expectTimeline(timeline, 'a 999ms a 1999ms b', { a: 'a:retry(TRANSIENT)', b: 'a:converged' });
    expect(() => expectTimeline(timeline, 'a 999ms b', { a: 'a:retry(TRANSIENT)', b: 'a:converged' })).toThrow(/actual as marbles: a 999ms a 1999ms b/);
  });

  it('marblesOf draws timelines, with groups for simultaneous values', () => {
    expect(marblesOf([{ at: 0, value: 'x' }, { at: 10, value: 'y' }]).marbles).toBe('a 9ms b');
    const drawn = marblesOf([{ at: 5, value: 1 }, { at: 5, value: 2 }, { at: 9, value: 1 }]);
    expect(drawn).toEqual({ marbles: '5ms (ab) a', values: { a: 1, b: 2 } });
    expectTimeline([{ at: 5, value: 1 }, { at: 5, value: 2 }, { at: 9, value: 1 }], drawn.marbles, drawn.values);
  });
});
