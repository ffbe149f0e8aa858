/**
 * The library under test, driven as a user would: a source Observable of keys (or Requests) piped
 * through `workQueue`, a `QueueControl` for `whenIdle` and `snapshot`, teardown by unsubscribing.
 * Only imported by library runs (see `impls.ts`).
 *
 * The source is, by default, the cheapest RxJS source there is: a plain `new Observable` whose
 * subscriber the producer calls (what `fromEvent` or a store watch amount to). `feed: 'subject'` puts
 * an RxJS `Subject` in front instead. Its own `next` costs ~125–215 ns on Node in isolation
 * (`npm run bench:micro`; rxjs 7's ES5 build allocates a closure and an iterator per call) whatever
 * consumes it, so the suite reports it in its own rows next to the hand-written queue fed through
 * the same Subject.
 */
import { Observable, Subject, type Subscriber } from 'rxjs';
import { createQueueControl, workQueue } from 'rx-reconcile/operators';
import type { Outcome } from 'rx-reconcile';
import type { ReconcileRequest } from '../../src/types.js';
import type { KeyWork, UnderTest } from './impls.js';

type LibraryWorkResult = Outcome | undefined | void | PromiseLike<Outcome | undefined | void>;

export type Feed = 'observable' | 'subject';

export interface LibraryQueue extends UnderTest {
  /** One trigger: a key (a `watch` trigger) or a whole ReconcileRequest. */
  send(item: string | ReconcileRequest): void;
  readonly control: ReturnType<typeof createQueueControl>;
}

/** Library options the benchmarks set besides `workers` and `control`. */
export type LibraryExtraOptions = Omit<NonNullable<Parameters<typeof workQueue>[1]>, 'workers' | 'control'>;

/** A source of triggers and the function that pushes into it. */
function source(feed: Feed): { readonly source$: Observable<string | ReconcileRequest>; readonly send: (item: string | ReconcileRequest) => void } {
  if (feed === 'subject') {
    const subject = new Subject<string | ReconcileRequest>();
    return { source$: subject, send: (item) => subject.next(item) };
  }
  let sink: Subscriber<string | ReconcileRequest> | undefined;
  const source$ = new Observable<string | ReconcileRequest>((subscriber) => {
    sink = subscriber;
    return () => {
      sink = undefined;
    };
  });
  return { source$, send: (item) => sink?.next(item) };
}

/** The library queue around a work function that gets the whole request. */
export function libraryRequestQueue(
  work: (request: ReconcileRequest) => LibraryWorkResult,
  workers: number,
  extra: LibraryExtraOptions = {},
  feed: Feed = 'observable',
): LibraryQueue {
  const { source$, send } = source(feed);
  const control = createQueueControl();
  let results = 0;
  const sub = source$.pipe(workQueue((request) => work(request), { ...extra, workers, control })).subscribe(() => {
    results++;
  });
  return {
    send,
    control,
    push: send,
    whenIdle: () => control.whenIdle(),
    teardown: () => sub.unsubscribe(),
    results: () => results,
  };
}

/** The library queue around a key → Promise<void> work function (a converged pass). */
export function libraryQueue(work: KeyWork, workers: number, feed: Feed = 'observable'): LibraryQueue {
  return libraryRequestQueue((request) => work(request.key), workers, {}, feed);
}
