/**
 * Fault injection with seeded randomness: a store whose watch drops, duplicates, reorders and delays
 * events, whose reads lag and whose writes fail; a world and an actuator that fail, conflict and lose
 * acknowledgements. Same seed, same faults: a failing run replays exactly.
 *
 * @module
 */
import { Observable, asyncScheduler } from 'rxjs';
import type { SchedulerLike, Subscription } from 'rxjs';
import { ConflictError, TransientError, keyOf } from '../src/index.js';
import type { ListOptions, NewResource, Resource, Store, WatchEvent, WatchOptions } from '../src/index.js';
import { seededRandom } from './random.js';
import type { Random } from './random.js';
import type { Items, World } from './world.js';

/**
 * The kinds of fault the kit injects.
 *
 * ## Example
 * ```ts
 * const lost = trace.faults.filter((f) => f.fault === 'lost-ack').length;
 * ```
 */
export type FaultKind = 'drop' | 'duplicate' | 'reorder' | 'delay' | 'stale-read' | 'error' | 'conflict' | 'lost-ack';

/**
 * One injected fault, as reported to `onFault` and kept in a simulation's trace.
 *
 * ## Example
 * ```ts
 * const fault: InjectedFault = { at: 1200, where: 'world', fault: 'lost-ack', target: 'update a.md' };
 * ```
 */
export interface InjectedFault {
  /** Virtual (scheduler) time of the fault. */
  readonly at: number;
  readonly where: 'watch' | 'store' | 'world' | 'actuator';
  readonly fault: FaultKind;
  /** What was hit, e.g. `modified Todo/a`, `updateStatus Todo/a`, `create a.md`. */
  readonly target: string;
}

/**
 * Faults of an actuator (the correcting side): each a probability in [0, 1] per call.
 *
 * ## Example
 * ```ts
 * const faults: ActuatorFaults = { error: 0.1, conflict: 0.05, lostAck: 0.1 };
 * ```
 */
export interface ActuatorFaults {
  /** The call fails with a `TransientError` before doing anything. */
  readonly error?: number;
  /** The call fails with a `ConflictError` before doing anything. */
  readonly conflict?: number;
  /** The call does its work, then fails with a `TransientError` (the acknowledgement was lost). */
  readonly lostAck?: number;
  /** The call waits a random 1…`maxDelay` ms of scheduler time before it runs. */
  readonly delay?: number;
  /** Longest injected delay in ms. Default 2000. */
  readonly maxDelay?: number;
}

/**
 * Faults of a world: those of an actuator for `apply`, plus lagging reads.
 *
 * ## Example
 * ```ts
 * const faults: WorldFaults = { staleRead: 0.2, lostAck: 0.1 };
 * ```
 */
export interface WorldFaults extends ActuatorFaults {
  /**
   * A read returns the state of the loop's last fresh read instead of the truth, when they differ:
   * a cache that lags (never goes back in time further than what the loop already saw).
   */
  readonly staleRead?: number;
}

/**
 * Faults of a store: watch events, reads and writes. Each a probability in [0, 1].
 *
 * Watch faults hit change events only: the list replayed at subscription (`initial` events) is
 * always delivered whole, as a relist would be.
 *
 * ## Example
 * ```ts
 * const faults: StoreFaults = { dropEvent: 0.1, staleRead: 0.1, writeConflict: 0.05 };
 * ```
 */
export interface StoreFaults {
  readonly dropEvent?: number;
  /** The event is delivered twice. */
  readonly duplicateEvent?: number;
  /** The event is held back and delivered after the next one (or after `maxEventDelay`). */
  readonly reorderEvent?: number;
  /** The event is delivered after a random 1…`maxEventDelay` ms. */
  readonly delayEvent?: number;
  /** Longest event delay in ms. Default 1000. */
  readonly maxEventDelay?: number;
  /**
   * `get`/`list` return the version of the loop's last fresh read instead of the stored one, when
   * they differ: a lagging cache, which also does not see the loop's own writes at once.
   */
  readonly staleRead?: number;
  /** A write fails with a `TransientError` before it is done. */
  readonly writeError?: number;
  /** A write fails with a `ConflictError` before it is done. */
  readonly writeConflict?: number;
  /** A write is done, then fails with a `TransientError` (the acknowledgement was lost). */
  readonly lostAck?: number;
}

