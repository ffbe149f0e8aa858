/**
 * Marble helpers: a `TestScheduler` whose assertion works in any test runner, pass results as short
 * marble values, and timelines of timed values compared with (or drawn as) run-mode marble diagrams.
 *
 * @module
 */
import { isDeepStrictEqual } from 'node:util';
import { map } from 'rxjs';
import type { OperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { PassResult } from '../src/index.js';
import { MarbleMismatchError } from './errors.js';
import { show } from './format.js';

/**
 * A `TestScheduler` that asserts with deep equality and throws a {@link MarbleMismatchError} whose
 * message lists both timelines frame by frame — no test runner's `expect` needed (works in vitest,
 * node:test, mocha…).
 *
 * Use it with `run()` to test a loop's timing (queue delays, backoff, resync, requeue) when its work
 * is synchronous or Observable-based; for Promise-based loops (memory store, actuators) simulate
 * instead and compare timelines with {@link expectTimeline}.
 *
 * ## Example
 * ```ts
 * import { map, throwError } from 'rxjs';
 * import { Backoff, TransientError } from 'rx-reconcile';
 * import { workQueue } from 'rx-reconcile/operators';
 * import { createTestScheduler } from 'rx-reconcile/testing';
 *
 * const testScheduler = createTestScheduler();
 * testScheduler.run(({ cold, expectObservable }) => {
 *   const passes = cold('a').pipe(
 *     workQueue(() => throwError(() => new TransientError('down')), {
 *       scheduler: testScheduler, backoff: Backoff.constant({ delay: 10, steps: 2 }),
 *     }),
 *     map((result) => `${result.key}:${result.parked ?? result.outcome.type}`),
 *   );
 *   expectObservable(passes).toBe('a 9ms b 9ms c', { a: 'a:retry', b: 'a:retry', c: 'a:quarantined' });
 * });
 * ```
 */
export function createTestScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => assertFramesEqual(actual, expected));
}

interface Frame {
  readonly frame: number;
  readonly notification: { readonly kind: string; readonly value?: unknown; readonly error?: unknown };
}

function describeFrames(frames: unknown): string {
  if (!Array.isArray(frames)) return show(frames, 400);
  if (frames.length === 0) return '    (nothing)';
  return (frames as Frame[])
    .map((f) => {
      const n = f.notification;
      const what = n.kind === 'N' ? `next ${show(n.value, 200)}` : n.kind === 'E' ? `error ${errorText(n.error)}` : n.kind === 'C' ? 'complete' : show(f, 200);
      return `    ${String(f.frame).padStart(6)}ms  ${what}`;
    })
    .join('\n');
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : show(error, 200);
}

/** Deep-equality assertion of two marble frame lists (or subscription logs), with a readable message. */
function assertFramesEqual(actual: unknown, expected: unknown): void {
  if (isDeepStrictEqual(actual, expected)) return;
  throw new MarbleMismatchError(`marbles differ\n  expected:\n${describeFrames(expected)}\n  actual:\n${describeFrames(actual)}`, expected, actual);
}

/**
 * A pass result as a short marble-friendly value: `key:outcome`, with the failure for `retry` and
 * `terminal` (`a:retry(TRANSIENT)`), the delay for `requeueAfter` (`a:requeueAfter(100)`), and
 * `a:quarantined` when the pass parked its key after too many failures.
 *
 * Use it to compare loop timelines without matching timestamps and error objects.
 *
 * ## Example
 * ```ts
 * import { map } from 'rxjs';
 * import type { Loop } from 'rx-reconcile';
 * import { passSummary } from 'rx-reconcile/testing';
 *
 * declare const loop: Loop;
 * loop.results$.pipe(map(passSummary)).subscribe(console.log); // 'todo-1:converged'
 * ```
 */
export function passSummary(result: PassResult): string {
  const o = result.outcome;
  if (result.parked === 'quarantined') return `${result.key}:quarantined`;
  switch (o.type) {
    case 'converged':
      return `${result.key}:converged`;
    case 'requeueAfter':
      return `${result.key}:requeueAfter(${o.ms})`;
    case 'waiting':
      return `${result.key}:waiting(${o.dependency})`;
    case 'retry':
    case 'terminal': {
      const code = (o.error as { code?: unknown }).code;
      return `${result.key}:${o.type}(${typeof code === 'string' ? code : o.error.name})`;
    }
  }
}

/**
 * Maps pass results to {@link passSummary} strings: pipe a loop's `results$` (or a `workQueue`) into
 * it before `expectObservable`.
 *
 * ## Example
 * ```ts
 * import { Outcome } from 'rx-reconcile';
 * import { workQueue } from 'rx-reconcile/operators';
 * import { createTestScheduler, summarizePasses } from 'rx-reconcile/testing';
 *
 * createTestScheduler().run(({ cold, expectObservable }) => {
 *   const results$ = cold('x').pipe(workQueue(() => Outcome.converged()));
 *   expectObservable(results$.pipe(summarizePasses())).toBe('a', { a: 'x:converged' });
 * });
 * ```
 */
