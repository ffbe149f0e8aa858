import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { getCondition, isConditionTrue, setCondition, InvalidArgumentError } from 'rx-reconcile';
import { ConditionTypes, produceStatus, removeCondition, stampObservedGeneration, statusEquals } from '../src/status.js';
import type { Condition, ReconcileStatus } from 'rx-reconcile';
import type { ConditionStatus } from '../src/status.js';

const T0 = '2024-01-01T00:00:00.000Z';
const T1 = '2024-01-01T00:00:01.000Z';
const T2 = '2024-01-01T00:00:02.000Z';

const ready = (status: ConditionStatus, reason = 'R', message = '', observedGeneration = 1) => ({
  type: ConditionTypes.Ready,
  status,
  reason,
  message,
  observedGeneration,
});

interface SiteStatus extends ReconcileStatus {
  readonly url?: string;
}

describe('setCondition', () => {
  it('creates a status holding the condition when there is none, stamped with now', () => {
    const s = setCondition<SiteStatus>(undefined, ready('True'), T0);
    expect(s).toEqual({ conditions: [{ ...ready('True'), lastTransitionTime: T0 }] });
  });

  it('returns the same reference when nothing changed', () => {
    const s = setCondition<SiteStatus>({ url: 'x' }, ready('True'), T0);
    expect(setCondition(s, ready('True'), T1)).toBe(s);
  });

  it('keeps lastTransitionTime when only reason, message or observedGeneration change', () => {
    const s0 = setCondition<SiteStatus>(undefined, ready('False', 'A', 'm'), T0);
    const s1 = setCondition(s0, ready('False', 'B', 'm2', 2), T1);
    expect(s1).not.toBe(s0);
    expect(getCondition(s1, 'Ready')).toEqual({ ...ready('False', 'B', 'm2', 2), lastTransitionTime: T0 });
  });

  it('moves lastTransitionTime when the status flips', () => {
    const s0 = setCondition<SiteStatus>(undefined, ready('False'), T0);
    const s1 = setCondition(s0, ready('True'), T1);
    expect(getCondition(s1, 'Ready')?.lastTransitionTime).toBe(T1);
    const s2 = setCondition(s1, ready('Unknown'), T2);
    expect(getCondition(s2, 'Ready')?.lastTransitionTime).toBe(T2);
  });

  it('appends new conditions and keeps the order of existing ones', () => {
    let s = setCondition<SiteStatus>({ url: 'u' }, { ...ready('True'), type: 'A' }, T0);
    s = setCondition(s, { ...ready('True'), type: 'B' }, T0);
    s = setCondition(s, { ...ready('True'), type: 'C' }, T0);
    s = setCondition(s, { ...ready('False'), type: 'A' }, T1);
    expect(s.conditions?.map((c) => c.type)).toEqual(['A', 'B', 'C']);
    expect(s.url).toBe('u');
  });

  it('does not mutate its input and keeps untouched conditions shared', () => {
    const s0 = setCondition<SiteStatus>(undefined, { ...ready('True'), type: 'A' }, T0);
    const s1 = setCondition(s0, { ...ready('True'), type: 'B' }, T0);
    const s2 = setCondition(s1, { ...ready('False'), type: 'B' }, T1);
    expect(s0.conditions).toHaveLength(1);
    expect(getCondition(s1, 'B')?.status).toBe('True');
    expect(s2.conditions?.[0]).toBe(s1.conditions?.[0]);
  });

  it('stores only the condition fields, whatever else the argument carries', () => {
    const extra = { ...ready('True'), lastTransitionTime: 'ignored', extra: 1 };
    const s = setCondition<SiteStatus>(undefined, extra, T0);
    expect(s.conditions?.[0]).toEqual({ ...ready('True'), lastTransitionTime: T0 });
  });

  it('rejects an empty type and an unknown status', () => {
    expect(() => setCondition(undefined, { ...ready('True'), type: '' }, T0)).toThrow(InvalidArgumentError);
    expect(() => setCondition(undefined, { ...ready('True'), status: 'Yes' as ConditionStatus }, T0)).toThrow(
      /must be 'True', 'False' or 'Unknown'/,
    );
  });
});

