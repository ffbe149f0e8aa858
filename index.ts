/**
 * `rx-reconcile`: the kernel values (outcomes, backoff policies, errors, status conditions, keys), the
 * desired-state store, idempotent writes, and the easy-mode builder {@link defineLoop} with its
 * self-describing design document ({@link describeLoops}).
 *
 * Hard-mode operators live in `rx-reconcile/operators`, the testing kit in `rx-reconcile/testing`,
 * and each adapter in its own entry (`/prometheus`, `/sqlite`, `/etcd`, `/admin`), the only importer
 * of its optional peer. Everything not listed here is internal and may change without notice.
 *
 * @module
 */

/* Vocabulary */
export type {
  Correction,
  Key,
  Metadata,
  NewResource,
  OwnerReference,
  Plan,
  ReconcileRequest,
  Resource,
  ResourceEvent,
  Store,
  TriggerReason,
  WatchEvent,
} from './src/types.js';
export { keyOf, parseKey } from './src/key.js';

/* Outcomes, failure classes and backoff */
export { Outcome, classifyError } from './src/outcome.js';
export type { FailureClass } from './src/outcome.js';
export * as Backoff from './src/backoff.js';
export type { BackoffPolicy } from './src/backoff.js';

/* Errors: each has a stable `code` */
export {
  AlreadyExistsError,
  CompactedError,
  ConflictError,
  DependencyNotReadyError,
  FencedError,
  InvalidArgumentError,
  MalformedResourceError,
  NotFoundError,
  PermanentError,
  ReconcileError,
  ResourceTooLargeError,
  StoppedError,
  StoreClosedError,
  TimeoutError,
  TransientError,
  ValidationError,
} from './src/errors.js';
export type { ErrorCode } from './src/errors.js';

/* Stores and typed kinds */
export { createMemoryStore } from './src/store.js';
export type { MemoryStore, MemoryStoreOptions } from './src/store.js';
export { defineKind } from './src/kind.js';
export type { KindDefinition } from './src/kind.js';

/* Idempotent writes: apply, delete-if-exists, owned children, finalizers */
export { apply, deleteIfExists } from './src/apply.js';
export { ensureChildren, isOwnedBy, ownerReferenceOf } from './src/children.js';
export { addFinalizer, removeFinalizer } from './src/finalizers.js';
export { once } from './src/ledger.js';

/* Watch event matchers */
export { generationChanged, onAdd, onDelete, onUpdate } from './src/event-matchers.js';

/* Status conditions */
export { getCondition, isConditionTrue, setCondition } from './src/status.js';
export type { Condition, ReconcileStatus } from './src/status.js';

/* Diff and equality */
export { setDiff } from './src/diff.js';
export { rateLimit } from './src/rate-limit.js';
export { deepEqual } from './src/equal.js';

/* Passes, ports and coordination */
export type { PassContext, PassResult } from './src/queue-types.js';
export type { Logger, Metrics } from './src/ports.js';
export type { Coordinator } from './src/coordinator.js';
export type { Fence } from './src/fence.js';

/* Easy mode */
export { defineLoop } from './operators/define-loop.js';
export type { Loop, LoopContext, LoopHealth, LoopOptions, LoopState, StreamLoopOptions } from './operators/define-loop.js';

/* The loops' design document */
export { describeLoops, describeLoopsDocument, describeLoopsHtml, watchLoops } from './operators/describe-loops.js';
