/**
 * INTERNAL: the kernel's barrel, for the package's own modules (operators, adapters, tests, bench).
 * Not an entry point: the public names are the ones `index.ts` (the `rx-reconcile` entry) lists.
 *
 * The kernel of rx-reconcile: values (outcomes, backoff policies, errors, status conditions), the
 * desired-state store, the keyed work queue engine, and the ports for logging and metrics.
 *
 * The kernel never imports the operators; the package entry `rx-reconcile` adds the easy-mode
 * builder `defineLoop` on top of it.
 *
 * @module
 */

/* Vocabulary */
export type {
  Correction,
  Key,
  ListOptions,
  MaybeAsync,
  Metadata,
  NewMetadata,
  NewResource,
  Observation,
  OwnerReference,
  Plan,
  ReconcileRequest,
  Resource,
  ResourceEvent,
  Store,
  SyncedEvent,
  TriggerReason,
  WatchEvent,
  WatchOptions,
} from './types.js';
export { keyOf, parseKey } from './key.js';

/* Outcomes and failure classes */
export { Outcome, classifyError, defaultClassify } from './outcome.js';
export type { Classifier, Converged, FailureClass, RequeueAfter, Retry, Terminal, Waiting } from './outcome.js';

/* Errors */
export {
  AlreadyExistsError,
  CompactedError,
  ConflictError,
  DependencyNotReadyError,
  FencedError,
  InvalidArgumentError,
  MalformedResourceError,
  NonErrorThrownError,
  NotFoundError,
  PermanentError,
  ReconcileError,
  ResourceTooLargeError,
  StoppedError,
  StoreClosedError,
  TimeoutError,
  TransientError,
  ValidationError,
  toError,
} from './errors.js';
export type { ErrorCode, ValidationIssue } from './errors.js';

/* Backoff and rate limits */
export * as Backoff from './backoff.js';
export type { BackoffPolicy } from './backoff.js';
export { TokenBucket, rateLimit } from './rate-limit.js';
export type { RateLimit } from './rate-limit.js';

/* Store */
export { createMemoryStore, defaultMaxResourceBytes } from './store.js';
export type { KindOptions, MemoryStore, MemoryStoreOptions } from './store.js';

/* Typed kinds */
export { defineKind } from './kind.js';
export type { KindDefinition } from './kind.js';

/* Idempotent writes: apply, delete-if-exists, owned children, finalizers, the side-effect ledger */
export { apply, deleteIfExists } from './apply.js';
export type { Applied, ApplyAction } from './apply.js';
export { deleteOwnedChildren, ensureChildren, isOwnedBy, ownedBy, ownerReferenceOf } from './children.js';
export type { ChildrenReport, Owner } from './children.js';
export { addFinalizer, removeFinalizer } from './finalizers.js';
export { LEDGER_KIND, once } from './ledger.js';
export type { Delivery, LedgerScope, OnceResult } from './ledger.js';

/* Watch event matchers */
export { generationChanged, onAdd, onDelete, onUpdate } from './event-matchers.js';
export type { EventFilter } from './event-matchers.js';

/* Status conditions */
export {
  ConditionReasons,
  ConditionTypes,
  getCondition,
  passConditions,
  recordPass,
  isConditionTrue,
  produceStatus,
  removeCondition,
  setCondition,
  stampObservedGeneration,
  statusEquals,
} from './status.js';
export type { Condition, ConditionStatus, ConditionType, PassReport, ReconcileStatus } from './status.js';

/* Work queue engine */
export { KeyedQueue, QueueControl, createQueueControl } from './queue.js';
export { checkWorkQueueOptions, defaultHotKeys, defaultTimeSlice } from './queue-options.js';
export { decide } from './failure-model.js';
export type { Decision, FailurePolicy, Hold } from './failure-model.js';
export { every, maxTimerDelay, scheduleAfter, timerAfter } from './timer.js';
export type {
  DelayedKey,
  HotKey,
  InFlightKey,
  ParkReason,
  ParkedKey,
  PassContext,
  PassResult,
  PassVerdict,
  QueueCounters,
  QueueHooks,
  QueueSnapshot,
  QueueStats,
  Work,
  WorkQueueOptions,
} from './queue.js';

/* Diff */
export { applyPlan, idempotencyKeyOf, setDiff, stableHash } from './diff.js';
export { deepEqual } from './equal.js';
export type { Items, SetDiffOptions } from './diff.js';

/* Ports */
export type { Coordinator, Fence, OwnershipChange, OwnershipHold } from './coordinator.js';
export { noopLogger, noopMetrics, safeLogger } from './ports.js';
export type { LogFields, Logger, LoopProbe, Metrics } from './ports.js';

/* What a metrics adapter says about itself (the Prometheus adapter is `rx-reconcile/prometheus`) */
export { isDescribedMetrics } from './described-metrics.js';
export type { DescribedMetrics, MetricDescription, MetricNaming } from './described-metrics.js';

