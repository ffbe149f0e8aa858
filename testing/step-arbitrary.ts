/**
 * The generator of step schedules `checkConvergence` runs: desired states from the check's own
 * desired generator, world values from its current generator, restarts — with timings that put
 * steps both between passes and in the middle of them.
 *
 * @module
 */
import fc from 'fast-check';
import type { Arbitrary } from 'fast-check';
import type { DesiredResource } from './definition.js';
import { STEP_KINDS, entriesOf } from './steps.js';
import type { Step, StepKind, StepTiming } from './steps.js';
import type { Items } from './world.js';

/**
 * Options of the steps `checkConvergence` generates (`steps: false` turns them off).
 *
 * ## Example
 * ```ts
 * await checkConvergence(def, { desired, current, steps: { kinds: { restart: false }, max: 4 } });
 * ```
 */
export interface StepOptions<Spec, Status, V> {
  /**
   * Kinds of step to generate (see {@link StepKind}). Default: all of them, except `add` (someone
   * else adds an item), which is on only when the definition's `expected` declares its second
   * parameter (`expected(resources, initial)`, so it says what becomes of items others add). Set a
   * kind to `true` or `false` to decide yourself.
   */
  readonly kinds?: Partial<Record<StepKind, boolean>>;
  /** Most steps in one run. Default 6. */
  readonly max?: number;
  /**
   * Faults happen only within this many virtual ms after the start and after each step, so they
   * land where the loop is busy (unless `faults.until` is given: then everywhere before it).
   * Default 5000.
   */
  readonly faultWindow?: number;
  /** Your own step generators, drawn from alongside the generated kinds. */
  readonly arbitraries?: readonly Arbitrary<Step<Spec, Status, V>>[];
  /** Your own schedule generator, used instead of the generated one (and of `arbitraries`). */
  readonly schedule?: Arbitrary<readonly Step<Spec, Status, V>[]>;
}

/**
 * The delays between steps: often at once (changes come in bursts: a second edit while the loop
 * still works on the first), else within a pass's time, around a backoff, or well after.
 */
const after = fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.constantFrom(1, 100, 1_000, 5_000, 20_000), weight: 5 });

const timing: Arbitrary<StepTiming> = fc
  .tuple(after, fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }))
  .map(([wait, calls]) => (calls === undefined ? { after: wait } : { after: wait, calls }));

/**
 * A generator of step schedules: `desired` and `current` are the check's generators of the desired
 * resources and of the world (their samples become new desired states and world values), `kinds`
 * says which kinds to draw. At most `max` steps.
 *
 * Use it to build your own `schedule` from the kit's pieces (e.g. twice as many steps).
 *
 * ## Example
 * ```ts
 * import fc from 'fast-check';
 * import { stepSchedule } from 'rx-reconcile/testing';
 *
 * const desiredArb = fc.constant([{ metadata: { name: 'a' }, spec: { size: 1 } }]);
 * const currentArb = fc.dictionary(fc.constantFrom('a', 'b'), fc.nat(9));
 * const schedule = stepSchedule(desiredArb, currentArb, { kinds: { restart: true, create: true, update: true, delete: true }, max: 12 });
 * ```
 */
export function stepSchedule<Spec, Status, V>(
  desired: Arbitrary<readonly DesiredResource<Spec, Status>[]>,
  current: Arbitrary<Items<V>> | undefined,
  options: { readonly kinds?: Partial<Record<StepKind, boolean>>; readonly max?: number; readonly arbitraries?: readonly Arbitrary<Step<Spec, Status, V>>[] } = {},
): Arbitrary<readonly Step<Spec, Status, V>[]> {
  const on = (kind: StepKind) => options.kinds?.[kind] ?? true;
  type Body = Step<Spec, Status, V> | undefined;
  const bodies: { arbitrary: Arbitrary<Body>; weight: number }[] = [];

  const desiredKinds = (['create', 'update', 'delete'] as const).filter(on);
  if (desiredKinds.length > 0) {
    const only = desiredKinds.length === 3 ? {} : { only: desiredKinds };
    bodies.push({ arbitrary: desired.map((resources): Body => ({ kind: 'desired', resources, ...only })), weight: 3 });
  }
  if (current !== undefined && on('change')) {
    const change = fc.tuple(fc.nat(), fc.nat(), current).map(([pick, choose, items]): Body => {
      const entries = entriesOf(items);
      const entry = entries[choose % Math.max(1, entries.length)];
      return entry === undefined ? undefined : { kind: 'change', pick, value: entry[1] };
    });
    bodies.push({ arbitrary: change, weight: 1 });
  }
  if (on('remove')) bodies.push({ arbitrary: fc.nat().map((pick): Body => ({ kind: 'remove', pick })), weight: 1 });
  if (current !== undefined && on('add')) {
    const add = fc.tuple(fc.nat(), current).map(([choose, items]): Body => {
      const entries = entriesOf(items);
      const entry = entries[choose % Math.max(1, entries.length)];
      return entry === undefined ? undefined : { kind: 'add', target: entry[0], value: entry[1] };
    });
    bodies.push({ arbitrary: add, weight: 1 });
  }
  if (on('restart')) bodies.push({ arbitrary: fc.constant<Body>({ kind: 'restart' }), weight: 1 });
  for (const arbitrary of options.arbitraries ?? []) bodies.push({ arbitrary: arbitrary.map((s): Body => s), weight: 1 });
  if (bodies.length === 0) return fc.constant([]);

  const step = fc.tuple(timing, fc.oneof(...bodies)).map(([when, body]) => (body === undefined ? undefined : ({ ...body, ...when } as Step<Spec, Status, V>)));
  return fc
    .array(step, { maxLength: options.max ?? 6 })
    .map((steps) => steps.filter((s): s is Step<Spec, Status, V> => s !== undefined));
}

/** The kinds on by default: every kind but `add`, which needs an `expected` that reads the initial world. */
export function defaultStepKinds(expectedTakesInitial: boolean, given: Partial<Record<StepKind, boolean>> = {}): Record<StepKind, boolean> {
  const kinds = {} as Record<StepKind, boolean>;
  for (const kind of STEP_KINDS) kinds[kind] = given[kind] ?? (kind === 'add' ? expectedTakesInitial : true);
  return kinds;
}
