/**
 * The options of the checks and of `simulate`, checked when given (zod): a misspelt key, a
 * probability above 1 or a negative delay is refused with a `BadDefinitionError` that names it, never
 * silently ignored.
 *
 * @module
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../src/index.js';
import { checkOptions, fn, int, ms, period } from '../src/check-options.js';
import { BadDefinitionError } from './errors.js';
import { STEP_KINDS } from './steps.js';

/** A fast-check arbitrary (duck-typed: it has `generate`). */
const arbitrary = (what: string) =>
  z.custom<unknown>((v) => typeof v === 'object' && v !== null && typeof (v as { generate?: unknown }).generate === 'function', `must be ${what} (a fast-check arbitrary)`);

const probability = () => z.number({ error: 'must be a probability from 0 to 1' }).min(0, 'must be a probability from 0 to 1').max(1, 'must be a probability from 0 to 1');

const storeFaults = z.strictObject({
  dropEvent: probability().optional(),
  duplicateEvent: probability().optional(),
  reorderEvent: probability().optional(),
  delayEvent: probability().optional(),
  maxEventDelay: period().optional(),
  staleRead: probability().optional(),
  writeError: probability().optional(),
  writeConflict: probability().optional(),
  lostAck: probability().optional(),
});

const worldFaults = z.strictObject({
  error: probability().optional(),
  conflict: probability().optional(),
  lostAck: probability().optional(),
  delay: probability().optional(),
  maxDelay: period().optional(),
  staleRead: probability().optional(),
});

const faults = z.strictObject({ store: z.unknown().optional(), world: z.unknown().optional(), until: ms().optional(), window: period().optional() });

const timing = { after: ms().optional(), calls: int(1).optional() };
const named = z.union([z.string().min(1), z.undefined()]);
/** One step, by kind, with the fields that kind needs. */
export const stepSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('desired'), resources: z.array(z.unknown()), only: z.array(z.enum(['create', 'update', 'delete'])).optional(), ...timing }),
    z.strictObject({ kind: z.literal('create'), resource: z.object({ metadata: z.object({ name: z.string().min(1) }).loose() }).loose(), ...timing }),
    z.strictObject({ kind: z.literal('update'), name: named.optional(), pick: int(0).optional(), spec: z.unknown(), ...timing }),
    z.strictObject({ kind: z.literal('delete'), name: named.optional(), pick: int(0).optional(), ...timing }),
    z.strictObject({ kind: z.literal('change'), target: named.optional(), pick: int(0).optional(), value: z.unknown(), ...timing }),
    z.strictObject({ kind: z.literal('remove'), target: named.optional(), pick: int(0).optional(), ...timing }),
    z.strictObject({ kind: z.literal('add'), target: z.string().min(1), value: z.unknown(), ...timing }),
    z.strictObject({ kind: z.literal('restart'), ...timing }),
    z.strictObject({ kind: z.literal('custom'), name: z.string().min(1), run: fn('a function (context) => void | Promise<void>'), ...timing }),
  ],
  { error: `must be a step: an object whose kind is one of desired, ${STEP_KINDS.join(', ')}, custom` },
);

const kinds = z.strictObject(Object.fromEntries(STEP_KINDS.map((k) => [k, z.boolean({ error: 'must be true or false' }).optional()])));

const stepOptions = z.strictObject({
  kinds: z.unknown().optional(),
  max: int(0, 1000).optional(),
  faultWindow: period().optional(),
  arbitraries: z.array(arbitrary('a step generator')).optional(),
  schedule: arbitrary('a generator of step lists').optional(),
});

const checkShape = {
  desired: arbitrary('a generator of desired resources').optional(),
  current: arbitrary('a generator of world items').optional(),
  state: arbitrary('a generator of { desired, current }').optional(),
  numRuns: int(1).optional(),
  seed: z.number({ error: 'must be an integer seed' }).int('must be an integer seed').optional(),
  path: z.string({ error: 'must be the path of a failure (a string such as "3:1:0")' }).optional(),
  within: period().optional(),
  traceLines: int(0).optional(),
};

const convergenceOptions = z.strictObject({ ...checkShape, faults: z.unknown().optional(), steps: z.unknown().optional() });
const idempotenceOptions = z.strictObject({ ...checkShape, gap: ms().optional() });
const simulationOptions = z.strictObject({
  desired: z.array(z.object({ metadata: z.object({ name: z.string().min(1) }).loose() }).loose(), { error: 'must be an array of resources ({ metadata: { name }, spec })' }).optional(),
  current: z.record(z.string(), z.unknown(), { error: 'must be the world items: an object of target → value' }).optional(),
  seed: z.number({ error: 'must be a number' }).int('must be an integer').optional(),
  faults: z.unknown().optional(),
  steps: z.array(stepSchema, { error: 'must be an array of steps' }).optional(),
  maxPassesPerInstant: int(1).optional(),
  maxIoTurns: int(0).optional(),
  releaseWhenFaultsEnd: z.boolean({ error: 'must be true or false' }).optional(),
  until: ms().optional(),
});

/** Checks options against a schema; a bad one is a `BadDefinitionError` naming the key and the fix. */
function check(where: string, schema: z.ZodType, options: unknown): void {
  try {
    checkOptions(where, schema, options);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new BadDefinitionError(error.message);
    throw error;
  }
}

/** Checks `faults` (and its `store` and `world` parts), each level naming its own keys. */
function checkFaults(where: string, given: unknown): void {
  if (given === undefined) return;
  check(`${where}: faults`, faults, given);
  const { store, world } = given as { store?: unknown; world?: unknown };
  if (store !== undefined) check(`${where}: faults.store`, storeFaults, store);
  if (world !== undefined) check(`${where}: faults.world`, worldFaults, world);
}

/** Checks the options of `checkConvergence`. */
export function checkConvergenceOptions(options: unknown): void {
  check('checkConvergence', convergenceOptions, options);
  const { faults: given, steps } = options as { faults?: unknown; steps?: unknown };
  checkFaults('checkConvergence', given);
  if (steps === undefined || steps === false) return;
  if (typeof steps !== 'object' || steps === null) throw new BadDefinitionError(`checkConvergence: steps must be false or the step options ({ kinds, max, faultWindow, arbitraries, schedule }) (got ${String(steps)})`);
  check('checkConvergence: steps', stepOptions, steps);
  const kindsGiven = (steps as { kinds?: unknown }).kinds;
  if (kindsGiven !== undefined) check('checkConvergence: steps.kinds', kinds, kindsGiven);
}

/** Checks the options of `checkIdempotent`. */
export function checkIdempotenceOptions(options: unknown): void {
  check('checkIdempotent', idempotenceOptions, options);
}

/** Checks the options of `simulate` and `startSimulation`. */
export function checkSimulationOptions(where: string, options: unknown): void {
  check(where, simulationOptions, options);
  checkFaults(where, (options as { faults?: unknown }).faults);
}
