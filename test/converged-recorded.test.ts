import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Outcome, getCondition, passConditions, recordPass } from '../src/index.js';
import type { Condition, PassReport, ReconcileStatus } from '../src/index.js';

/**
 * A converged pass whose status already shows its conditions must leave the status untouched (the
 * same object: no write), and any difference must be written. The check runs after every no-change
 * pass as one scan of the list; this property holds it to the plain definition: the first condition
 * of each of the three types says what `passConditions` says, and `observedGeneration` is the pass's.
 */
describe('recordPass on a converged pass', () => {
  const converged = passConditions({ generation: 1, verdict: { outcome: Outcome.converged(), failureClass: undefined, failures: 0, parked: undefined } });
  const pick = <T>(...values: T[]) => fc.constantFrom(...values);
  const condition = fc.record({
    type: pick('Ready', 'Progressing', 'Degraded', 'Available'),
    status: pick<'True' | 'False' | 'Unknown'>('True', 'False', 'Unknown'),
    reason: pick('Converged', 'AsExpected', 'Retrying', ...converged.map((c) => c.reason)),
    message: pick('', 'other', ...converged.map((c) => c.message)),
    observedGeneration: pick(1, 2),
    lastTransitionTime: pick('2026-01-01T00:00:00.000Z'),
  });
  // Lists built from the converged conditions, each exact or off in one field (the near misses a
  // fast check gets wrong), shuffled with noise: other types, second conditions of a type.
  const at = '2026-01-01T00:00:00.000Z';
  const nearly = (c: (typeof converged)[number]) =>
    fc.oneof(
      { arbitrary: fc.constant({ ...c, lastTransitionTime: at }), weight: 8 },
      { arbitrary: fc.constant({ ...c, lastTransitionTime: at, status: c.status === 'True' ? ('False' as const) : ('True' as const) }), weight: 1 },
      { arbitrary: fc.constant({ ...c, lastTransitionTime: at, reason: 'Retrying' }), weight: 1 },
      { arbitrary: fc.constant({ ...c, lastTransitionTime: at, message: 'other' }), weight: 1 },
      { arbitrary: fc.constant({ ...c, lastTransitionTime: at, observedGeneration: 2 }), weight: 1 },
    );
  const list = fc
    .tuple(fc.tuple(...converged.map(nearly)), fc.array(fc.integer({ min: 0, max: 7 }).map((n) => n > 0), { minLength: 3, maxLength: 3 }), fc.array(condition, { maxLength: 2 }))
    .chain(([ours, keep, noise]) => {
      const all = [...ours.filter((_c, i) => keep[i]), ...noise];
      return fc.shuffledSubarray(all, { minLength: all.length });
    });
  const status = fc.record({ stale: fc.integer({ min: 0, max: 7 }).map((n) => n === 0), conditions: list as fc.Arbitrary<Condition[]> });

  it('returns the same status exactly when the first condition of each type already says it', () => {
    fc.assert(
      fc.property(status, fc.boolean(), ({ stale, conditions }, requeue) => {
        const generation = 1;
        const s: ReconcileStatus = { observedGeneration: stale ? 2 : 1, conditions };
        const outcome = requeue ? Outcome.requeueAfter(1000) : Outcome.converged();
        const report: PassReport = { generation, verdict: { outcome, failureClass: undefined, failures: 0, parked: undefined } };
        const wanted = passConditions(report);
        const holds =
          s.observedGeneration === generation &&
          wanted.every((w) => {
            const c = getCondition(s, w.type);
            return c !== undefined && c.status === w.status && c.reason === w.reason && c.message === w.message && c.observedGeneration === w.observedGeneration;
          });
        const next = recordPass(s, report, '2026-02-02T00:00:00.000Z');
        expect(next === s).toBe(holds);
        if (!holds) for (const w of wanted) expect(getCondition(next, w.type)).toMatchObject(w);
      }),
      { numRuns: 3000 },
    );
  });
});
