/**
 * G14, G18: a watch resumes only from a revision a store can resume from. Regression: one event
 * whose `metadata.revision` was Infinity, NaN or 1e300 (a store adapter's bug) became the resume
 * point; every restart was refused, the kind was never listed again and health still said ready.
 */
import { describe, expect, it } from 'vitest';
import { Observable } from 'rxjs';
import { Backoff, createMemoryStore, defineLoop } from 'rx-reconcile';
import type { Store, WatchEvent } from 'rx-reconcile';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('watch resume points', () => {
  for (const bad of [Number.POSITIVE_INFINITY, Number.NaN, 1e300]) {
    it(`an event with revision ${bad} is not a resume point: the watch resumes from the last real one and sees later changes`, async () => {
      const inner = createMemoryStore();
      await inner.create('T', { metadata: { name: 'a' }, spec: {} });
      const since: unknown[] = [];
      const store: Store = {
        ...inner,
        get: (k, key) => inner.get(k, key),
        list: (k, o) => inner.list(k, o),
        watch: ((kind: string, options?: { sinceRevision?: number }) => {
          since.push(options?.sinceRevision);
          if (since.length > 1) return inner.watch(kind, options as never);
          // The first watch: the list, then one event with a broken revision, then a dropped connection.
          return new Observable<WatchEvent>((subscriber) => {
            const subscription = inner.watch(kind).subscribe((event) => {
              subscriber.next(event);
              if (event.type !== 'synced') return;
              setTimeout(() => {
                subscriber.next({ type: 'modified', object: { kind: 'T', metadata: { name: 'a', generation: 1, revision: bad } } } as unknown as WatchEvent);
                subscriber.error(new Error('connection reset'));
              }, 5);
            });
            return () => subscription.unsubscribe();
          });
        }) as Store['watch'],
      } as Store;
      const seen: string[] = [];
      const loop = defineLoop({ name: 'l', store, kind: 'T', backoff: Backoff.constant({ delay: 20, steps: 3 }), reconcile: (request) => void seen.push(request.key) });
      await sleep(150);
      await inner.create('T', { metadata: { name: 'b' }, spec: {} });
      await sleep(150);
      expect(seen).toContain('b');
      expect(since.slice(1).every((s) => s === undefined || (Number.isSafeInteger(s) && (s as number) >= 0))).toBe(true);
      await loop.stop();
    });
  }
});
