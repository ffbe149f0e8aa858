/**
 * One interface over the three kinds of queue under test, so every case drives them the same way:
 * the library's `workQueue` operator, the hand-written keyed queue (baseline 1) and the naive RxJS
 * shapes (baseline 2). The library is imported lazily, so baseline runs work without it.
 */
import { Subject } from 'rxjs';
import { KeyedQueue } from '../baselines/keyed-queue.js';
import { NAIVE_VARIANTS, naivePipeline, type NaiveVariant } from '../baselines/naive-rx.js';
import { nextMacrotask } from './util.js';

export type Impl = 'library' | 'library-subject' | 'baseline' | 'baseline-rx' | NaiveVariant;

export function isNaive(impl: Impl): impl is NaiveVariant {
  return (NAIVE_VARIANTS as readonly string[]).includes(impl);
}

export interface UnderTest {
  /** One event for `key` (a plain key: a `watch` trigger for the library). */
  push(key: string): void;
  /** Resolves when nothing is queued or running (naive: no pass in flight at a macrotask boundary). */
  whenIdle(): Promise<void>;
  /** Tears the queue down (library: unsubscribe; baseline: stop; naive: unsubscribe). */
  teardown(): void;
  /** Results emitted (library: one PassResult per pass; others: -1). */
  results(): number;
}

export type KeyWork = (key: string) => Promise<void>;

/** Builds the queue under test around `work`. `busy` tells naive shapes whether passes are in flight. */
export async function makeQueue(impl: Impl, work: KeyWork, workers: number, busy: () => boolean): Promise<UnderTest> {
  if (impl === 'library' || impl === 'library-subject') {
    const { libraryQueue } = await import('./library.js');
    return libraryQueue(work, workers, impl === 'library' ? 'observable' : 'subject');
  }
  if (impl === 'baseline-rx') {
    // The hand-written queue fed through the same Subject as the library: separates the cost of
    // the RxJS source boundary from the library's own.
    const q = new KeyedQueue(work, workers);
    const source = new Subject<string>();
    const sub = source.subscribe((key) => q.add(key));
    return {
      push: (key) => source.next(key),
      whenIdle: () => q.whenIdle(),
      teardown: () => {
        sub.unsubscribe();
        q.stop();
      },
      results: () => -1,
    };
  }
  if (impl === 'baseline') {
    const q = new KeyedQueue(work, workers);
    return {
      push: (key) => q.add(key),
      whenIdle: () => q.whenIdle(),
      teardown: () => q.stop(),
      results: () => -1,
    };
  }
  const source = new Subject<string>();
  const sub = naivePipeline(impl, source, work, workers).subscribe();
  return {
    push: (key) => source.next(key),
    whenIdle: async () => {
      // Two quiet macrotask boundaries in a row: nothing in flight, nothing about to start.
      let quiet = 0;
      while (quiet < 2) {
        await nextMacrotask();
        quiet = busy() ? 0 : quiet + 1;
      }
    },
    teardown: () => sub.unsubscribe(),
    results: () => -1,
  };
}
