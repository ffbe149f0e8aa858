/**
 * `rx-reconcile/operators`: hard mode. The keyed work queue and one pipeable operator (or trigger
 * source) per concept, to compose a loop by hand; `defineLoop` (in `rx-reconcile`) is built from them.
 *
 * @module
 */

/* The work queue and its control */
export { workQueue } from './work-queue.js';
export { createQueueControl } from '../src/queue-control.js';
export type { QueueControl } from '../src/queue-control.js';
export type { QueueSnapshot, QueueStats, Work, WorkQueueOptions } from '../src/queue-types.js';

/* Triggers: what enqueues keys */
export { watchRequests } from './watch-requests.js';
export { watchEvents } from './watch-events.js';
export { resync } from './resync.js';
export { triggerWith } from './trigger-with.js';
export { triggerOwners } from './trigger-owners.js';
export { ignoreOwnWrites } from './ignore-own-writes.js';

/* The four phases */
export { observe } from './observe.js';
export { compare } from './compare.js';
export type { CompareFn } from './compare.js';
export { correct } from './correct.js';
export type { ApplyFn } from './correct.js';
export { verify } from './verify.js';

/* Around a pass */
export { withSchema, InvalidSpecError } from './with-schema.js';
export { withConditions } from './with-conditions.js';
export { withFinalizer } from './with-finalizer.js';
export { withOwnership } from './with-ownership.js';
export { retryWithBackoff } from './retry-with-backoff.js';
export { instrument } from './instrument.js';
