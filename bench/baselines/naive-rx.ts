/**
 * Baseline 2: the RxJS loops a user would write without a work queue. They are here to be measured
 * and to show which guarantees they break (the shared `Checker` counts the violations):
 *
 * - `group-concat`        groupBy(key) + concatMap per group: correct, but no coalescing and no bound
 *                         on concurrency (one pass per event, every key at once);
 * - `group-exhaust`       groupBy(key) + exhaustMap per group: drops events that arrive while a pass
 *                         runs (stale keys);
 * - `merge-limited`       mergeMap(reconcile, N): bounded, but runs one key twice at once (overlaps)
 *                         and buffers every event (`shift()` on an unbounded array);
 * - `group-merge-limited` groupBy + mergeMap(group, N): only the first N groups are ever subscribed,
 *                         the others starve (stale keys);
 * - `group-coalesce`      groupBy + a hand-written idle → waiting → running operator per group with
 *                         one trailing pass and a shared N-slot semaphore: correct client-go semantics,
 *                         but ~2.4 KB per live group and O(live groups) per group removal.
 */
import { Observable, Subject, type OperatorFunction } from 'rxjs';
import { concatMap, exhaustMap, groupBy, mergeMap } from 'rxjs/operators';

export type NaiveVariant = 'group-concat' | 'group-exhaust' | 'merge-limited' | 'group-merge-limited' | 'group-coalesce';

export const NAIVE_VARIANTS: readonly NaiveVariant[] = [
  'group-concat',
  'group-exhaust',
  'merge-limited',
  'group-merge-limited',
  'group-coalesce',
];

type Work = (key: string) => Promise<void>;

const byKey = (key: string): string => key;

/** The naive pipeline for `variant`; subscribe to run it. */
export function naivePipeline(variant: NaiveVariant, source: Observable<string>, work: Work, workers: number): Observable<unknown> {
  switch (variant) {
    case 'group-concat':
      return source.pipe(
        groupBy(byKey),
        mergeMap((group) => group.pipe(concatMap(work))),
      );
    case 'group-exhaust':
      return source.pipe(
        groupBy(byKey),
        mergeMap((group) => group.pipe(exhaustMap(work))),
      );
    case 'merge-limited':
      return source.pipe(mergeMap(work, workers));
    case 'group-merge-limited':
      return source.pipe(
        groupBy(byKey),
        mergeMap((group) => group.pipe(concatMap(work)), workers),
      );
    case 'group-coalesce': {
      const semaphore = new Semaphore(workers);
      return source.pipe(
        groupBy(byKey),
        mergeMap((group) => group.pipe(coalesceLatest(work, semaphore))),
      );
    }
  }
}

/**
 * group-coalesce with evictable groups: each group ends when `evict(key)` is called (a groupBy
 * duration selector), the way a user would forget a key.
 */
export function evictablePipeline(source: Observable<string>, work: Work, workers: number): { pipeline: Observable<unknown>; evict(key: string): void } {
  const closers = new Map<string, Subject<void>>();
  const semaphore = new Semaphore(workers);
  const pipeline = source.pipe(
    groupBy(byKey, {
      duration: (group) => {
        const closer = new Subject<void>();
        closers.set(group.key, closer);
        return closer;
      },
    }),
    mergeMap((group) => group.pipe(coalesceLatest(work, semaphore))),
  );
  return {
    pipeline,
    evict(key) {
      const closer = closers.get(key);
      if (closer === undefined) return;
      closers.delete(key);
      closer.next();
    },
  };
}

/** N permits; waiters are served in order (array with a head index). */
export class Semaphore {
  private permits: number;
  private waiting: ((() => void) | undefined)[] = [];
  private head = 0;
  constructor(permits: number) {
    this.permits = permits;
  }
  acquire(run: () => void): void {
    if (this.permits > 0) {
      this.permits--;
      run();
    } else {
      this.waiting.push(run);
    }
  }
  release(): void {
    if (this.head < this.waiting.length) {
      const next = this.waiting[this.head]!;
      this.waiting[this.head++] = undefined;
      if (this.head === this.waiting.length) {
        this.waiting = [];
        this.head = 0;
      }
      next();
    } else {
      this.permits++;
    }
  }
}

const IDLE = 0;
const WAITING = 1;
const RUNNING = 2;

/**
 * Per-group coalescing: events while waiting for a permit collapse; events while running cause one
 * trailing pass after the running one. Emits nothing; completes when its group completes and is idle.
 */
function coalesceLatest(work: Work, semaphore: Semaphore): OperatorFunction<string, never> {
  return (source) =>
    new Observable<never>((subscriber) => {
      let phase = IDLE;
      let dirty = false;
      let key = '';
      let completed = false;
      let closed = false;
      const finish = (): void => {
        semaphore.release();
        if (closed) return;
        if (dirty) {
          dirty = false;
          phase = WAITING;
          semaphore.acquire(start);
        } else {
          phase = IDLE;
          if (completed) subscriber.complete();
        }
      };
      const start = (): void => {
        if (closed) {
          semaphore.release();
          return;
        }
        phase = RUNNING;
        work(key).then(finish, finish);
      };
      const inner = source.subscribe({
        next(k) {
          key = k;
          if (phase === IDLE) {
            phase = WAITING;
            semaphore.acquire(start);
          } else if (phase === RUNNING) {
            dirty = true;
          }
        },
        error(e: unknown) {
          subscriber.error(e);
        },
        complete() {
          completed = true;
          if (phase === IDLE) subscriber.complete();
        },
      });
      return () => {
        closed = true;
        inner.unsubscribe();
      };
    });
}
