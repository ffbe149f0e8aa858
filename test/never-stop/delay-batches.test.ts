/**
 * G15 for delayed keys: keys due at the same moment are woken in batches, one scheduler action each,
 * so other work runs between the batches (200k keys due together held the event loop ~80 ms in one
 * macrotask).
 */
import { describe, expect, it } from 'vitest';
import { DelayTimer, WAKE_BATCH } from '../../src/delay-timer.js';
import { KeyState } from '../../src/key-state.js';
import { SimulationScheduler } from 'rx-reconcile/testing';

describe('the delay timer', () => {
  it(`wakes ${5 * WAKE_BATCH + 7} keys due at once in batches of at most ${WAKE_BATCH}, letting another action run between them`, () => {
    const scheduler = new SimulationScheduler();
    const events: string[] = [];
    let woken = 0;
    let batch = 0;
    const batches: number[] = [];
    const timer = new DelayTimer(
      scheduler,
      () => scheduler.now(),
      () => {
        woken++;
        batch++;
      },
      () => {
        batches.push(batch);
        batch = 0;
        events.push('batch');
      },
    );
    const total = 5 * WAKE_BATCH + 7;
    for (let i = 0; i < total; i++) timer.schedule(new KeyState(`k${i}`, i, 'requeue', undefined), 100);
    // Another action due at the same moment, scheduled after the first batch's timer was armed.
    scheduler.schedule(() => events.push('other'), 100);
    scheduler.flush();
    expect(woken).toBe(total);
    expect(batches).toEqual([WAKE_BATCH, WAKE_BATCH, WAKE_BATCH, WAKE_BATCH, WAKE_BATCH, 7]);
    expect(events.indexOf('other')).toBeGreaterThan(0);
    expect(events.indexOf('other')).toBeLessThan(events.length - 1);
    expect(timer.size).toBe(0);
  });

  it('keys due later than a batch wait for their own time (a batch never wakes a key early)', () => {
    const scheduler = new SimulationScheduler();
    const wokenAt = new Map<string, number>();
    const timer = new DelayTimer(scheduler, () => scheduler.now(), (st) => wokenAt.set(st.key, scheduler.now()), () => undefined);
    for (let i = 0; i < WAKE_BATCH + 10; i++) timer.schedule(new KeyState(`a${i}`, i, 'requeue', undefined), 50);
    timer.schedule(new KeyState('late', 99_999, 'requeue', undefined), 80);
    scheduler.flush();
    expect(wokenAt.get('late')).toBe(80);
    expect([...wokenAt.values()].filter((t) => t === 50)).toHaveLength(WAKE_BATCH + 10);
  });
});
