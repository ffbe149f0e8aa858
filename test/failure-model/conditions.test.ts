/**
 * G9: after each pass a loop writes Ready / Progressing / Degraded with observedGeneration; a write
 * that changes nothing is skipped, so a converged loop makes zero writes on resync.
 */
import { describe, expect, it } from 'vitest';
import { ConflictError, Outcome, TransientError, createMemoryStore, defineLoop, getCondition, setCondition } from 'rx-reconcile';
import { ConditionReasons, passConditions, recordPass } from '../../src/status.js';
import type { Condition, PassResult, ReconcileStatus, Resource, Store } from 'rx-reconcile';
import { Clock, countingStore, recordingLogger } from './helpers.js';

type Status = ReconcileStatus & { note?: string };

const brief = (status: ReconcileStatus | undefined) =>
  Object.fromEntries((status?.conditions ?? []).map((c: Condition) => [c.type, `${c.status}/${c.reason}@${c.observedGeneration}`]));

async function setup(reconcile: (n: number) => Outcome | undefined, extra: { resync?: number; conditions?: boolean } = {}) {
  const clock = new Clock();
  const memory = createMemoryStore({ scheduler: clock.scheduler });
  await memory.create('Item', { metadata: { name: 'a' }, spec: { n: 1 } });
  const { store, writes } = countingStore(memory);
  let n = 0;
  const results: PassResult[] = [];
  const loop = defineLoop<{ n: number }, Status>({
    name: 'items',
    store,
    kind: 'Item',
    scheduler: clock.scheduler,
    ...extra,
    reconcile: () => reconcile(++n),
  });
  loop.results$.subscribe((r) => results.push(r));
  const get = () => memory.get<{ n: number }, Status>('Item', 'a') as Promise<Resource<{ n: number }, Status>>;
  return { clock, memory, writes, results, loop, get, passes: () => n };
}