/**
 * The faults of a simulation: for the store, for the world, and until when (virtual ms).
 *
 * ## Example
 * ```ts
 * const faults: Faults = { store: { dropEvent: 0.2 }, world: { lostAck: 0.1 }, until: 60_000 };
 * ```
 */
export interface Faults {
  readonly store?: StoreFaults;
  readonly world?: WorldFaults;
  /** Faults stop at this virtual time (ms); after it everything is honest. Default: never. */
  readonly until?: number;
  /**
   * In a run with steps: faults happen only within this many virtual ms after the start and after
   * each step (so they land where the loop is busy), and stop for good that long after the last
   * step — unless `until` is given. `checkConvergence` sets it (default 5000). Without steps it has
   * no effect.
   */
  readonly window?: number;
}

/**
 * Every fault the issue lists, at moderate rates: the default of `checkConvergence`.
 *
 * ## Example
 * ```ts
 * import fc from 'fast-check';
 * import { checkConvergence, defaultFaults } from 'rx-reconcile/testing';
 * import type { LoopDefinition } from 'rx-reconcile/testing';
 *
 * declare const def: LoopDefinition<{ size: number }, unknown, { size: number }>;
 * const desired = fc.constant([{ metadata: { name: 'a' }, spec: { size: 1 } }]);
 * await checkConvergence(def, { desired, faults: { ...defaultFaults, until: 30_000 } });
 * ```
 */
export const defaultFaults: Faults = Object.freeze({
  store: Object.freeze({
    dropEvent: 0.1,
    duplicateEvent: 0.1,
    reorderEvent: 0.1,
    delayEvent: 0.1,
    staleRead: 0.15,
    writeError: 0.05,
    writeConflict: 0.05,
    lostAck: 0.05,
  }),
  world: Object.freeze({ error: 0.1, conflict: 0.05, lostAck: 0.1, staleRead: 0.2 }),
});

/**
 * Options shared by the fault injectors.
 *
 * ## Example
 * ```ts
 * const options: FaultOptions = { seed: 7, scheduler, until: 60_000, onFault: (f) => log.push(f) };
 * ```
 */
export interface FaultOptions {
  /** Seed of the fault sequence: same seed and same calls, same faults. */
  readonly seed: number;
  /** Time source for delays and `until`. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** No fault at or after this scheduler time (ms). Default: never stop. */
  readonly until?: number;
  /** Faults only while this returns true (given the scheduler time), besides `until`. Default: always. */
  readonly active?: (now: number) => boolean;
  /** Told about every injected fault. */
  readonly onFault?: (fault: InjectedFault) => void;
}

/** Shared machinery: the seeded draw, the fault window and the report. */
class Injector {
  private readonly random: Random;
  private readonly scheduler: SchedulerLike;
  private readonly until: number;
  private readonly isActive: ((now: number) => boolean) | undefined;
  private readonly onFault: ((fault: InjectedFault) => void) | undefined;
  readonly where: InjectedFault['where'];

  constructor(options: FaultOptions, where: InjectedFault['where']) {
    this.random = seededRandom(options.seed, where);
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.until = options.until ?? Infinity;
    this.isActive = options.active;
    this.onFault = options.onFault;
    this.where = where;
  }

  get active(): boolean {
    const now = this.scheduler.now();
    return now < this.until && (this.isActive === undefined || this.isActive(now));
  }