export function summarizePasses(): OperatorFunction<PassResult, string> {
  return map(passSummary);
}

/**
 * One value at a virtual time: an item of a timeline.
 *
 * ## Example
 * ```ts
 * const e: Timed<string> = { at: 1000, value: 'a:converged' };
 * ```
 */
export interface Timed<T> {
  readonly at: number;
  readonly value: T;
}

/**
 * Compares a timeline (values at virtual times, e.g. a simulation's passes) with a run-mode marble
 * diagram (1 character = 1 ms, `Nms` waits, `(ab)` groups), and throws a {@link MarbleMismatchError}
 * listing both when they differ. Times are taken relative to `origin` (default 0).
 *
 * Use it to pin down the timing of a whole simulated loop (backoff, resync, requeue) where
 * `TestScheduler.run` cannot go (Promise-based work).
 *
 * ## Example
 * ```ts
 * import { expectTimeline, simulate } from 'rx-reconcile/testing';
 * import type { LoopDefinition } from 'rx-reconcile/testing';
 *
 * declare const def: LoopDefinition<{ size: number }, unknown, { size: number }>; // fails twice, then converges
 * const result = await simulate(def, { desired: [{ metadata: { name: 'x' }, spec: { size: 1 } }] });
 * const passes = result.trace.passes.map((p) => ({ at: p.at, value: p.summary }));
 * expectTimeline(passes, 'a 999ms b 1999ms c', { a: 'x:retry(TRANSIENT)', b: 'x:retry(TRANSIENT)', c: 'x:converged' });
 * ```
 */
export function expectTimeline<T>(timeline: readonly Timed<T>[], marbles: string, values?: Readonly<Record<string, T>>, origin = 0): void {
  const expected = parseRunMode(marbles, values)
    .filter((m) => m.notification.kind === 'N')
    .map((m) => ({ frame: m.frame, notification: { kind: 'N', value: (m.notification as { value?: unknown }).value, error: undefined } }));
  const actual = timeline.map((t) => ({ frame: t.at - origin, notification: { kind: 'N', value: t.value as unknown, error: undefined } }));
  if (isDeepStrictEqual(actual, expected)) return;
  throw new MarbleMismatchError(
    `timeline differs from "${marbles}"\n  expected:\n${describeFrames(expected)}\n  actual:\n${describeFrames(actual)}\n  actual as marbles: ${marblesOf(timeline, origin).marbles}`,
    expected,
    actual,
  );
}

/** Parses a run-mode diagram (1 character = 1 frame = 1 ms), as `TestScheduler.run` does. */
function parseRunMode(marbles: string, values: unknown): ReturnType<typeof TestScheduler.parseMarbles> {
  const factor = TestScheduler.frameTimeFactor;
  TestScheduler.frameTimeFactor = 1;
  try {
    return TestScheduler.parseMarbles(marbles, values, undefined, false, true);
  } finally {
    TestScheduler.frameTimeFactor = factor;
  }
}

/**
 * Draws a timeline as a run-mode marble diagram, with a letter per distinct value (`values` maps
 * letters back to values). Values at the same time become a group `(ab)`.
 *
 * Use it to print what a simulation did, or to write the expected diagram of a new test.
 *
 * ## Example
 * ```ts
 * import { marblesOf } from 'rx-reconcile/testing';
 *
 * marblesOf([{ at: 0, value: 'x' }, { at: 10, value: 'y' }]).marbles; // 'a 9ms b'
 * ```
 */
export function marblesOf<T>(timeline: readonly Timed<T>[], origin = 0): { readonly marbles: string; readonly values: Readonly<Record<string, T>> } {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const values: Record<string, T> = {};
  const letterOf = new Map<string, string>();
  const letter = (value: T): string => {
    const id = show(value, 10_000);
    let found = letterOf.get(id);
    if (found === undefined) {
      found = letters[letterOf.size] ?? '?';
      letterOf.set(id, found);
      values[found] = value;
    }
    return found;
  };
  const parts: string[] = [];
  let frame = 0;
  const sorted = [...timeline].sort((a, b) => a.at - b.at);
  for (let i = 0; i < sorted.length; ) {
    const at = (sorted[i] as Timed<T>).at - origin;
    const group: T[] = [];
    while (i < sorted.length && (sorted[i] as Timed<T>).at - origin === at) group.push((sorted[i++] as Timed<T>).value);
    if (at > frame) parts.push(`${at - frame}ms`);
    parts.push(group.length === 1 ? letter(group[0] as T) : `(${group.map(letter).join('')})`);
    frame = at + (group.length === 1 ? 1 : group.length + 2);
  }
  return { marbles: parts.join(' '), values };
}
