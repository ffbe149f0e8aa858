/**
 * A user's source subscribed to when the loop is defined, its values held until the loop's pipeline
 * (which subscribes on the scheduler, so that no pass runs inside `defineLoop`) takes them over.
 *
 * @module
 */
import { Observable } from 'rxjs';
import type { ObservableNotification, Subscriber, Subscription } from 'rxjs';

/** A source held from the moment the loop was defined; see {@link holdSource}. */
export interface HeldSource<T> {
  /** The source as the loop subscribes to it: what it emitted so far, then what it emits next. */
  readonly observable: Observable<T>;
  /** Drops what is held and unsubscribes, unless the loop already took the source over. */
  release(): void;
}

/**
 * Subscribes to `source` now and holds its notifications until the first subscriber of `observable`
 * takes over (replaying them in order, then passing the live ones on). Later subscribers (a restart
 * after an error) subscribe to `source` afresh.
 *
 * When to use: a loop's `desired$`, `current$` and `triggers` may be hot (a `Subject` the app calls
 * `next` on right after `defineLoop`); without this, what they emit before the loop's first tick
 * would be lost.
 *
 * ## Example
 * ```ts
 * import { Subject } from 'rxjs';
 * import { holdSource } from './held-source.js';
 *
 * const events = new Subject<string>();
 * const held = holdSource(events);
 * events.next('a');                               // held
 * held.observable.subscribe((k) => console.log(k)); // 'a', then every later key
 * ```
 *
 * ## Guarantees
 * - Nothing emitted after `holdSource` returns is lost or delivered twice to the first subscriber;
 *   an error or completion before it subscribes is delivered to it, in order.
 * - A source whose `subscribe` throws is held as that error (`defineLoop` does not throw).
 *
 * ## Caveats
 * - Everything emitted before the takeover is kept in memory until then (one scheduler tick in a loop).
 * - `release` must be called when nobody will ever subscribe (a loop stopped before its first tick).
 */
export function holdSource<T>(source: Observable<T>): HeldSource<T> {
  let held: ObservableNotification<T>[] | undefined = [];
  let target: Subscriber<T> | undefined;
  let taken = false;
  let early: Subscription | undefined;
  const send = (notification: ObservableNotification<T>): void => {
    if (target !== undefined) deliver(target, notification);
    else held?.push(notification);
  };
  try {
    early = source.subscribe({
      next: (value) => send({ kind: 'N', value }),
      error: (error: unknown) => send({ kind: 'E', error }),
      complete: () => send({ kind: 'C' }),
    });
  } catch (error) {
    held.push({ kind: 'E', error });
  }
  const release = (): void => {
    held = undefined;
    target = undefined;
    early?.unsubscribe();
  };
  const observable = new Observable<T>((subscriber) => {
    if (taken) return source.subscribe(subscriber);
    taken = true;
    const pending = held ?? [];
    held = undefined;
    for (const notification of pending) {
      if (subscriber.closed) break;
      deliver(subscriber, notification);
    }
    if (!subscriber.closed) target = subscriber;
    return release;
  });
  return {
    observable,
    release: () => {
      if (taken) return;
      taken = true;
      release();
    },
  };
}

function deliver<T>(subscriber: Subscriber<T>, notification: ObservableNotification<T>): void {
  if (notification.kind === 'N') subscriber.next(notification.value);
  else if (notification.kind === 'E') subscriber.error(notification.error);
  else subscriber.complete();
}