  /** Draws once; true (and reported) when the fault happens. Draws nothing for a zero rate. */
  hit(probability: number | undefined, fault: FaultKind, target: string): boolean {
    if (probability === undefined || probability <= 0 || !this.active) return false;
    if (this.random() >= probability) return false;
    this.onFault?.({ at: this.scheduler.now(), where: this.where, fault, target });
    return true;
  }

  /** An integer in [1, max]. */
  int(max: number): number {
    return 1 + Math.floor(this.random() * Math.max(1, max));
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.scheduler.schedule(() => resolve(), ms));
  }

  schedule(work: () => void, ms: number): Subscription {
    return this.scheduler.schedule(work, ms);
  }
}

/** Runs `call` with actuator faults around it. */
async function withFaults<R>(injector: Injector, faults: ActuatorFaults, what: string, target: { kind: string; name: string }, call: () => Promise<R>): Promise<R> {
  if (injector.hit(faults.delay, 'delay', what)) await injector.sleep(injector.int(faults.maxDelay ?? 2000));
  if (injector.hit(faults.error, 'error', what)) {
    throw new TransientError(`injected fault: ${what} failed before it was done`);
  }
  if (injector.hit(faults.conflict, 'conflict', what)) {
    throw new ConflictError(target.kind, target.name, undefined, undefined, `injected fault: ${what} lost a conflict before it was done; read again and retry`);
  }
  const result = await call();
  if (injector.hit(faults.lostAck, 'lost-ack', what)) {
    throw new TransientError(`injected fault: ${what} was done, but its acknowledgement was lost`);
  }
  return result;
}

/**
 * Wraps an actuator function (the call that corrects the world) so it fails like a real one:
 * transient errors, conflicts, lost acknowledgements (the work is done but the call throws) and
 * delays, drawn from `seed`.
 *
 * Use it on your own client calls in a loop under test, when the world is not a {@link World}. A
 * lost acknowledgement is what makes a non-idempotent create run twice.
 *
 * ## Example
 * ```ts
 * import { faultyActuator } from 'rx-reconcile/testing';
 *
 * const cloud = { createVm: async (name: string) => ({ id: `vm-${name}` }) };
 * const createVm = faultyActuator((name: string) => cloud.createVm(name), {
 *   seed: 7, faults: { error: 0.1, lostAck: 0.1 }, name: 'createVm',
 * });
 * await createVm('web'); // may throw TransientError: "injected fault: createVm(web) …"
 * ```
 */
export function faultyActuator<A extends unknown[], R>(
  fn: (...args: A) => R | PromiseLike<R>,
  options: FaultOptions & { readonly faults?: ActuatorFaults; readonly name?: string },
): (...args: A) => Promise<R> {
  const injector = new Injector(options, 'actuator');
  const faults = options.faults ?? {};
  const name = options.name ?? (fn.name || 'actuator');
  return (...args: A) => {
    const what = `${name}(${args.map((a) => (typeof a === 'string' ? a : typeof a)).join(', ')})`;
    return withFaults(injector, faults, what, { kind: 'Actuator', name }, async () => fn(...args));
  };
}

/**
 * Wraps a {@link World} so it fails like a real one: `apply` gets actuator faults, `read`/`get` lag
 * behind (stale reads). `snapshot()` stays the truth. Drawn from `seed`.
 *
 * The checkers wrap the definition's world with it; use it yourself in hand-written simulations.
 *
 * ## Example
 * ```ts
 * import { faultyWorld, memoryWorld } from 'rx-reconcile/testing';
 *
 * const world = faultyWorld(memoryWorld<number>({ web: 1 }), { seed: 3, faults: { staleRead: 0.5, lostAck: 0.2 } });
 * ```
 */
