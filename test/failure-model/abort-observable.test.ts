/**
 * Regression: easy-mode passes are wrapped by Promise-based steps (`withConditions`), so an
 * Observable returned by `reconcile` is no longer subscribed by the queue itself. A timeout must
 * still end that subscription (through `PassContext.onAbort`), or the hanging work leaks.
 */
import { describe, expect, it } from 'vitest';
import { NEVER, finalize } from 'rxjs';
import { createMemoryStore, defineLoop } from 'rx-reconcile';
import type { PassResult } from 'rx-reconcile';
import { Clock } from './helpers.js';

describe('a hanging Observable pass in an easy-mode loop', () => {
  it('is unsubscribed when its timeout aborts it, and counts a transient failure', async () => {
    const clock = new Clock();
    const store = createMemoryStore({ scheduler: clock.scheduler });
    await store.create('Job', { metadata: { name: 'stuck' }, spec: {} });
    let subscribed = 0;
    let released = 0;
    const loop = defineLoop({
      name: 'jobs',
      store,
      kind: 'Job',
      scheduler: clock.scheduler,
      timeout: 100,
      reconcile: () => {
        subscribed++;
        return NEVER.pipe(finalize(() => released++));
      },
    });
    const results: PassResult[] = [];
    loop.results$.subscribe((r) => results.push(r));
    await clock.advance(0);
    expect(subscribed).toBe(1);
    expect(released).toBe(0);
    await clock.advance(100);
    expect(released).toBe(1);
    expect(results.map((r) => [r.outcome.type, r.failureClass])).toEqual([['retry', 'transient']]);
    const stopping = loop.stop({ deadline: 0 });
    await clock.advance(0);
    await stopping;
  });
});
