/**
 * A status written around the library (another program, a hand edit, an older version) that is not
 * the shape the library writes: the loop still records its conditions, never spreads a string into
 * one field per character, and never fails every pass of the key on a `null` condition.
 */
import { describe, expect, it } from 'vitest';
import { Outcome, createMemoryStore, defineLoop, getCondition, setCondition } from 'rx-reconcile';
import { recordPass, removeCondition, stampObservedGeneration } from '../../src/status.js';
import type { PassResult, ReconcileStatus } from 'rx-reconcile';

const READY = { type: 'Ready', status: 'True' as const, reason: 'Converged', message: 'ok', observedGeneration: 1 };

const shapes: [string, unknown][] = [
  ['null', null],
  ['a string', 'hello'],
  ['a number', 5],
  ['a list', [1, 2]],
  ['conditions: [null]', { conditions: [null], kept: 1 }],
  ['conditions as a string', { conditions: 'x', kept: 1 }],
  ['a condition whose type is a number', { conditions: [{ type: 5 }, { ...READY, type: 'Mine' }], kept: 1 }],
];

describe('a status of a foreign shape', () => {
  for (const [what, status] of shapes) {
    it(`${what}: the loop converges and writes its conditions as a plain status (it failed every pass, or wrote one field per character)`, async () => {
      const store = createMemoryStore();
      await store.create('T', { metadata: { name: 'a' }, spec: {}, status } as never);
      const loop = defineLoop({ name: 'l', store, kind: 'T', reconcile: () => Outcome.converged() });
      const results: PassResult[] = [];
      loop.results$.subscribe((r) => results.push(r));
      await loop.whenIdle();
      await loop.stop();
      expect(results.map((r) => r.outcome.type)).toEqual(['converged']);
      const written = (await store.get('T', 'a'))?.status as Record<string, unknown> & ReconcileStatus;
      expect(getCondition(written, 'Ready')?.status).toBe('True');
      expect(written.observedGeneration).toBe(1);
      expect(Object.keys(written).filter((k) => /^\d+$/.test(k))).toEqual([]);
      expect((written.conditions ?? []).every((c) => typeof c === 'object' && c !== null && typeof c.type === 'string')).toBe(true);
      // What was a well-formed part of the status stays.
      if (typeof status === 'object' && status !== null && 'kept' in status) expect(written['kept']).toBe(1);
      if (what.startsWith('a condition whose')) expect(getCondition(written, 'Mine')?.reason).toBe('Converged');
    });

    it(`${what}: ctx.updateStatus gives the pass an object draft`, async () => {
      const store = createMemoryStore();
      await store.create('T', { metadata: { name: 'a' }, spec: {}, status } as never);
      const loop = defineLoop<unknown, { phase?: string }>({
        name: 'l',
        store,
        kind: 'T',
        conditions: false,
        async reconcile(_request, ctx) {
          const item = await ctx.get();
          if (item !== undefined) await ctx.updateStatus(item, (s) => void (s.phase = 'Ready'));
        },
      });
      const results: PassResult[] = [];
      loop.results$.subscribe((r) => results.push(r));
      await loop.whenIdle();
      await loop.stop();
      expect(results.map((r) => r.outcome.type)).toEqual(['converged']);
      expect((await store.get<unknown, { phase?: string }>('T', 'a'))?.status?.phase).toBe('Ready');
    });
  }

  it('the condition helpers read and mend such statuses instead of throwing', () => {
    for (const [, status] of shapes) {
      const s = status as ReconcileStatus;
      expect(() => getCondition(s, 'Ready')).not.toThrow();
      const set = setCondition(s, READY, 't');
      expect(getCondition(set, 'Ready')?.reason).toBe('Converged');
      const stamped = stampObservedGeneration(s, 3);
      expect(stamped.observedGeneration).toBe(3);
      expect(() => removeCondition(s, 'Ready')).not.toThrow();
      const recorded = recordPass(s, { generation: 1, verdict: { outcome: Outcome.converged(), immediate: false } as never, overdueSince: undefined }, 't');
      expect(getCondition(recorded, 'Ready')?.status).toBe('True');
    }
  });
});

describe('loop.trigger', () => {
  it('refuses what is not a key (an empty string, not a string) with false, and queues nothing', async () => {
    const store = createMemoryStore();
    const passes: string[] = [];
    const loop = defineLoop({ name: 'l', store, kind: 'T', reconcile: (request) => void passes.push(request.key) });
    await loop.whenIdle();
    expect(loop.trigger('')).toBe(false);
    expect(loop.trigger(5 as unknown as string)).toBe(false);
    expect(loop.trigger('real')).toBe(true);
    await loop.whenIdle();
    expect(passes).toEqual(['real']);
    await loop.stop();
  });
});
