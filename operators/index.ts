/**
 * `rx-reconcile/operators`: the DSL. One pipeable operator (or trigger source) per file.
 *
 * @module
 */
export { compare, completeCorrections } from './compare.js';
export type { CompareFn, CorrectionInput } from './compare.js';
export { correct } from './correct.js';
export type { Applied, ApplyFn, CorrectOptions } from './correct.js';
export { defineLoop } from './define-loop.js';
export type * from './define-loop.js';
export { instrument } from './instrument.js';
export type { InstrumentOptions } from './instrument.js';
export { observe } from './observe.js';
export type { ObserveOptions } from './observe.js';
export type { Reader } from './read.js';
export { resync } from './resync.js';
export type { ResyncOptions } from './resync.js';
export { triggerOwners } from './trigger-owners.js';
export type { TriggerOwnersOptions } from './trigger-owners.js';
export { triggerWith } from './trigger-with.js';
export type { TriggerWithOptions } from './trigger-with.js';
export { verify } from './verify.js';
export type { VerifyOptions } from './verify.js';
export { revisionOf, watchRequests } from './watch-requests.js';
export { isWellFormedEvent, watchEvents } from './watch-events.js';
export type { WatchEventsOptions } from './watch-events.js';
export { retryWithBackoff } from './retry-with-backoff.js';
export type { RetryWithBackoffOptions } from './retry-with-backoff.js';
export type { WatchRequestsOptions } from './watch-requests.js';
export { workQueue } from './work-queue.js';
export { QueueControl, createQueueControl } from '../src/index.js';
export { callerSource, describeLoops, describeLoopsDocument, describeLoopsHtml, watchLoops } from './describe-loops.js';
export type { Block, ChecklistItem, CheckReportSummary, ConvergenceFigures, CorrectionDoc, DescribableLoop, DescribedDocument, DescribeLoopsOptions, DocText, IdempotencyCheck, Language, LiveFigures, LoopDocs, LoopWatch, Percentiles, WatchableLoop, WatchLoopsOptions } from './describe-loops.js';
export { logLines } from './instrument.js';
export type { LogLine } from './instrument.js';
export { ignoreOwnWrites } from './ignore-own-writes.js';
export type { IgnoreOwnWritesOptions } from './ignore-own-writes.js';
export { withConditions } from './with-conditions.js';
export type { ConditionsOptions } from './with-conditions.js';
export { withFinalizer } from './with-finalizer.js';
export type { FinalizerOptions, LiveWork, PassReader } from './with-finalizer.js';
export { InvalidSpecError, withSchema } from './with-schema.js';
export type { SchemaOptions, SpecSchema } from './with-schema.js';
export { ownershipOf, withOwnership } from './with-ownership.js';
export type { OwnedPassContext, Ownership, OwnershipOptions } from './with-ownership.js';
