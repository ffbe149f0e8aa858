/**
 * The zod schema of the work queue's options, checked when a queue (or a loop) is defined: a bad value
 * is refused there, naming the option, instead of becoming a `NaN` in the queue's shared timer heap.
 *
 * @module
 */
import { z } from 'zod';
import { backoffPolicySchema } from './backoff-schema.js';
import { checkOptions, fn, int, ms, schedulerLike, withMethods } from './check-options.js';
import type { WorkQueueOptions } from './queue-types.js';

/** Defaults of the hot-key limits (see `WorkQueueOptions.hotKeys`). */
export const defaultHotKeys = Object.freeze({ after: 10, perSecond: 20 });

/** Default time slice (ms) after which a queue whose passes do no real I/O yields to the event loop. */
export const defaultTimeSlice = 5;

const rateLimitSchema = z.strictObject({
  qps: z.number({ error: 'must be a finite number > 0' }).gt(0, 'must be a finite number > 0'),
  burst: int(1),
});

/** The options every queue shares with the loops built on it. */
export const queueOptionsShape = {
  workers: int(1, 100_000).optional(),
  scheduler: schedulerLike().optional(),
  backoff: backoffPolicySchema.optional(),
  rateLimit: rateLimitSchema.optional(),
  classify: fn('a function (error) => failure class').optional(),
  conflictRetries: int(0, 100).optional(),
  dependencyInterval: ms().optional(),
  timeout: z.number({ error: 'must be a finite number of ms > 0' }).gt(0, 'must be a finite number of ms > 0').optional(),
  convergenceDeadline: z.number({ error: 'must be a finite number of ms > 0' }).gt(0, 'must be a finite number of ms > 0').optional(),
  agingEvery: int(1, 1_000_000).optional(),
  random: fn('a function returning numbers in [0, 1)').optional(),
  timeSlice: z.number({ error: 'must be a finite number of ms ≥ 1' }).min(1, 'must be a finite number of ms ≥ 1').optional(),
  hotKeys: z
    .strictObject({
      after: int(1, 63).optional(),
      perSecond: z.number({ error: 'must be a rate > 0 and ≤ 1000 per second' }).gt(0, 'must be a rate > 0 and ≤ 1000 per second').max(1000, 'must be a rate > 0 and ≤ 1000 per second').optional(),
    })
    .optional(),
} as const;

const workQueueOptionsSchema = z.strictObject({
  ...queueOptionsShape,
  hooks: z.custom<object>((v) => typeof v === 'object' && v !== null, 'must be an object of hook functions').optional(),
  results: z.union([z.boolean(), fn('a function () => boolean')], { error: 'must be true, false or a function () => boolean' }).optional(),
  control: withMethods<object>('a QueueControl from createQueueControl()', 'trigger', 'release', 'snapshot').optional(),
});

/**
 * Checks the options of a work queue; returns them unchanged or throws an `InvalidArgumentError`
 * naming each bad or unknown option.
 */
export function checkWorkQueueOptions(options: WorkQueueOptions, where = 'workQueue'): WorkQueueOptions {
  return checkOptions(where, workQueueOptionsSchema, options);
}
