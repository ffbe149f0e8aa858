/**
 * Helpers of the failure-model tests: virtual time stepped with promise settling, a store that
 * counts writes, a logger that records lines, and a queue harness on virtual time.
 *
 * No wall-clock timing decides anything: `setImmediate` only drains pending promise callbacks
 * between virtual instants.
 */
import { Subject, VirtualAction, VirtualTimeScheduler, lastValueFrom, timer } from 'rxjs';
import { createQueueControl, workQueue } from 'rx-reconcile/operators';
import type { Logger, PassResult, Store } from 'rx-reconcile';
import type { LogFields } from '../../src/ports.js';
import type { QueueControl, Work, WorkQueueOptions } from 'rx-reconcile/operators';
import type { ReconcileRequest } from '../../src/types.js';

const drain = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A virtual clock: `advance` runs everything due, one instant at a time, settling promises in between. */
export class Clock {
  readonly scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);

  now(): number {
    return this.scheduler.now();
  }

  /** Runs everything due up to `now + ms`, then sets the clock there. */
  async advance(ms = 0): Promise<void> {
    const target = this.scheduler.now() + ms;
    for (let step = 0; step < 100_000; step++) {
      await drain();
      const next = this.scheduler.actions[0];
      if (next === undefined || next.delay > target) break;
      this.scheduler.maxFrames = next.delay;
      this.scheduler.flush();
    }
    this.scheduler.frame = Math.max(this.scheduler.frame, target);
    await drain();
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
  readonly scheduler: VirtualTimeScheduler;
  readonly control: QueueControl;
  readonly results: PassResult[];
  add(item: string | ReconcileRequest): void;
  /** Runs virtual time up to `t` (synchronous work only). */
  runTo(t: number): void;
  stop(): void;
}

/** Builds a {@link QueueHarness}; `work` should be synchronous or use Observables on `scheduler`. */
export function queueHarness(work: (scheduler: VirtualTimeScheduler) => Work, options: Omit<WorkQueueOptions, 'scheduler' | 'control'> = {}): QueueHarness {
  const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
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
      scheduler.maxFrames = t;
      scheduler.flush();
      scheduler.frame = Math.max(scheduler.frame, t);
    },
    stop: () => subscription.unsubscribe(),
  };
}
