import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Observable, type Subscriber } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createQueueControl, workQueue } from 'rx-reconcile/operators';
import { Backoff, Outcome, type PassContext, type PassResult } from 'rx-reconcile';
import { KEY_STATE_SHAPE, KeyState } from '../src/key-state.js';
import { FINISHED_PASS_SHAPE, PASS_SHAPE } from '../src/pass.js';

/**
 * A drained queue forgets every key, so after a full collection nothing but the shape keepers holds
 * the hidden classes of key records and passes. If the next burst's objects took other hidden
 * classes, the queue's optimised code would be thrown away and warm up again (benchmark 32: several
 * times slower passes). These check, with V8's own answer (`%HaveSameMap`), that the objects the
 * queue makes after a full collection, on the fast path and after failures, share the keepers'
 * hidden classes: a keeper that is not in its widest form (or is gone) fails them.
 */
v8.setFlagsFromString('--allow-natives-syntax');
v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
// `new Function`: code compiled after the flag above, the only way to reach a V8 native from here.
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

interface Seen {
  readonly passes: PassContext[];
  readonly results: PassResult[];
}

/** Drains `keys` through a fresh queue; `fail` keys fail once (retried at once), then converge. */
async function drain(keys: readonly string[], fail: ReadonlySet<string> = new Set()): Promise<Seen> {
  let sink: Subscriber<string> | undefined;
  const source$ = new Observable<string>((subscriber) => {
    sink = subscriber;
  });
  const control = createQueueControl();
  const passes: PassContext[] = [];
  const results: PassResult[] = [];
  const failed = new Set<string>();
  const sub = source$
    .pipe(
      workQueue(
        async (request, ctx) => {
          passes.push(ctx);
          await undefined;
          if (fail.has(request.key) && !failed.has(request.key)) {
            failed.add(request.key);
            return Outcome.retry(new Error('once'));
          }
          return Outcome.converged();
        },
        { workers: 4, control, backoff: Backoff.constant({ delay: 0 }) },
      ),
    )
    .subscribe((result) => results.push(result));
  for (const key of keys) sink?.next(key);
  await control.whenIdle();
  sub.unsubscribe();
  return { passes, results };
}

const fullGc = (): void => {
  for (let i = 0; i < 4; i++) gc();
};

describe('shape keepers', () => {
  it('passes, results and key records made after a full collection have the keepers’ hidden classes', async () => {
    await drain(Array.from({ length: 200 }, (_, i) => `warm-${i}`));
    fullGc();
    const seen = await drain(['a', 'b', 'c']);
    expect(seen.passes.length).toBe(3);
    for (const pass of seen.passes) expect(haveSameMap(pass, PASS_SHAPE)).toBe(true);
    for (const result of seen.results) expect(haveSameMap(result, FINISHED_PASS_SHAPE)).toBe(true);
    expect(haveSameMap(new KeyState('k', 0, 'watch', undefined), KEY_STATE_SHAPE)).toBe(true);
    expect(haveSameMap(new KeyState('k', 0, 'manual', 3), KEY_STATE_SHAPE)).toBe(true);
  });

  it('a record that has been through a failure, a generation and a fractional time keeps the keeper’s hidden class', () => {
    const st = new KeyState('k', 0, 'watch', undefined);
    st.generation = 7;
    st.dueAt = Date.now() + 0.25;
    st.lastError = new TypeError('boom');
    st.heapIndex = 12;
    st.generation = undefined;
    expect(haveSameMap(st, KEY_STATE_SHAPE)).toBe(true);
  });

  it('passes and results of failing keys have the keepers’ hidden classes too', async () => {
    fullGc();
    const seen = await drain(['x', 'y'], new Set(['x']));
    expect(seen.results.map((r) => r.outcome.type).sort()).toEqual(['converged', 'converged', 'retry']);
    for (const pass of seen.passes) expect(haveSameMap(pass, PASS_SHAPE)).toBe(true);
    for (const result of seen.results) expect(haveSameMap(result, FINISHED_PASS_SHAPE)).toBe(true);
  });

  it('the keepers are never queued: their key is empty and their slot is outside any table', () => {
    expect(KEY_STATE_SHAPE.key).toBe('');
    expect(KEY_STATE_SHAPE.slot).toBe(-1);
    expect(PASS_SHAPE.done).toBe(true);
  });
});
