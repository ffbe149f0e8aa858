/**
 * The zod schemas of backoff policies and of the options of their builders.
 *
 * Builders (`Backoff.exponential`, …) check their options with these when a policy is made, and the
 * queue checks any policy it is given (built by hand from plain objects, or deserialised) with
 * {@link backoffPolicySchema} when a loop is defined: a policy without `kind`, or with a `NaN` delay,
 * is refused there instead of putting `NaN` due times into the queue's shared timer heap.
 *
 * @module
 */
import { z } from 'zod';
import type { BackoffPolicy } from './backoff-policy.js';
import { int, ms } from './check-options.js';

const ratio = () => z.number({ error: 'must be a ratio from 0 to 1' }).min(0, 'must be a ratio from 0 to 1').max(1, 'must be a ratio from 0 to 1');
const steps = () => int(1);

/** Options of `Backoff.exponential`. */
export const exponentialOptionsSchema = z.strictObject({
  initial: ms(),
  factor: z.number({ error: 'must be a finite number ≥ 1' }).min(1, 'must be a finite number ≥ 1').optional(),
  steps: steps().optional(),
  cap: ms().optional(),
  jitter: z.union([ratio(), z.boolean()], { error: 'must be a ratio from 0 to 1, or a boolean' }).optional(),
});

/** Options of `Backoff.constant`. */
export const constantOptionsSchema = z.strictObject({ delay: ms(), steps: steps().optional() });

/** Options of `Backoff.linear`. */
export const linearOptionsSchema = z.strictObject({ initial: ms(), increment: ms(), steps: steps().optional(), cap: ms().optional() });

/**
 * Any {@link BackoffPolicy}: a tagged union on `kind`, checked recursively (jitter, cap and maxOf wrap
 * other policies).
 */
export const backoffPolicySchema: z.ZodType<BackoffPolicy> = z.lazy(() =>
  z.discriminatedUnion(
    'kind',
    [
      z.object({ kind: z.literal('exponential'), initial: ms(), factor: z.number().min(1), steps: steps(), cap: ms().optional() }),
      z.object({ kind: z.literal('constant'), delay: ms(), steps: steps() }),
      z.object({ kind: z.literal('linear'), initial: ms(), increment: ms(), steps: steps(), cap: ms().optional() }),
      z.object({ kind: z.literal('jitter'), policy: backoffPolicySchema, ratio: ratio() }),
      z.object({ kind: z.literal('cap'), policy: backoffPolicySchema, max: ms() }),
      z.object({ kind: z.literal('maxOf'), policies: z.array(backoffPolicySchema).min(1) }),
    ],
    { error: 'must be a backoff policy built with Backoff.exponential / constant / linear / jitter / cap / maxOf' },
  ),
) as z.ZodType<BackoffPolicy>;
