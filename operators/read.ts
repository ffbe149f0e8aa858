/**
 * Internal helpers shared by the operators: turning `MaybeAsync` values into Observables and reading
 * desired/current state from functions or from the latest value of a stream. Not exported.
 *
 * @module
 */
import { Observable, defer, first, from, isObservable, map, of, shareReplay } from 'rxjs';
import { Outcome } from '../src/index.js';
import type { Key, MaybeAsync } from '../src/index.js';

/** Reads one side (desired or current) of a key. */
export type Reader<T> =
  | ((key: Key) => MaybeAsync<T | undefined>)
  | { readonly latest$: Observable<ReadonlyMap<Key, T> | Readonly<Record<Key, T>>> };

/** A value with a `then` method (a Promise or any thenable). */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

/** A value, a Promise or an Observable as an Observable of its (last) value. */
export function toObservable<T>(value: MaybeAsync<T>): Observable<T> {
  if (isObservable(value)) return value as Observable<T>;
  if (isPromiseLike(value)) {
    return from(value as PromiseLike<T>);
  }
  return of(value as T);
}

/**
 * Prepares a reader for one subscription: a stream reader keeps the latest collection (replayed to
 * late readers), a function reader is called per key. Returns the read function and a teardown.
 */
export function openReader<T>(reader: Reader<T>): { read: (key: Key) => Observable<T | undefined>; close: () => void } {
  if (typeof reader === 'function') {
    return { read: (key) => defer(() => toObservable<T | undefined>(reader(key))), close: () => undefined };
  }
  const latest = reader.latest$.pipe(shareReplay({ bufferSize: 1, refCount: false }));
  const keepAlive = latest.subscribe();
  return {
    read: (key) =>
      latest.pipe(
        first(),
        map((items) => (items instanceof Map ? items.get(key) : (items as Readonly<Record<Key, T>>)[key])),
      ),
    close: () => keepAlive.unsubscribe(),
  };
}

/**
 * Runs a pass function and resolves to its `Outcome`: nothing is `converged`, a Promise is awaited,
 * the last value of an Observable counts (the subscription ends when the pass is aborted), a throw,
 * rejection or error is `retry(error)`. The Promise-based twin of `passOutcome`, for wrappers on the
 * hot path: no operator chain per pass.
 */
export function outcomeOf(
  run: () => MaybeAsync<Outcome | undefined | void>,
  context: { onAbort(callback: () => void): void },
): Promise<Outcome> {
  let result: MaybeAsync<Outcome | undefined | void>;
  try {
    result = run();
  } catch (error) {
    return Promise.resolve(Outcome.retry(error));
  }
  if (result === undefined || result === null) return Promise.resolve(Outcome.converged());
  if (isObservable(result)) {
    const source = result;
    return new Promise<Outcome>((resolve) => {
      let last: unknown;
      const subscription = source.subscribe({
        next: (value) => void (last = value),
        error: (error: unknown) => resolve(Outcome.retry(error)),
        complete: () => resolve(Outcome.from(last)),
      });
      if (!subscription.closed) context.onAbort(() => subscription.unsubscribe());
    });
  }
  if (typeof (result as PromiseLike<unknown>).then === 'function') {
    return Promise.resolve(result as PromiseLike<Outcome | undefined | void>).then(
      (value) => Outcome.from(value),
      (error: unknown) => Outcome.retry(error),
    );
  }
  return Promise.resolve(Outcome.from(result));
}
