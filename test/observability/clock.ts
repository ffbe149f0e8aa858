/**
 * Virtual time for the observability tests: the library's `SimulationScheduler` advanced step by
 * step, letting the memory store's promise chains settle between timers. No wall-clock waits decide
 * timing: a `setImmediate` only lets pending promise callbacks run.
 */
import { lastValueFrom, timer } from 'rxjs';
import { SimulationScheduler } from 'rx-reconcile/testing';

/** Lets pending promise callbacks run (a macrotask); decides no timing. */
const drainMicrotasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface Clock {
  readonly scheduler: SimulationScheduler;
  /** Runs everything due up to `now + ms` (settling promises in between), then sets the clock there. */
  advance(ms: number): Promise<void>;
  /** Runs everything due now. */
  settle(): Promise<void>;
  /** Resolves after `ms` of virtual time (for use inside a pass). */
  sleep(ms: number): Promise<number>;
}

export function virtualClock(): Clock {
  const scheduler = new SimulationScheduler();
  const advance = async (ms: number): Promise<void> => {
    await scheduler.runUntil(scheduler.now() + ms);
    await drainMicrotasks();
  };
  return {
    scheduler,
    advance,
    settle: () => advance(0),
    sleep: (ms) => lastValueFrom(timer(ms, scheduler)),
  };
}
