import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Subject, map, of, throwError, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { Backoff, DependencyNotReadyError, Outcome } from 'rx-reconcile';
import type { Outcome as OutcomeT, PassResult } from 'rx-reconcile';
import type { ReconcileRequest } from '../src/types.js';
import { SimulationScheduler } from 'rx-reconcile/testing';
import { createQueueControl, resync, workQueue } from 'rx-reconcile/operators';

const testScheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const keyOfResult = (r: PassResult): string => r.key;

describe('workQueue', () => {
  describe('timing (marbles)', () => {
    it('collapses triggers for a waiting key into one pass', () => {
      testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
        const triggers = hot('a-b-b-b|');
        const work = () => timer(10).pipe(map(() => Outcome.converged()));
        expectObservable(triggers.pipe(workQueue(work, { workers: 1 }), map(keyOfResult))).toBe('10ms a 9ms (b|)');
        expectSubscriptions(triggers.subscriptions).toBe('^------!');
      });
    });

    it('runs exactly one more pass for triggers that arrive while the key runs', () => {
      testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
        const triggers = hot('a--a-a-a|');
        const work = () => timer(10).pipe(map(() => Outcome.converged()));
        expectObservable(triggers.pipe(workQueue(work, { workers: 4 }), map(keyOfResult))).toBe('10ms a 9ms (a|)');
        expectSubscriptions(triggers.subscriptions).toBe('^-------!');
      });
    });

    it('never runs a key twice at once, even with free workers', () => {
      testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
        const triggers = hot('a a a|');
        const work = () => timer(5).pipe(map(() => Outcome.converged()));
        // three triggers over 5 frames: pass 1 at 0–5, one trailing pass at 5–10
        expectObservable(triggers.pipe(workQueue(work, { workers: 8 }), map(keyOfResult))).toBe('5ms a 4ms (a|)');
        expectSubscriptions(triggers.subscriptions).toBe('^ - - !');
      });
    });

    it('brings a key back after requeueAfter at its time', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        let passes = 0;
        const work = () => (++passes === 1 ? Outcome.requeueAfter(50) : Outcome.converged());
        const triggers = cold('a|');
        const results = triggers.pipe(workQueue(work), map((r) => `${r.key}:${r.outcome.type}`));
        expectObservable(results).toBe('r 49ms (c|)', { r: 'a:requeueAfter', c: 'a:converged' });
        expectSubscriptions(triggers.subscriptions).toBe('^!');
      });
    });

    it('runs a requeued key at once when a trigger arrives before its time', () => {
      testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
        const outcomes: OutcomeT[] = [Outcome.requeueAfter(100), Outcome.converged()];
        const work = () => outcomes.shift() ?? Outcome.converged();
        const triggers = hot('a 19ms a|');
        const results = triggers.pipe(workQueue(work), map((r) => r.outcome.type));
        expectObservable(results).toBe('r 19ms c|', { r: 'requeueAfter', c: 'converged' });
        expectSubscriptions(triggers.subscriptions).toBe('^ 19ms -!');
      });
    });

    it('retries a failing key with its backoff delays, then quarantines it', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const backoff = Backoff.exponential({ initial: 10, factor: 2, steps: 3 });
        const work = () => throwError(() => new Error('down'));
        const triggers = cold('a|');
        const results = triggers.pipe(workQueue(work, { backoff }), map((r) => `${r.failures}${r.parked ?? ''}`));
        // failures at 0, 10, 30, 70; after 3 retries the 4th failure parks the key and the stream completes
        expectObservable(results).toBe('a 9ms b 19ms c 39ms (d|)', { a: '1', b: '2', c: '3', d: '4quarantined' });
        expectSubscriptions(triggers.subscriptions).toBe('^!');
      });
    });

    it('resets the failure count after a success', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const script: (() => OutcomeT)[] = [
          () => Outcome.retry(new Error('x')),
          () => Outcome.requeueAfter(100),
          () => Outcome.retry(new Error('y')),
          () => Outcome.converged(),
        ];
        const work = () => (script.shift() ?? (() => Outcome.converged()))();
        const backoff = Backoff.constant({ delay: 5, steps: 5 });
        const triggers = cold('a|');
        const results = triggers.pipe(workQueue(work, { backoff }), map((r) => r.failures));
        expectObservable(results).toBe('a 4ms b 99ms c 4ms (d|)', { a: 1, b: 0, c: 1, d: 0 });
        expectSubscriptions(triggers.subscriptions).toBe('^!');
      });
    });

    it('waits a dependency interval without counting a failure', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        let n = 0;
        const work = () => (++n < 3 ? throwError(() => new DependencyNotReadyError('db', { retryAfterMs: 7 })) : of(Outcome.converged()));
        const triggers = cold('a|');
        const results = triggers.pipe(workQueue(work), map((r) => `${r.outcome.type}${r.failures}`));
        expectObservable(results).toBe('a 6ms a 6ms (c|)', { a: 'waiting0', c: 'converged0' });
        expectSubscriptions(triggers.subscriptions).toBe('^!');
      });
    });

    it('lets a periodic resync trigger every key at low priority', () => {
      testScheduler().run(({ expectObservable }) => {
        const seen: ReconcileRequest[] = [];
        const results = resync({ every: 100, keys: () => ['a', 'b'] }).pipe(
          workQueue((request) => {
            seen.push(request);
            return undefined;
          }),
          map(keyOfResult),
        );
        expectObservable(results, '^ 250ms !').toBe('100ms (ab) 96ms (ab)');
      });
    });

    it('completes when the source has completed and no key is queued, running or delayed', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        let passes = 0;
        const work = () => (++passes === 1 ? Outcome.requeueAfter(30) : undefined);
        const triggers = cold('a|');
        expectObservable(triggers.pipe(workQueue(work), map(keyOfResult))).toBe('a 29ms (a|)');
        expectSubscriptions(triggers.subscriptions).toBe('^!');
      });
    });
  });

  describe('fairness', () => {
    it('lets a real change overtake a resync flood and still drains the flood (aging)', () => {
      // A slow first pass holds the only worker while the flood and a real change queue up.
      const hold = new Subject<OutcomeT>();
      const q = new Subject<ReconcileRequest>();
      const order: string[] = [];
      q.pipe(
        workQueue((r) => {
          order.push(r.key);
          return r.key === 'first' ? hold : undefined;
        }, { workers: 1, agingEvery: 2 }),
      ).subscribe();
      q.next({ key: 'first', reason: 'watch' });
      for (let i = 0; i < 10; i++) q.next({ key: `resync-${i}`, reason: 'resync' });
      q.next({ key: 'change-1', reason: 'watch' });
      q.next({ key: 'change-2', reason: 'watch' });
      q.next({ key: 'change-3', reason: 'watch' });
      hold.next(Outcome.converged());
      hold.complete();
      expect(order.slice(0, 5)).toEqual(['first', 'change-1', 'change-2', 'resync-0', 'change-3']);
      expect(order).toHaveLength(14);
    });

    it('runs a ReconcileRequest whose reason is outside TriggerReason as a watch trigger (untyped callers)', () => {
      const q = new Subject<ReconcileRequest>();
      const seen: ReconcileRequest[] = [];
      q.pipe(workQueue((r) => void seen.push(r))).subscribe();
      q.next({ key: 'a', reason: 'from-js' as unknown as ReconcileRequest['reason'] });
      expect(seen).toEqual([{ key: 'a', reason: 'watch' }]);
    });

    it('lists running passes in the order they started after passes in the middle end (regression: the running list is swap-removed)', () => {
      const control = createQueueControl();
      const holds = new Map<string, Subject<OutcomeT>>();
      const q = new Subject<string>();
      q.pipe(
        workQueue(
          (r) => {
            const hold = new Subject<OutcomeT>();
            holds.set(r.key, hold);
            return hold;
          },
          { workers: 4, control },
        ),
      ).subscribe();
      for (const key of ['a', 'b', 'c', 'd']) q.next(key);
      holds.get('b')?.complete(); // 'd' is moved into b's place in the list
      q.next('e');
      expect(control.snapshot().inFlight.map((f) => f.key)).toEqual(['a', 'c', 'd', 'e']);
      holds.get('a')?.complete();
      expect(control.snapshot().inFlight.map((f) => f.key)).toEqual(['c', 'd', 'e']);
    });

    it('keeps a slow key to one worker while other keys go on', async () => {
      const control = createQueueControl();
      const done: string[] = [];
      const slow = new Subject<OutcomeT>();
      const q = new Subject<string>();
      q.pipe(workQueue((r) => (r.key === 'slow' ? slow : Promise.resolve(undefined)), { workers: 2, control })).subscribe((r) => done.push(r.key));
      q.next('slow');
      for (let i = 0; i < 20; i++) q.next(`k${i}`);
      await new Promise((resolve) => setImmediate(resolve));
      expect(done).toHaveLength(20);
      expect(control.snapshot().inFlight.map((f) => f.key)).toEqual(['slow']);
      slow.complete();
      await control.whenIdle();
      expect(done).toHaveLength(21);
    });
  });

  describe('properties (G1–G3)', () => {
    interface Step {
      readonly at: number;
      readonly key: string;
    }
    const stepsArb = fc.array(fc.record({ at: fc.integer({ min: 0, max: 60 }), key: fc.constantFrom('a', 'b', 'c', 'd') }), {
      minLength: 1,
      maxLength: 40,
    });

    /** Runs triggers at virtual times against work of random durations; returns the event log. */
    function run(steps: readonly Step[], workers: number, durations: readonly number[], outcomes?: readonly OutcomeT[]) {
      const scheduler = new SimulationScheduler();
      const log: { type: 'trigger' | 'start' | 'end'; key: string }[] = [];
      const running = new Set<string>();
      let maxRunning = 0;
      let overlaps = 0;
      let n = 0;
      const triggers = new Subject<string>();
      triggers
        .pipe(
          workQueue(
            (request) => {
              const i = n++;
              const key = request.key;
              if (running.has(key)) overlaps++;
              running.add(key);
              maxRunning = Math.max(maxRunning, running.size);
              log.push({ type: 'start', key });
              const outcome = outcomes?.[i % outcomes.length] ?? Outcome.converged();
              const d = durations[i % durations.length] ?? 0;
              const finish = () => {
                running.delete(key);
                log.push({ type: 'end', key });
                return outcome;
              };
              return d === 0 ? finish() : timer(d, scheduler).pipe(map(finish));
            },
            { workers, scheduler, backoff: Backoff.constant({ delay: 3, steps: 1000 }) },
          ),
        )
        .subscribe();
      for (const step of steps) {
        scheduler.schedule(() => {
          log.push({ type: 'trigger', key: step.key });
          triggers.next(step.key);
        }, step.at);
      }
      scheduler.flush();
      return { log, maxRunning, overlaps };
    }

    it('G1: a key never runs in two passes at once, and at most `workers` passes run', () => {
      fc.assert(
        fc.property(stepsArb, fc.integer({ min: 1, max: 6 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 10 }), (steps, workers, durations) => {
          const { overlaps, maxRunning } = run(steps, workers, durations);
          expect(overlaps).toBe(0);
          expect(maxRunning).toBeLessThanOrEqual(workers);
        }),
        { numRuns: 200 },
      );
    });

    it('G2: every trigger is followed by a pass of its key that starts after it (no lost update)', () => {
      fc.assert(
        fc.property(stepsArb, fc.integer({ min: 1, max: 6 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 10 }), (steps, workers, durations) => {
          const { log } = run(steps, workers, durations);
          log.forEach((entry, i) => {
            if (entry.type !== 'trigger') return;
            const later = log.slice(i + 1).some((e) => e.type === 'start' && e.key === entry.key);
            expect(later, `trigger #${i} for ${entry.key} was lost`).toBe(true);
          });
        }),
        { numRuns: 200 },
      );
    });

    it('G3: every pass is caused by a trigger since the previous pass of its key started (triggers collapse)', () => {
      fc.assert(
        fc.property(stepsArb, fc.integer({ min: 1, max: 6 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 10 }), (steps, workers, durations) => {
          const { log } = run(steps, workers, durations);
          const pending = new Map<string, number>();
          for (const entry of log) {
            if (entry.type === 'trigger') pending.set(entry.key, (pending.get(entry.key) ?? 0) + 1);
            if (entry.type === 'start') {
              expect(pending.get(entry.key) ?? 0, `spurious pass of ${entry.key}`).toBeGreaterThan(0);
              pending.set(entry.key, 0);
            }
          }
        }),
        { numRuns: 200 },
      );
    });

    it('G1 and G2 hold with failing, requeued and converging passes mixed', () => {
      const outcomeArb = fc.constantFrom<OutcomeT>(
        Outcome.converged(),
        Outcome.requeueAfter(4),
        Outcome.retry(new Error('boom')),
        Outcome.waiting('dep', 2),
      );
      fc.assert(
        fc.property(
          stepsArb,
          fc.integer({ min: 1, max: 6 }),
          fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 10 }),
          fc.array(outcomeArb, { minLength: 1, maxLength: 10 }),
          (steps, workers, durations, outcomes) => {
            const { log, overlaps, maxRunning } = run(steps, workers, durations, [...outcomes, Outcome.converged()]);
            expect(overlaps).toBe(0);
            expect(maxRunning).toBeLessThanOrEqual(workers);
            log.forEach((entry, i) => {
              if (entry.type === 'trigger') expect(log.slice(i + 1).some((e) => e.type === 'start' && e.key === entry.key)).toBe(true);
            });
          },
        ),
        { numRuns: 150 },
      );
    });
  });

  describe('errors', () => {
    it('turns a throw, a rejection, an Observable error and a non-Error throw into retry results', async () => {
      const control = createQueueControl();
      const results: PassResult[] = [];
      const q = new Subject<string>();
      const works: Record<string, () => unknown> = {
        sync: () => {
          throw new Error('sync');
        },
        rejected: () => Promise.reject(new Error('rejected')),
        observable: () => throwError(() => new Error('observable')),
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        nonError: () => {
          throw 'a string';
        },
        bad: () => 42,
      };
      q.pipe(workQueue((r) => works[r.key]?.() as OutcomeT, { control, backoff: Backoff.constant({ delay: 60_000, steps: 3 }) })).subscribe((r) => results.push(r));
      for (const key of Object.keys(works)) q.next(key);
      await new Promise((resolve) => setImmediate(resolve));
      const byKey = new Map(results.map((r) => [r.key, r.outcome]));
      expect([...byKey.keys()].sort()).toEqual(Object.keys(works).sort());
      expect([...byKey.values()].every((o) => o.type === 'retry')).toBe(true);
      const message = (key: string) => {
        const o = byKey.get(key);
        return o?.type === 'retry' ? o.error.message : '';
      };
      expect(message('nonError')).toMatch(/non-Error value was thrown \("a string"\)/);
      expect(message('bad')).toMatch(/return an Outcome/);
      expect(control.snapshot().delayed.map((d) => d.key).sort()).toEqual(Object.keys(works).sort());
      control.stop();
    });

    it('errors the output only when the source itself errors', () => {
      testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
        const triggers = hot('a-#');
        const results = triggers.pipe(workQueue(() => Outcome.converged()), map(keyOfResult));
        expectObservable(results).toBe('a-#');
        expectSubscriptions(triggers.subscriptions).toBe('^-!');
      });
    });
  });
});