describe('status conditions written by the loop (G9)', () => {
  it('writes Ready, Progressing and Degraded with observedGeneration after a converged pass', async () => {
    const t = await setup(() => Outcome.converged());
    await t.clock.advance(0);
    const a = await t.get();
    expect(a.status?.observedGeneration).toBe(1);
    expect(brief(a.status)).toEqual({ Ready: 'True/Converged@1', Progressing: 'False/Converged@1', Degraded: 'False/AsExpected@1' });
    expect(getCondition(a.status, 'Ready')?.lastTransitionTime).toBe(new Date(0).toISOString());
    expect(t.writes).toEqual(['updateStatus a']);
    expect(t.results).toHaveLength(1); // its own status write did not come back as a trigger
    await t.loop.stop();
  });

  it('a converged loop makes ZERO writes over several resync periods', async () => {
    const t = await setup(() => Outcome.converged(), { resync: 1000 });
    await t.clock.advance(0);
    expect(t.writes).toEqual(['updateStatus a']);
    const before = await t.get();
    t.writes.length = 0;
    await t.clock.advance(10_000);
    expect(t.passes()).toBe(11); // the first pass and ten resyncs
    expect(t.results.filter((r) => r.request.reason === 'resync')).toHaveLength(10);
    expect(t.writes).toEqual([]);
    expect((await t.get()).metadata.version).toBe(before.metadata.version);
    await t.loop.stop();
  });

  it('moves lastTransitionTime only when a condition flips; a new generation only restamps observedGeneration', async () => {
    const script = [Outcome.converged(), Outcome.converged(), Outcome.retry(new TransientError('down')), Outcome.converged()];
    const t = await setup((n) => script[n - 1]);
    await t.clock.advance(0);
    const ready0 = getCondition((await t.get()).status, 'Ready');

    await t.clock.advance(1000);
    await t.memory.update({ ...(await t.get()), spec: { n: 2 } }); // generation 2, still converges
    await t.clock.advance(0);
    const gen2 = await t.get();
    expect(brief(gen2.status)).toEqual({ Ready: 'True/Converged@2', Progressing: 'False/Converged@2', Degraded: 'False/AsExpected@2' });
    expect(getCondition(gen2.status, 'Ready')?.lastTransitionTime).toBe(ready0?.lastTransitionTime);
    expect(gen2.status?.observedGeneration).toBe(2);

    await t.clock.advance(1000);
    await t.memory.update({ ...gen2, spec: { n: 3 } }); // fails once (transient), retried after 1 s
    await t.clock.advance(0);
    const failing = await t.get();
    expect(brief(failing.status)).toEqual({ Ready: 'False/Retrying@3', Progressing: 'True/Retrying@3', Degraded: 'False/AsExpected@3' });
    expect(getCondition(failing.status, 'Ready')?.lastTransitionTime).toBe(new Date(2000).toISOString());
    expect(getCondition(failing.status, 'Ready')?.message).toBe('attempt 1 failed (transient): down; retrying with backoff');
    expect(getCondition(failing.status, 'Degraded')?.lastTransitionTime).toBe(new Date(0).toISOString());

    await t.clock.advance(1000);
    const healed = await t.get();
    expect(brief(healed.status)).toEqual({ Ready: 'True/Converged@3', Progressing: 'False/Converged@3', Degraded: 'False/AsExpected@3' });
    expect(getCondition(healed.status, 'Ready')?.lastTransitionTime).toBe(new Date(3000).toISOString());
    await t.loop.stop();
  });

  it('keeps user fields and user conditions, and can be turned off', async () => {
    const clock = new Clock();
    const memory = createMemoryStore({ scheduler: clock.scheduler });
    const user = setCondition<Status>({ note: 'mine' }, { type: 'DatabaseReachable', status: 'True', reason: 'Ping', message: '', observedGeneration: 1 }, 'x');
    await memory.create('Item', { metadata: { name: 'a' }, spec: {}, status: user });
    await memory.create('Other', { metadata: { name: 'a' }, spec: {} });
    const on = defineLoop({ name: 'on', store: memory, kind: 'Item', scheduler: clock.scheduler, reconcile: () => undefined });
    const off = defineLoop({ name: 'off', store: memory, kind: 'Other', scheduler: clock.scheduler, conditions: false, reconcile: () => undefined });
    await clock.advance(0);
    const item = await memory.get<unknown, Status>('Item', 'a');
    expect(item?.status?.note).toBe('mine');
    expect(item?.status?.conditions?.map((c) => c.type)).toEqual(['DatabaseReachable', 'Ready', 'Progressing', 'Degraded']);
    expect((await memory.get('Other', 'a'))?.status).toBeUndefined();
    await on.stop();
    await off.stop();
  });

  it('a conflict on the condition write turns the pass into a conflict retry, and the next pass writes', async () => {
    const clock = new Clock();
    const memory = createMemoryStore({ scheduler: clock.scheduler });
    await memory.create('Item', { metadata: { name: 'a' }, spec: {} });
    let conflicts = 1;
    const store: Store = {
      ...memory,
      updateStatus: (resource) => {
        if (conflicts-- > 0) return Promise.reject(new ConflictError('Item', 'a', resource.metadata.version, 'newer'));
        return memory.updateStatus(resource);
      },
    };
    const loop = defineLoop({ name: 'items', store, kind: 'Item', scheduler: clock.scheduler, reconcile: () => undefined });
    const results: PassResult[] = [];
    loop.results$.subscribe((r) => results.push(r));
    await clock.advance(0);
    expect(results.map((r) => `${r.outcome.type}:${r.failureClass}`)).toEqual(['retry:conflict', 'converged:undefined']);
    expect(brief((await memory.get<unknown, ReconcileStatus>('Item', 'a'))?.status)['Ready']).toBe('True/Converged@1');
    await loop.stop();
  });

  it("after a failed pass, a failed condition write is logged and the pass's own outcome stands", async () => {
    const clock = new Clock();
    const memory = createMemoryStore({ scheduler: clock.scheduler });
    await memory.create('Item', { metadata: { name: 'a' }, spec: {} });
    const store: Store = { ...memory, updateStatus: () => Promise.reject(new Error('status subresource unavailable')) };
    const { logger, lines } = recordingLogger();
    const loop = defineLoop({
      name: 'items',
      store,
      kind: 'Item',
      scheduler: clock.scheduler,
      logger,
      reconcile: () => Outcome.retry(new TransientError('down')),
    });
    const results: PassResult[] = [];
    loop.results$.subscribe((r) => results.push(r));
    await clock.advance(0);
    expect(results.map((r) => r.outcome.type === 'retry' && r.outcome.error.message)).toEqual(['down']);
    expect(lines.find((l) => l.message === 'Status conditions not written')).toMatchObject({
      level: 'warn',
      fields: { loop: 'items', key: 'a', error: 'status subresource unavailable' },
    });
    const stopping = loop.stop({ deadline: 0 });
    await clock.advance(0);
    await stopping;
  });

  it('recordPass returns the same reference when nothing changed (the whole write test)', () => {
    const report = { generation: 4, verdict: { outcome: Outcome.converged(), failureClass: undefined, failures: 0, parked: undefined } };
    const s1 = recordPass<ReconcileStatus>(undefined, report, 'T1');
    expect(recordPass(s1, report, 'T2')).toBe(s1);
    expect(passConditions(report).map((c) => c.reason)).toEqual([ConditionReasons.Converged, ConditionReasons.Converged, ConditionReasons.AsExpected]);
  });

  it('a converged pass rewrites any of its three conditions someone else changed (the allocation-free check agrees with passConditions)', () => {
    const converged = { generation: 4, verdict: { outcome: Outcome.converged(), failureClass: undefined, failures: 0, parked: undefined } };
    const requeued = { ...converged, verdict: { ...converged.verdict, outcome: Outcome.requeueAfter(1000) } };
    const s1 = recordPass<ReconcileStatus>(undefined, converged, 'T1');
    expect(recordPass(s1, requeued, 'T2')).toBe(s1);
    const conditions = s1.conditions ?? [];
    expect(conditions).toHaveLength(3);
    const edits: ((c: Condition) => Condition)[] = [
      (c) => ({ ...c, status: c.status === 'True' ? 'False' : 'True' }),
      (c) => ({ ...c, reason: 'SomethingElse' }),
      (c) => ({ ...c, message: `${c.message}!` }),
      (c) => ({ ...c, observedGeneration: 3 }),
    ];
    for (let i = 0; i < conditions.length; i++) {
      for (const edit of edits) {
        const changed: ReconcileStatus = { ...s1, conditions: conditions.map((c, j) => (j === i ? edit(c) : c)) };
        const next = recordPass(changed, converged, 'T3');
        expect(next).not.toBe(changed);
        expect(next.conditions?.map(({ lastTransitionTime: _, ...rest }) => rest)).toEqual(passConditions(converged));
      }
      const without: ReconcileStatus = { ...s1, conditions: conditions.filter((_, j) => j !== i) };
      expect(recordPass(without, converged, 'T3')).not.toBe(without);
    }
    expect(recordPass({ ...s1, observedGeneration: 3 }, converged, 'T3').observedGeneration).toBe(4);
  });
});
