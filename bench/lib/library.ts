/**
 * The library under test, driven exactly as a user would: a Subject of keys (or Requests) piped
 * through `workQueue`, a `QueueControl` for `whenIdle` and `snapshot`, teardown by unsubscribing.
 * Only imported by library runs (see `impls.ts`).
 */
import { Subject } from 'rxjs';
import { createQueueControl, workQueue } from 'rx-reconcile/operators';
import type { Outcome, Request } from 'rx-reconcile';
import type { KeyWork, UnderTest } from './impls.js';

type LibraryWorkResult = Outcome | undefined | void | PromiseLike<Outcome | undefined | void>;

export interface LibraryQueue extends UnderTest {
  readonly source: Subject<string | Request>;
  readonly control: ReturnType<typeof createQueueControl>;
}

/** Library options the benchmarks set besides `workers` and `control`. */
export type LibraryExtraOptions = Omit<NonNullable<Parameters<typeof workQueue>[1]>, 'workers' | 'control'>;

/** The library queue around a work function that gets the whole request. */
export function libraryRequestQueue(
  work: (request: Request) => LibraryWorkResult,
  workers: number,
  extra: LibraryExtraOptions = {},
): LibraryQueue {
  const source = new Subject<string | Request>();
  const control = createQueueControl();
  let results = 0;
  const sub = source.pipe(workQueue((request) => work(request), { ...extra, workers, control })).subscribe(() => {
    results++;
  });
  return {
    source,
    control,
    push: (key) => source.next(key),
    whenIdle: () => control.whenIdle(),
    teardown: () => sub.unsubscribe(),
    results: () => results,
  };
}

/** The library queue around a key → Promise<void> work function (a converged pass). */
export function libraryQueue(work: KeyWork, workers: number, extra: LibraryExtraOptions = {}): LibraryQueue {
  return libraryRequestQueue((request) => work(request.key), workers, extra);
}
