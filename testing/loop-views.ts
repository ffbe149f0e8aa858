/**
 * The views of the store and the world a simulated loop is given. Each calls straight through, in
 * the same microtask: the loop runs exactly as it would on the plain store and world.
 *
 * @module
 */
import type { Correction, MemoryStore, Store } from '../src/index.js';
import { show, stableJson } from './format.js';
import type { World } from './world.js';

/** Makes one of the loop's calls (refusing it when its run is dead, then maybe running a step). */
export type LoopCall = <R>(what: string, make: () => Promise<R>) => Promise<R>;

/** The loop's store: every call through `call`; a typed kind's schema reaches the true store. */
export function loopStore(store: Store, trueStore: Store, call: LoopCall): Store {
  const registerKind = (trueStore as Partial<MemoryStore>).registerKind;
  return {
    // A loop given a typed kind registers its schema on its store, as on a memory store in production.
    ...(typeof registerKind === 'function' ? { registerKind: registerKind.bind(trueStore) } : {}),
    get: (kind, key) => call(`get ${kind}/${key}`, () => store.get(kind, key)),
    list: (kind, options) => call(`list ${kind}`, () => store.list(kind, options)),
    create: (kind, resource) => call(`create ${kind}`, () => store.create(kind, resource)),
    update: (resource) => call(`update ${resource?.kind}`, () => store.update(resource)),
    updateStatus: (resource) => call(`updateStatus ${resource?.kind}`, () => store.updateStatus(resource)),
    delete: (kind, key) => call(`delete ${kind}/${key}`, () => store.delete(kind, key)),
    watch: (kind, options) => store.watch(kind, options),
  };
}

/** The loop's world: every call through `call`. */
export function loopWorld<V>(world: World<V>, call: LoopCall): World<V> {
  return {
    read: () => call('world read', () => world.read()),
    get: (target) => call(`world get ${target}`, () => world.get(target)),
    apply: (correction) => call(`world ${correction?.action} ${correction?.target}`, () => world.apply(correction)),
    snapshot: () => world.snapshot(),
  };
}

/**
 * Reports every `apply` with its result and whether it changed `truth`: a world in memory changes
 * within the call (before any other pass can act); one doing real I/O, by the time the call succeeds.
 */
export function recordingWorld<V>(world: World<V>, truth: World<V>, record: (correction: Correction<V>, result: string, changed: boolean) => void): World<V> {
  return {
    read: () => world.read(),
    get: (target) => world.get(target),
    snapshot: () => world.snapshot(),
    apply: (correction) => {
      const before = stableJson(truth.snapshot());
      const promise = world.apply(correction);
      const changedAtOnce = stableJson(truth.snapshot()) !== before;
      const done = (result: string, ok: boolean) => record(correction, result, changedAtOnce || (ok && stableJson(truth.snapshot()) !== before));
      return promise.then(
        () => done('ok', true),
        (error: unknown) => {
          done(errorText(error), false);
          throw error;
        },
      );
    },
  };
}

/** Counts world calls in flight in `io` (real I/O must end before virtual time moves). */
export function countingWorld<V>(world: World<V>, io: { inflight: number }): World<V> {
  const count = <R>(call: () => Promise<R>): Promise<R> => {
    io.inflight++;
    let promise: Promise<R>;
    try {
      promise = call();
    } catch (error) {
      promise = Promise.reject(error);
    }
    return promise.finally(() => io.inflight--);
  };
  return {
    read: () => count(() => world.read()),
    get: (target) => count(() => world.get(target)),
    apply: (correction) => count(() => world.apply(correction)),
    snapshot: () => world.snapshot(),
  };
}

/** `CODE: message` of an error, as traces show it. */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return `thrown: ${show(error, 100)}`;
  const code = (error as { code?: unknown }).code;
  return `${typeof code === 'string' ? code : error.name}: ${error.message}`;
}
