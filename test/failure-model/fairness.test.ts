/**
 * G4: changes to desired state jump ahead of resync and start-up floods, and the flood still drains
 * (aging). Property tests on the work queue in virtual time.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { map, timer } from 'rxjs';
import { queueHarness } from './helpers.js';

interface Run {
  /** Keys in the order their passes started. */
  readonly starts: string[];
  /** For each real change: starts between its arrival and its own start, and high-lane keys ahead of it. */
  readonly waits: { key: string; startsBefore: number; highAhead: number }[];
  readonly done: Set<string>;
}

/**
 * Queues a flood of `flood` resync keys at t=0, then real changes (fresh keys, `watch` triggers) at
 * the given times; every pass takes `duration(key)` ms.
 */
function simulate(workers: number, agingEvery: number, flood: number, changes: readonly number[], duration: (key: string) => number): Run {
  const starts: string[] = [];
  const arrival = new Map<string, { at: number; highAhead: number }>();
  const waits: Run['waits'] = [];
  const done = new Set<string>();
  const pendingHigh = new Set<string>();
  const q = queueHarness(
    (scheduler) => (request) => timer(duration(request.key), scheduler).pipe(map(() => void done.add(request.key))),
    {
      workers,
      agingEvery,
      hooks: {
        onStart: (key) => {
          const seen = arrival.get(key);
          if (seen !== undefined) {
            waits.push({ key, startsBefore: starts.length - seen.at, highAhead: seen.highAhead });
            pendingHigh.delete(key);
          }
          starts.push(key);
        },
      },
    },
  );
  for (let i = 0; i < flood; i++) q.add({ key: `flood-${i}`, reason: 'resync' });
  changes.forEach((at, i) => {
    q.scheduler.schedule(() => {
      const key = `change-${i}`;
      arrival.set(key, { at: starts.length, highAhead: pendingHigh.size });
      pendingHigh.add(key);
      q.add({ key, reason: 'watch', revision: 2 });
    }, at);
  });
  q.runTo(Number.MAX_SAFE_INTEGER);
  return { starts, waits, done };
}

const params = fc.record({
  workers: fc.integer({ min: 1, max: 4 }),
  agingEvery: fc.integer({ min: 1, max: 6 }),
  flood: fc.integer({ min: 5, max: 300 }),
  changes: fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 30 }),
  durations: fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 7 }),
});

const durationOf = (durations: readonly number[]) => (key: string) => durations[key.length % durations.length] ?? 1;

describe('priority and fairness (G4)', () => {
  it('a real change starts within highAhead + 1 + floor(highAhead / agingEvery) passes of its arrival, whatever the flood', () => {
    fc.assert(
      fc.property(params, ({ workers, agingEvery, flood, changes, durations }) => {
        const run = simulate(workers, agingEvery, flood, changes, durationOf(durations));
        expect(run.waits).toHaveLength(changes.length);
        for (const { startsBefore, highAhead } of run.waits) {
          // High-lane keys ahead of it (FIFO), plus at most one aged flood key per `agingEvery` of them.
          expect(startsBefore).toBeLessThanOrEqual(highAhead + 1 + Math.floor(highAhead / agingEvery));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('with a single change, at most one flood pass (aging) starts before it: independent of the flood size', () => {
    fc.assert(
      fc.property(params, fc.integer({ min: 0, max: 3000 }), ({ workers, agingEvery, flood, durations }, at) => {
        const run = simulate(workers, agingEvery, flood, [at], durationOf(durations));
        expect(run.waits[0]?.startsBefore).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it('the flood still drains: every resync key runs once, the k-th within (k + 1)·(agingEvery + 1) + workers starts', () => {
    fc.assert(
      fc.property(params, ({ workers, agingEvery, flood, changes, durations }) => {
        const run = simulate(workers, agingEvery, flood, changes, durationOf(durations));
        for (let i = 0; i < flood; i++) expect(run.done.has(`flood-${i}`)).toBe(true);
        expect(run.starts).toHaveLength(flood + changes.length);
        let k = 0;
        run.starts.forEach((key, position) => {
          if (!key.startsWith('flood-')) return;
          expect(position).toBeLessThan((k + 1) * (agingEvery + 1) + workers);
          k++;
        });
      }),
      { numRuns: 300 },
    );
  });

  it('a change for a key already in the flood is promoted ahead of the rest of the flood', () => {
    const starts: string[] = [];
    const q = queueHarness((scheduler) => () => timer(10, scheduler).pipe(map(() => undefined)), {
      workers: 1,
      agingEvery: 4,
      hooks: { onStart: (key) => void starts.push(key) },
    });
    for (let i = 0; i < 100; i++) q.add({ key: `k${i}`, reason: 'resync' });
    q.runTo(5);
    q.add({ key: 'k90', reason: 'watch', revision: 4 });
    q.runTo(100_000);
    expect(starts.slice(0, 2)).toEqual(['k0', 'k90']);
    expect(starts.filter((k) => k === 'k90')).toHaveLength(1); // collapsed: the stale flood entry is skipped
    expect(starts).toHaveLength(100);
  });
});
