/**
 * Helpers of the failure-model tests: virtual time stepped with promise settling, a store that
 * counts writes, a logger that records lines, and a queue harness on virtual time — all on the
 * library's one virtual clock, `SimulationScheduler` from rx-reconcile/testing.
 *
 * No wall-clock timing decides anything: `setImmediate` only drains pending promise callbacks
 * between virtual instants.
 */
import { Subject, lastValueFrom, timer } from 'rxjs';
import { createQueueControl, workQueue } from 'rx-reconcile/operators';
import { SimulationScheduler } from 'rx-reconcile/testing';

/** Lets pending promise callbacks run (a macrotask); decides no timing. */
const drainMicrotasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
import type { Logger, PassResult, Store } from 'rx-reconcile';
import type { LogFields } from '../../src/ports.js';
import type { QueueControl, Work, WorkQueueOptions } from 'rx-reconcile/operators';
import type { ReconcileRequest } from '../../src/types.js';

/**
 * The library's virtual clock ({@link SimulationScheduler}) with the shorthands these tests use:
 * `advance` fires every timer due, one at a time, letting promises settle after each.
 */
export class Clock {
  readonly scheduler = new SimulationScheduler();

  now(): number {
    return this.scheduler.now();
  }

  /** Runs everything due up to `now + ms`, then sets the clock there and lets promises settle. */
  async advance(ms = 0): Promise<void> {
    await this.scheduler.runUntil(this.scheduler.now() + ms);
    await drainMicrotasks();
  }

  /** Resolves after `ms` of virtual time (inside a pass). */
  sleep(ms: number): Promise<number> {
    return lastValueFrom(timer(ms, this.scheduler));
  }
}

/** One recorded log line. */
export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: LogFields;
}

/** A logger that keeps every line (with the bindings of its children merged into the fields). */
export function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const make = (bindings: LogFields): Logger => ({
    debug: (fields, message) => void lines.push({ level: 'debug', message, fields: { ...bindings, ...fields } }),
    info: (fields, message) => void lines.push({ level: 'info', message, fields: { ...bindings, ...fields } }),
    warn: (fields, message) => void lines.push({ level: 'warn', message, fields: { ...bindings, ...fields } }),
    error: (fields, message) => void lines.push({ level: 'error', message, fields: { ...bindings, ...fields } }),
    child: (more) => make({ ...bindings, ...more }),
  });
  return { logger: make({}), lines };
}

/** A view of a store that records every write (`create`, `update`, `updateStatus`, `delete`). */
export function countingStore(store: Store): { store: Store; writes: string[] } {
  const writes: string[] = [];
  return {
    writes,
    store: {
      get: (kind, key) => store.get(kind, key),
      list: (kind, options) => store.list(kind, options),
      watch: (kind, options) => store.watch(kind, options),
      create: (kind, resource) => {
        writes.push(`create ${resource.metadata.name}`);
        return store.create(kind, resource);
      },
      update: (resource) => {
        writes.push(`update ${resource.metadata.name}`);
        return store.update(resource);
      },
      updateStatus: (resource) => {
        writes.push(`updateStatus ${resource.metadata.name}`);
        return store.updateStatus(resource);
      },
      delete: (kind, key) => {
        writes.push(`delete ${key}`);
        return store.delete(kind, key);
      },
    },
  };
}

/** A `workQueue` on a virtual scheduler, fed by a Subject, with its results and control. */
export interface QueueHarness {
  readonly scheduler: SimulationScheduler;
  readonly control: QueueControl;
  readonly results: PassResult[];
  add(item: string | ReconcileRequest): void;
  /** Runs virtual time up to `t` (synchronous work only). */
  runTo(t: number): void;
  stop(): void;
}

/** Builds a {@link QueueHarness}; `work` should be synchronous or use Observables on `scheduler`. */
export function queueHarness(work: (scheduler: SimulationScheduler) => Work, options: Omit<WorkQueueOptions, 'scheduler' | 'control'> = {}): QueueHarness {
  const scheduler = new SimulationScheduler();
  const control = createQueueControl({ scheduler });
  const source = new Subject<string | ReconcileRequest>();
  const results: PassResult[] = [];
  const subscription = source.pipe(workQueue(work(scheduler), { ...options, scheduler, control })).subscribe((r) => results.push(r));
  return {
    scheduler,
    control,
    results,
    add: (item) => source.next(item),
    runTo: (t) => {
      while (scheduler.nextAt !== undefined && scheduler.nextAt <= t) scheduler.runNext();
      scheduler.advanceTo(t);
    },
    stop: () => subscription.unsubscribe(),
  };
}
