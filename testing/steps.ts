/**
 * Steps: what changes a run from outside the loop while it runs — the desired state (created,
 * updated, deleted), the world behind the loop's back (an item changed, removed or added by someone
 * else), and the loop itself (a restart). `checkConvergence` generates a schedule of steps for every
 * run; `simulate` and `startSimulation` take one.
 *
 * @module
 */
import type { Key } from '../src/index.js';
import type { DesiredResource } from './definition.js';
import type { Items, World } from './world.js';

/**
 * The kinds of step, to turn some off in `checkConvergence({ steps: { kinds } })`:
 * - `create`, `update`, `delete`: the desired state changes (a resource created, its spec changed, it
 *   deleted);
 * - `change`, `remove`, `add`: someone else changes the world behind the loop's back (no store event
 *   tells the loop: only a resync, or a watch of the world, can);
 * - `restart`: the loop's process dies (its pending calls never land) and a new loop starts on the
 *   same store and world.
 *
 * ## Example
 * ```ts
 * const kinds: Partial<Record<StepKind, boolean>> = { restart: false, add: false };
 * ```
 */
export type StepKind = 'create' | 'update' | 'delete' | 'change' | 'remove' | 'add' | 'restart';

/** Every {@link StepKind}, in a stable order. */
export const STEP_KINDS: readonly StepKind[] = Object.freeze(['create', 'update', 'delete', 'change', 'remove', 'add', 'restart']);

/**
 * When a step happens: `after` virtual ms after the previous step (or the start), then — with
 * `calls` — right after the loop's `calls`-th store or world call from then on, in the middle of a
 * pass (or as soon as the loop is idle, if it makes fewer calls).
 *
 * ## Example
 * ```ts
 * const timing: StepTiming = { after: 1000, calls: 2 }; // a second later, between the 2nd and 3rd call
 * ```
 */
export interface StepTiming {
  /** Virtual ms after the previous step happened (or after the start). Default 0. */
  readonly after?: number;
  /** Happen after this many of the loop's store/world calls (mid-pass), counted from `after`. */
  readonly calls?: number;
}

/**
 * What a custom step can use: the true store and world (no faults), the loop's kind, the clock.
 *
 * ## Example
 * ```ts
 * const step: Step<Spec, Status, number> = { kind: 'custom', name: 'bump all', run: async ({ world }) => { ... } };
 * ```
 */
export interface StepContext<V> {
  readonly kind: string;
  readonly world: World<V>;
  /** Virtual time (ms). */
  now(): number;
  /**
   * Changes the world behind the loop's back: `update` (or `create`) `target` to `value`, or removes
   * it (`value` undefined). Recorded in the trace and in the outside world `expected` is given.
   */
  setWorldItem(target: string, value: V | undefined): Promise<void>;
}

/**
 * One step of a schedule. Targets and names may be given, or picked among what exists when the step
 * happens (`pick` modulo the number of candidates, in key order).
 *
 * - `desired`: the desired state becomes `resources` (as `checkConvergence`'s desired generator made
 *   it): resources it lacks are created, specs that differ updated, resources it marks `deleted` or
 *   lacks deleted — only those the loop has converged on at least once (a resource deleted before the
 *   loop ever saw it could not be cleaned up by any loop). `only` limits it to some of
 *   `create`/`update`/`delete`.
 * - `create`, `update`, `delete`: one resource.
 * - `change`, `remove`: a world item that exists changes value, or disappears.
 * - `add`: a world item that does not exist appears — only where `expected` says what becomes of it
 *   (it keeps the item as someone else's, or a resource calls for it); elsewhere no loop could tell
 *   whether to remove it, and the step does nothing.
 * - `restart`: stop the loop (its calls still under way never land), start a new one.
 * - `custom`: your own change, with a `name` for the trace.
 *
 * ## Example
 * ```ts
 * const schedule: Step<{ size: number }, unknown, number>[] = [
 *   { kind: 'update', name: 'a', spec: { size: 3 }, after: 1000 },
 *   { kind: 'remove', target: 'b', after: 10 },
 *   { kind: 'restart', after: 0, calls: 2 },
 * ];
 * ```
 */
export type Step<Spec, Status, V> = StepTiming &
  (
    | { readonly kind: 'desired'; readonly resources: readonly DesiredResource<Spec, Status>[]; readonly only?: readonly ('create' | 'update' | 'delete')[] }
    | { readonly kind: 'create'; readonly resource: DesiredResource<Spec, Status> }
    | { readonly kind: 'update'; readonly name?: Key; readonly pick?: number; readonly spec: Spec }
    | { readonly kind: 'delete'; readonly name?: Key; readonly pick?: number }
    | { readonly kind: 'change'; readonly target?: string; readonly pick?: number; readonly value: V }
    | { readonly kind: 'remove'; readonly target?: string; readonly pick?: number }
    | { readonly kind: 'add'; readonly target: string; readonly value: V }
    | { readonly kind: 'restart' }
    | { readonly kind: 'custom'; readonly name: string; readonly run: (context: StepContext<V>) => Promise<void> | void }
  );

/**
 * A step as one line of plain JSON in the order its fields were written (what reproduces it), e.g.
 * `after 100 ms, at the loop's 2nd call: {"kind":"remove","pick":1}`.
 *
 * ## Example
 * ```ts
 * import { describeStep } from 'rx-reconcile/testing';
 *
 * describeStep({ kind: 'restart', after: 0 }); // 'after 0 ms: {"kind":"restart"}'
 * ```
 */
export function describeStep(step: Step<unknown, unknown, unknown>): string {
  const { after, calls, ...rest } = step;
  const when = `after ${after ?? 0} ms${calls !== undefined ? `, at the loop's ${ordinal(calls)} call` : ''}`;
  const body = rest.kind === 'custom' ? `{"kind":"custom","name":${JSON.stringify(rest.name)}}` : json(rest);
  return `${when}: ${body}`;
}

/** JSON that keeps key order (what reproduces an input), with `undefined` shown. */
export function json(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : n % 10 === 1 ? 'st' : n % 10 === 2 ? 'nd' : n % 10 === 3 ? 'rd' : 'th';
  return `${n}${s}`;
}

/** Picks `pick` modulo the candidates (in key order), or the given name. */
export function resolveTarget(given: string | undefined, pick: number | undefined, candidates: readonly string[]): string | undefined {
  if (given !== undefined) return given;
  if (candidates.length === 0) return undefined;
  const sorted = [...candidates].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = Math.abs(Math.trunc(pick ?? 0)) % sorted.length;
  return sorted[index];
}

/** Items of `items` as `[target, value]` pairs in key order. */
export function entriesOf<V>(items: Items<V>): [string, V][] {
  return Object.keys(items)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => [k, items[k] as V]);
}
