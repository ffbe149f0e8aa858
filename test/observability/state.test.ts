import { describe, expect, it } from 'vitest';
import type { QueueSnapshot } from 'rx-reconcile/operators';
import { virtualClock } from './clock.js';
import { startScenario } from './scenario.js';

describe('live state: loop.snapshot() and loop.state$', () => {
  it('shows in-flight keys, keys in backoff with their next attempt, parked keys and counters', async () => {
    const clock = virtualClock();
    const { loop } = await startScenario(clock);

    await clock.advance(100);
    let s = loop.snapshot();
    expect(s.at).toBe(100);
    expect(s.workers).toBe(2);
    expect(s.stopping).toBe(false);
    expect(s.depth).toBe(4);
    expect(s.running).toBe(2);
    expect(s.inFlight).toEqual([
      { key: 'a-ok', since: 0, reason: 'initial' },
      { key: 'b-flaky', since: 0, reason: 'initial' },
    ]);
    expect(s.delayed).toEqual([]);
    expect(s.parked).toEqual([]);

    // t=1000: nothing runs; four keys wait for their time, one is parked for good.
    await clock.advance(900);
    s = loop.snapshot();
    expect(s.depth).toBe(0);
    expect(s.running).toBe(0);
    expect(s.inFlight).toEqual([]);
    expect(s.delayed.map((d) => [d.key, d.why, d.nextAttemptAt, d.failures])).toEqual([
      ['b-flaky', 'backoff', 1250, 1],
      ['c-broken', 'backoff', 1500, 1],
      ['f-dep', 'waiting', 2750, 0],
      ['e-poll', 'requeue', 5750, 0],
    ]);
    expect(s.delayed[0]).toMatchObject({ lastError: 'upstream timed out', failureClass: 'transient' });
    expect(s.delayed[1]).toMatchObject({ lastError: 'disk full (attempt 1)' });
    expect(s.delayed[3]?.lastError).toBeUndefined();
    expect(s.parked).toHaveLength(1);
    expect(s.parked[0]).toMatchObject({ key: 'd-bad', reason: 'terminal', since: 500, lastError: 'title is reserved', failureClass: 'permanent' });
    expect(s.counters).toMatchObject({
      adds: 6,
      passes: 6,
      converged: 1,
      requeueAfter: 1,
      retry: 2,
      terminal: 1,
      waiting: 1,
      quarantined: 0,
      released: 0,
      errorsByClass: { transient: 2, conflict: 0, permanent: 1, dependency: 1 },
    });

    // t=10000: everything settled; c-broken quarantined after its third failure in a row.
    await clock.advance(9000);
    s = loop.snapshot();
    expect(s.delayed).toEqual([]);
    expect(s.parked.map((p) => [p.key, p.reason, p.since])).toEqual(
      expect.arrayContaining([
        ['c-broken', 'quarantined', 3000],
        ['d-bad', 'terminal', 500],
      ]),
    );
    expect(s.parked).toHaveLength(2);
    expect(s.parked.find((p) => p.key === 'c-broken')).toMatchObject({ failures: 3, lastError: 'disk full (attempt 3)', failureClass: 'transient' });
    expect(s.counters).toMatchObject({ passes: 11, converged: 4, retry: 4, terminal: 1, requeueAfter: 1, waiting: 1, quarantined: 1 });

    // A snapshot is a copy: later changes do not show through it.
    const before = s;
    expect(loop.release('c-broken')).toBe(true);
    expect(before.counters.released).toBe(0);
    expect(before.parked).toHaveLength(2);
    s = loop.snapshot();
    expect(s.counters.released).toBe(1);
    expect(s.inFlight.map((f) => [f.key, f.reason])).toEqual([['c-broken', 'manual']]);
    expect(s.parked.map((p) => p.key)).toEqual(['d-bad']);

    const stopped = loop.stop({ deadline: 100 });
    expect(loop.snapshot().stopping).toBe(true);
    await clock.advance(1000);
    await stopped;
  });

  it('state$ starts with the current snapshot and emits one after each change', async () => {
    const clock = virtualClock();
    const { loop } = await startScenario(clock);
    const seen: QueueSnapshot[] = [];
    const subscription = loop.state$.subscribe((snapshot) => seen.push(snapshot));
    expect(seen).toHaveLength(1);
    expect(seen[0]?.counters.passes).toBe(0);

    await clock.advance(10_000);
    const passes = seen.map((x) => x.counters.passes);
    expect(passes.at(-1)).toBe(11);
    expect([...passes].sort((a, b) => a - b)).toEqual(passes);
    // Passes that end at the same instant collapse into one emission (auditTime on the scheduler).
    expect(new Set(passes).size).toBe(passes.length);
    const quarantinedAt = seen.find((x) => x.parked.some((p) => p.key === 'c-broken' && p.reason === 'quarantined'));
    expect(quarantinedAt?.at).toBe(3000);
    // The last emission came with the last change (e-poll converged at 6000) and is still true.
    expect(seen.at(-1)).toEqual({ ...loop.snapshot(), at: 6000 });

    const count = seen.length;
    loop.release('c-broken');
    await clock.settle();
    expect(seen.length).toBe(count + 1);
    expect(seen.at(-1)?.counters.released).toBe(1);
    subscription.unsubscribe();
    const stopped = loop.stop({ deadline: 0 });
    await clock.advance(10);
    await stopped;
  });
});
