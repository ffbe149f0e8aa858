/**
 * Quarantine is always visible on status (G12), whatever the failure class — including a key whose
 * every pass timed out, so that no pass could write its own conditions. And the queue's tables shrink
 * after a burst: one long-lived key does not keep a past burst's memory.
 */
import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { Backoff, createMemoryStore, defineLoop, getCondition } from 'rx-reconcile';
import type { ReconcileStatus } from 'rx-reconcile';
import { workQueue } from 'rx-reconcile/operators';
import { SimulationScheduler } from 'rx-reconcile/testing';
import { SlotTable } from '../../src/slot-table.js';

describe('quarantine on status', () => {
  it('a key quarantined because every pass timed out shows Degraded=True, reason Quarantined, with the timeout as its error', async () => {
    const scheduler = new SimulationScheduler();
    const store = createMemoryStore({ scheduler });
    await store.create('T', { metadata: { name: 'stuck' }, spec: {} });
    const loop = defineLoop({
      name: 'slow', store, kind: 'T', scheduler, timeout: 50,
      backoff: Backoff.constant({ delay: 100, steps: 2 }),
      reconcile: () => new Promise<void>(() => undefined), // hangs, ignores its signal
    });
    await scheduler.runUntil(1000);
    expect(loop.snapshot().parked).toMatchObject([{ key: 'stuck', reason: 'quarantined' }]);
    const status = (await store.get<unknown, ReconcileStatus>('T', 'stuck'))?.status;
    expect(getCondition(status, 'Degraded')).toMatchObject({ status: 'True', reason: 'Quarantined' });
    expect(getCondition(status, 'Degraded')?.message).toMatch(/exceeded its 50 ms timeout/);
    expect(getCondition(status, 'Ready')).toMatchObject({ status: 'False', reason: 'Quarantined' });
    await loop.stop({ deadline: 0 });
  });

  it('a key quarantined by transient errors shows the same condition (written by its last pass)', async () => {
    const scheduler = new SimulationScheduler();
    const store = createMemoryStore({ scheduler });
    await store.create('T', { metadata: { name: 'k' }, spec: {} });
    const loop = defineLoop({ name: 't', store, kind: 'T', scheduler, backoff: Backoff.constant({ delay: 100, steps: 2 }), reconcile: () => { throw new Error('smtp down'); } });
    await scheduler.runUntil(1000);
    const status = (await store.get<unknown, ReconcileStatus>('T', 'k'))?.status;
    expect(getCondition(status, 'Degraded')).toMatchObject({ status: 'True', reason: 'Quarantined' });
    await loop.stop();
  });
});

describe('the queue’s tables shrink after a burst', () => {
  it('SlotTable: after 100k keys come and go around one long-lived key, the table is small again', () => {
    const table = new SlotTable();
    const keep = table.add('long-lived', 'watch', undefined);
    const burst = [];
    for (let i = 0; i < 100_000; i++) burst.push(table.add(`k${i}`, 'watch', undefined));
    expect(table.records.length).toBe(100_001);
    for (const st of burst) table.remove(st);
    expect(table.size).toBe(1);
    expect(table.records.length).toBeLessThanOrEqual(64);
    expect(table.hot.length).toBeLessThanOrEqual(64);
    expect(table.get('long-lived')).toBe(keep);
    expect(table.records[keep.slot]).toBe(keep);
    expect(table.slots.size).toBeLessThanOrEqual(64); // the burst's tombstones went with the compactions
  });

  it('a queue with a key in backoff through a 50k-key burst keeps working and keeps the key', async () => {
    const scheduler = new SimulationScheduler();
    const source = new Subject<string>();
    const failing = new Set(['sticky']);
    const results: string[] = [];
    source
      .pipe(workQueue((request) => (failing.has(request.key) ? Promise.reject(new Error('down')) : undefined), { scheduler, backoff: Backoff.constant({ delay: 1000, steps: 100 }) }))
      .subscribe((r) => results.push(`${r.key}:${r.outcome.type}`));
    source.next('sticky');
    for (let i = 0; i < 50_000; i++) source.next(`b${i}`);
    await scheduler.runUntil(10);
    failing.clear();
    await scheduler.runUntil(2000);
    expect(results.filter((r) => r.startsWith('b')).length).toBe(50_000);
    expect(results.at(-1)).toBe('sticky:converged');
  });
});