describe('reading and removing conditions', () => {
  it('getCondition and isConditionTrue find a condition by type', () => {
    const s = setCondition<SiteStatus>(undefined, ready('True'), T0);
    expect(getCondition(s, 'Ready')?.status).toBe('True');
    expect(getCondition(s, 'Other')).toBeUndefined();
    expect(getCondition(undefined, 'Ready')).toBeUndefined();
    expect(isConditionTrue(s, ConditionTypes.Ready)).toBe(true);
    expect(isConditionTrue(setCondition(s, ready('Unknown'), T1), 'Ready')).toBe(false);
    expect(isConditionTrue(undefined, 'Ready')).toBe(false);
  });

  it('removeCondition removes by type and returns the same reference when absent', () => {
    const s = setCondition<SiteStatus>(setCondition<SiteStatus>(undefined, ready('True'), T0), { ...ready('True'), type: 'X' }, T0);
    const removed = removeCondition(s, 'Ready');
    expect(removed.conditions?.map((c) => c.type)).toEqual(['X']);
    expect(removeCondition(removed, 'Ready')).toBe(removed);
    expect(removeCondition(undefined, 'Ready')).toBeUndefined();
    expect(getCondition(s, 'Ready')).toBeDefined();
  });

  it('exposes the library condition types', () => {
    expect(ConditionTypes).toEqual({ Ready: 'Ready', Progressing: 'Progressing', Degraded: 'Degraded' });
  });
});

describe('observedGeneration and whole-status updates', () => {
  it('stampObservedGeneration sets the generation and is a no-op when already set', () => {
    const s = stampObservedGeneration<SiteStatus>({ url: 'a' }, 3);
    expect(s).toEqual({ url: 'a', observedGeneration: 3 });
    expect(stampObservedGeneration(s, 3)).toBe(s);
    expect(stampObservedGeneration(s, 4).observedGeneration).toBe(4);
    expect(stampObservedGeneration<SiteStatus>(undefined, 1)).toEqual({ observedGeneration: 1 });
    expect(() => stampObservedGeneration(s, -1)).toThrow(InvalidArgumentError);
    expect(() => stampObservedGeneration(s, 1.5)).toThrow(/generation must be an integer ≥ 0/);
  });

  it('produceStatus returns the same reference when the recipe changes nothing', () => {
    const s: SiteStatus = { phase: 'Ready', url: 'a' };
    expect(
      produceStatus(s, (d) => {
        d.phase = 'Ready';
      }),
    ).toBe(s);
    const next = produceStatus(s, (d) => {
      d.url = 'b';
    });
    expect(next).toEqual({ phase: 'Ready', url: 'b' });
    expect(s.url).toBe('a');
    expect(
      produceStatus<SiteStatus>(undefined, (d) => {
        d.phase = 'New';
      }),
    ).toEqual({ phase: 'New' });
  });

  it('statusEquals compares deeply', () => {
    const a = setCondition<SiteStatus>({ url: 'a' }, ready('True'), T0);
    const b = setCondition<SiteStatus>({ url: 'a' }, ready('True'), T0);
    expect(a).not.toBe(b);
    expect(statusEquals(a, b)).toBe(true);
    expect(statusEquals(a, setCondition(b, ready('False'), T1))).toBe(false);
    expect(statusEquals(undefined, undefined)).toBe(true);
  });
});

describe('condition properties', () => {
  type Update = Omit<Condition, 'lastTransitionTime'>;
  const updateArb: fc.Arbitrary<Update> = fc.record({
    type: fc.constantFrom('Ready', 'Progressing', 'Degraded', 'Custom'),
    status: fc.constantFrom<ConditionStatus>('True', 'False', 'Unknown'),
    reason: fc.constantFrom('A', 'B'),
    message: fc.constantFrom('', 'm'),
    observedGeneration: fc.integer({ min: 1, max: 3 }),
  });

  it('lastTransitionTime changes only when the status changes, and no-op updates keep the reference', () => {
    fc.assert(
      fc.property(fc.array(updateArb, { maxLength: 60 }), (updates) => {
        // Reference model: an ordered list of conditions, updated naively.
        const model: Condition[] = [];
        let status: SiteStatus | undefined;
        updates.forEach((u, i) => {
          const now = new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString();
          const index = model.findIndex((c) => c.type === u.type);
          const old = model[index];
          const unchanged =
            old !== undefined &&
            old.status === u.status &&
            old.reason === u.reason &&
            old.message === u.message &&
            old.observedGeneration === u.observedGeneration;
          const next: Condition = {
            ...u,
            lastTransitionTime: old !== undefined && old.status === u.status ? old.lastTransitionTime : now,
          };
          if (index < 0) model.push(next);
          else model[index] = next;

          const before = status;
          status = setCondition(status, u, now);
          if (unchanged) expect(status).toBe(before);
          else expect(status).not.toBe(before);
          expect(status.conditions).toEqual(model);
        });
      }),
    );
  });

  it('setting a condition twice is the same as setting it once (idempotent)', () => {
    fc.assert(
      fc.property(fc.array(updateArb, { maxLength: 10 }), updateArb, (prefix, u) => {
        let status: SiteStatus | undefined;
        prefix.forEach((p) => {
          status = setCondition(status, p, T0);
        });
        const once = setCondition(status, u, T1);
        expect(setCondition(once, u, T2)).toBe(once);
      }),
    );
  });
});