export function faultyWorld<V>(world: World<V>, options: FaultOptions & { readonly faults?: WorldFaults }): World<V> {
  const injector = new Injector(options, 'world');
  const faults = options.faults ?? {};
  let cache: Items<V> | undefined;

  const read = async (what: string): Promise<Items<V>> => {
    const truth = await world.read();
    if (cache !== undefined && !sameJson(cache, truth) && injector.hit(faults.staleRead, 'stale-read', what)) {
      return structuredClone(cache);
    }
    cache = truth;
    return structuredClone(truth);
  };

  return {
    read: () => read('read'),
    get: async (target) => {
      const items = await read(`get ${target}`);
      return Object.hasOwn(items, target) ? items[target] : undefined;
    },
    apply: (correction) =>
      withFaults(injector, faults, `${correction.action} ${correction.target}`, { kind: 'World', name: correction.target }, () => world.apply(correction)),
    snapshot: () => world.snapshot(),
  };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * A store with injected faults: a {@link Store}.
 *
 * ## Example
 * ```ts
 * const store: FaultyStore = faultyStore(createMemoryStore(), { seed: 1, faults: { dropEvent: 0.1 } });
 * ```
 */
export type FaultyStore = Store;

/**
 * Wraps a {@link Store} so it behaves like a remote one on a bad day: its watch drops, duplicates,
 * reorders and delays change events; `get`/`list` return stale versions (a lagging cache that does
 * not see the caller's own writes at once); writes fail with transient errors or conflicts, or are
 * done and then fail (lost acknowledgement). Drawn from `seed`; `until` ends the faults.
 *
 * Give it to a loop instead of the real store to test that the loop is level-triggered (G5) and
 * survives its own writes failing. The initial list of a watch is always delivered whole.
 *
 * ## Example
 * ```ts
 * import { VirtualTimeScheduler } from 'rxjs';
 * import { createMemoryStore } from 'rx-reconcile';
 * import { faultyStore } from 'rx-reconcile/testing';
 *
 * const scheduler = new VirtualTimeScheduler();
 * const store = faultyStore(createMemoryStore({ scheduler }), {
 *   seed: 42, scheduler, faults: { dropEvent: 0.2, staleRead: 0.1, writeConflict: 0.1 },
 * });
 * ```
 */
export function faultyStore(store: Store, options: FaultOptions & { readonly faults?: StoreFaults }): FaultyStore {
  const faults = options.faults ?? {};
  const reads = new Injector(options, 'store');
  const events = new Injector({ ...options, seed: options.seed + 1 }, 'watch');
  /** The lagging cache: what the loop last read fresh, per kind and key (`null` = absent). */
  const cache = new Map<string, Resource | null>();
  const slot = (kind: string, key: string) => `${kind}\u0000${key}`;

  const readOne = (kind: string, key: string, truth: Resource | undefined, what: string): Resource | undefined => {
    const cached = cache.get(slot(kind, key));
    if (cached !== undefined && (cached?.metadata.version ?? null) !== (truth?.metadata.version ?? null)) {
      if (reads.hit(faults.staleRead, 'stale-read', what)) return cached ?? undefined;
    }
    cache.set(slot(kind, key), truth ?? null);
    return truth;
  };

  const write = <R>(op: string, kind: string, name: string, call: () => Promise<R>): Promise<R> =>
    withFaults(reads, { error: faults.writeError ?? 0, conflict: faults.writeConflict ?? 0, lostAck: faults.lostAck ?? 0 }, `${op} ${kind}/${name}`, { kind, name }, call);

  return {
    async get<Spec, Status>(kind: string, key: string): Promise<Resource<Spec, Status> | undefined> {
      const truth = await store.get<Spec, Status>(kind, key);
      return readOne(kind, key, truth as Resource | undefined, `get ${kind}/${key}`) as Resource<Spec, Status> | undefined;
    },

    async list<Spec, Status>(kind: string, listOptions?: ListOptions): Promise<Resource<Spec, Status>[]> {
      const truth = (await store.list<Spec, Status>(kind, listOptions)) as Resource[];
      const seen = new Set<string>();
      const out: Resource[] = [];
      for (const resource of truth) {
        const key = keyOf(resource);
        seen.add(key);
        const read = readOne(kind, key, resource, `list ${kind}/${key}`);
        if (read !== undefined) out.push(read);
      }
      // Keys the cache still holds but the store no longer has: a stale list still shows them.
      const prefix = `${kind}\u0000`;
      for (const [entry, cached] of [...cache]) {
        if (!entry.startsWith(prefix) || cached === null) continue;
        const key = entry.slice(prefix.length);
        if (seen.has(key) || !matches(cached, listOptions)) continue;
        const read = readOne(kind, key, undefined, `list ${kind}/${key}`);
        if (read !== undefined) out.push(read);
      }
      out.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
      return out as Resource<Spec, Status>[];
    },

    create<Spec, Status>(kind: string, resource: NewResource<Spec, Status>): Promise<Resource<Spec, Status>> {
      return write('create', kind, resource?.metadata?.name ?? '?', () => store.create(kind, resource));
    },
    update<Spec, Status>(resource: Resource<Spec, Status>): Promise<Resource<Spec, Status>> {
      return write('update', resource.kind, keyOf(resource), () => store.update(resource));
    },
    updateStatus<Spec, Status>(resource: Resource<Spec, Status>): Promise<Resource<Spec, Status>> {
      return write('updateStatus', resource.kind, keyOf(resource), () => store.updateStatus(resource));
    },
    delete(kind: string, key: string): Promise<Resource | undefined> {
      return write('delete', kind, key, () => store.delete(kind, key));
    },

    watch<Spec, Status>(kind: string, watchOptions?: WatchOptions): Observable<WatchEvent<Spec, Status>> {
      return new Observable<WatchEvent<Spec, Status>>((subscriber) => {
        const timers = new Set<Subscription>();
        let held: WatchEvent<Spec, Status> | undefined;
        let heldTimer: Subscription | undefined;
        const emit = (event: WatchEvent<Spec, Status>) => {
          if (!subscriber.closed) subscriber.next(event);
        };
        const later = (event: WatchEvent<Spec, Status>, ms: number) => {
          const timer = events.schedule(() => {
            timers.delete(timer);
            emit(event);
          }, ms);
          timers.add(timer);
        };
        const releaseHeld = () => {
          const event = held;
          held = undefined;
          heldTimer?.unsubscribe();
          heldTimer = undefined;
          if (event !== undefined) emit(event);
        };
        const maxDelay = faults.maxEventDelay ?? 1000;
        const inner = store.watch<Spec, Status>(kind, watchOptions).subscribe({
          next: (event) => {
            if (event.initial) return emit(event);
            const what = `${event.type} ${kind}/${keyOf(event.object)}`;
            if (events.hit(faults.dropEvent, 'drop', what)) return releaseHeld();
            const twice = events.hit(faults.duplicateEvent, 'duplicate', what);
            if (events.hit(faults.delayEvent, 'delay', what)) {
              later(event, events.int(maxDelay));
              if (twice) later(event, events.int(maxDelay));
              return releaseHeld();
            }
            if (held === undefined && events.hit(faults.reorderEvent, 'reorder', what)) {
              held = event;
              heldTimer = events.schedule(releaseHeld, events.int(maxDelay));
              if (twice) emit(event);
              return;
            }
            emit(event);
            if (twice) emit(event);
            releaseHeld();
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => subscriber.complete(),
        });
        return () => {
          inner.unsubscribe();
          heldTimer?.unsubscribe();
          for (const timer of timers) timer.unsubscribe();
        };
      });
    },
  };
}

function matches(resource: Resource, options: ListOptions | undefined): boolean {
  if (options === undefined) return true;
  if (options.namespace !== undefined && (resource.metadata.namespace ?? '') !== options.namespace) return false;
  return Object.entries(options.labels ?? {}).every(([label, value]) => resource.metadata.labels[label] === value);
}
