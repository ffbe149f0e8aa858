/**
 * Virtual time for the observability tests: an RxJS `VirtualTimeScheduler` advanced step by step,
 * letting the memory store's promise chains settle between steps. No wall-clock waits decide timing:
 * `setImmediate` only drains pending promise callbacks.
 */
import { VirtualTimeScheduler, lastValueFrom, timer } from 'rxjs';

export interface Clock {
  readonly scheduler: VirtualTimeScheduler;
  /** Runs everything due up to `now + ms` (settling promises in between), then sets the clock there. */
  advance(ms: number): Promise<void>;
  /** Runs everything due now. */
  settle(): Promise<void>;
  /** Resolves after `ms` of virtual time (for use inside a pass). */
  sleep(ms: number): Promise<number>;
}

const drain = () => new Promise<void>((resolve) => setImmediate(resolve));

export function virtualClock(): Clock {
  const scheduler = new VirtualTimeScheduler();
  const advance = async (ms: number): Promise<void> => {
    const target = scheduler.now() + ms;
    for (let step = 0; step < 100_000; step++) {
      await drain();
      const next = scheduler.actions[0];
      if (next === undefined || next.delay > target) break;
      // One instant at a time, so promise callbacks run before the clock moves on.
      scheduler.maxFrames = next.delay;
      scheduler.flush();
    }
    scheduler.frame = target;
    await drain();
  };
  return {
    scheduler,
    advance,
    settle: () => advance(0),
    sleep: (ms) => lastValueFrom(timer(ms, scheduler)),
  };
}
