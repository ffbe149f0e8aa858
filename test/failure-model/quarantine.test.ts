/**
 * G12: after `steps` retries a key is quarantined, visible in `loop.snapshot()` and `loop.state$`;
 * `loop.release(key)` and a new desired change release it; `loop.trigger(key)` forces a pass even in
 * backoff. A loop over the memory store, in virtual time.
 */
import { describe, expect, it } from 'vitest';
import { Backoff, TransientError, createMemoryStore, defineLoop, getCondition } from 'rx-reconcile';
import type { ReconcileStatus } from 'rx-reconcile';
import type { QueueSnapshot } from 'rx-reconcile/operators';
import { Clock, recordingLogger } from './helpers.js';

async function brokenLoop(delay = 1000, steps = 2) {
  const clock = new Clock();
  const store = createMemoryStore({ scheduler: clock.scheduler });
  await store.create('Disk', { metadata: { name: 'd1' }, spec: { size: 1 } });
  await store.create('Disk', { metadata: { name: 'd2' }, spec: { size: 2 } });
  const state = { broken: true };
  const starts: string[] = [];
  const { logger, lines } = recordingLogger();
  const loop = defineLoop<{ size: number }, ReconcileStatus>({
    name: 'disks',
    store,
    kind: 'Disk',
    scheduler: clock.scheduler,
    logger,
    backoff: Backoff.constant({ delay, steps }),
    reconcile: (request) => {
      starts.push(`${clock.now()}:${request.key}`);
      if (request.key === 'd1' && state.broken) throw new TransientError('disk full');
    },
  });
  const snapshots: QueueSnapshot[] = [];
  loop.state$.subscribe((s) => snapshots.push(s));
  const condition = async (type: string) => getCondition((await store.get<unknown, ReconcileStatus>('Disk', 'd1'))?.status, type);
  return { clock, store, state, starts, loop, snapshots, lines, condition };
}

describe('quarantine and release (G12)', () => {
  it('quarantines after `steps` retries: visible in snapshot(), state$, status and the log; no more passes', async () => {
    const t = await brokenLoop();
    await t.clock.advance(2000);
    expect(t.starts.filter((s) => s.endsWith('d1'))).toEqual(['0:d1', '1000:d1', '2000:d1']);
    const parked = t.loop.snapshot().parked;
    expect(parked).toEqual([
      { key: 'd1', reason: 'quarantined', failures: 3, lastError: 'disk full', failureClass: 'transient', since: 2000, overdue: false },
    ]);
    expect(t.snapshots.at(-1)?.parked.map((p) => p.key)).toEqual(['d1']);
    expect(t.loop.snapshot().counters.quarantined).toBe(1);
    const degraded = await t.condition('Degraded');
    expect(degraded).toMatchObject({ status: 'True', reason: 'Quarantined' });
    expect(degraded?.message).toContain('failed 3 times in a row (transient), last: disk full');
    expect(degraded?.message).toContain('loop.release(key)');
    expect(t.lines.filter((l) => l.level === 'error').map((l) => l.message)).toContain('Key quarantined');
    await t.clock.advance(600_000);
    expect(t.starts.filter((s) => s.endsWith('d1'))).toHaveLength(3);
    expect(t.starts).toContain('0:d2'); // the other key went on
    await t.loop.stop();
  });

  it('loop.release(key) runs a quarantined key once, with a fresh failure count', async () => {
    const t = await brokenLoop();
    await t.clock.advance(5000);
    t.state.broken = false;
    expect(t.loop.release('d2')).toBe(false); // not parked
    expect(t.loop.release('d1')).toBe(true);
    await t.clock.advance(0);
    expect(t.starts.at(-1)).toBe('5000:d1');
    expect(t.loop.snapshot().parked).toEqual([]);
    expect(t.loop.snapshot().counters.released).toBe(1);
    expect(await t.condition('Ready')).toMatchObject({ status: 'True', reason: 'Converged' });
    expect(await t.condition('Degraded')).toMatchObject({ status: 'False' });
    expect(t.lines.some((l) => l.message === 'Key released' && l.fields['by'] === 'release')).toBe(true);
    await t.loop.stop();
  });

  it('a release that fails again gets the whole backoff again before the next quarantine', async () => {
    const t = await brokenLoop();
    await t.clock.advance(5000);
    t.loop.release('d1');
    await t.clock.advance(10_000);
    expect(t.starts.filter((s) => s.endsWith('d1'))).toEqual(['0:d1', '1000:d1', '2000:d1', '5000:d1', '6000:d1', '7000:d1']);
    await t.loop.stop();
  });

  it('a new desired change releases a quarantined key', async () => {
    const t = await brokenLoop();
    await t.clock.advance(5000);
    t.state.broken = false;
    const d1 = await t.store.get<{ size: number }, ReconcileStatus>('Disk', 'd1');
    if (d1) await t.store.update({ ...d1, spec: { size: 10 } });
    await t.clock.advance(0);
    expect(t.starts.at(-1)).toBe('5000:d1');
    expect(t.loop.snapshot().parked).toEqual([]);
    expect(await t.condition('Ready')).toMatchObject({ status: 'True', observedGeneration: 2 });
    await t.loop.stop();
  });

  it('its own status writes and resyncs do not release it', async () => {
    const t = await brokenLoop();
    await t.clock.advance(3000);
    const d1 = await t.store.get<{ size: number }, ReconcileStatus>('Disk', 'd1');
    if (d1) await t.store.updateStatus({ ...d1, status: { ...d1.status, phase: 'Looked at' } }); // someone else's status write
    await t.clock.advance(60_000);
    expect(t.starts.filter((s) => s.endsWith('d1'))).toHaveLength(3);
    await t.loop.stop();
  });

  it('loop.trigger(key) forces a pass even in backoff, and releases a quarantined key', async () => {
    const t = await brokenLoop(60_000, 5);
    await t.clock.advance(100);
    expect(t.loop.snapshot().delayed).toMatchObject([{ key: 'd1', why: 'backoff', nextAttemptAt: 60_000, failures: 1 }]);
    expect(t.loop.trigger('d1')).toBe(true);
    await t.clock.advance(0);
    expect(t.starts.filter((s) => s.endsWith('d1'))).toEqual(['0:d1', '100:d1']);
    await t.loop.stop();
  });
});
