/**
 * The shared vocabulary of rx-reconcile (see docs/design.md): keys, resources, requests, observations,
 * plans and corrections, watch events and the `Store` port.
 *
 * @module
 */
import type { Observable } from 'rxjs';
import type { Fence } from './fence.js';

/** String identity of one thing being reconciled: `name`, or `namespace/name`. */
export type Key = string;

/** A value, a Promise of it, or anything RxJS accepts as an input (Observable, iterable…). */
export type MaybeAsync<T> = T | PromiseLike<T> | Observable<T>;

/** A reference from a child resource to the resource that owns it. */
export interface OwnerReference {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  /** Exactly one owner may be the controller of a child. */
  readonly controller?: boolean;
  /**
   * The owner's `metadata.uid`, when known: an owner deleted and created again under the same name
   * does not adopt the children of the old one (`ensureChildren` sets it).
   */
  readonly uid?: string;
}

/** Identity and bookkeeping of a stored resource. */
export interface Metadata {
  readonly name: string;
  readonly namespace?: string;
  /** Opaque; changes on every write. `update` is a compare-and-set on it. */
  readonly version: string;
  /**
   * The store-wide revision of the write that made this snapshot (etcd's `mod_revision`): every
   * write of a store gets the next revision, whatever its kind, so revisions order all changes.
   * `watch(kind, { sinceRevision })` resumes after one.
   */
  readonly revision: number;
  /** Bumps on spec changes only (never on status or metadata-only writes). Starts at 1. */
  readonly generation: number;
  readonly uid: string;
  readonly creationTimestamp: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** While non-empty, `delete` only marks the resource (sets `deletionTimestamp`). */
  readonly finalizers: readonly string[];
  /** Set by `delete` while finalizers remain; the resource is being deleted. */
  readonly deletionTimestamp?: string;
  readonly ownerReferences: readonly OwnerReference[];
}

/** A stored resource: `{ kind, metadata, spec, status? }`. Objects handed out by stores are frozen. */
export interface Resource<Spec = unknown, Status = unknown> {
  readonly kind: string;
  readonly metadata: Metadata;
  readonly spec: Spec;
  readonly status?: Status;
}

/** Metadata a caller may set on create. The store fills in the rest. */
export interface NewMetadata {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly finalizers?: readonly string[];
  readonly ownerReferences?: readonly OwnerReference[];
}

/** What `create` takes. */
export interface NewResource<Spec = unknown, Status = unknown> {
  readonly metadata: NewMetadata;
  readonly spec: Spec;
  readonly status?: Status;
}

/** Why a key was enqueued. For logs and metrics only: reconcile logic must not branch on it. */
export type TriggerReason = 'watch' | 'resync' | 'manual' | 'dependency' | 'requeue' | 'retry' | 'initial';

/** What the queue hands a worker. */
export interface ReconcileRequest {
  readonly key: Key;
  /** Why; a value outside `TriggerReason` (possible from untyped JavaScript) counts as `watch`. */
  readonly reason: TriggerReason;
  /**
   * A token of the desired state that caused this trigger, when known (`watchRequests` uses
   * `2 × generation`, plus 1 once the resource is being deleted, so deletion counts as a change).
   * A key parked after a terminal failure or quarantine, or backing off, is woken at once only by a
   * trigger with a different revision (a desired change) or by a manual trigger.
   */
  readonly revision?: number;
  /** Resync and initial-list floods go to the low lane; real changes to the high lane (G4). */
  readonly priority?: 'high' | 'low';
}

/** Output of `observe`: the desired and current state of one key. */
export interface Observation<D, C> {
  readonly key: Key;
  readonly desired: D;
  readonly current: C;
}

/** One step that moves current toward desired. Carries an idempotency key. */
export interface Correction<T = unknown> {
  readonly action: 'create' | 'update' | 'delete' | 'custom';
  /** What is corrected (e.g. the item key). */
  readonly target: string;
  /** The value to write, for create/update/custom. */
  readonly value?: T;
  /** Same correction, same key: lets an actuator drop a duplicate after a lost acknowledgement. */
  readonly idempotencyKey: string;
  /** For `custom` corrections: a short name of what to do. */
  readonly name?: string;
}

/** Output of `compare`: the corrections that make current equal desired. Empty = in sync. */
export interface Plan<D = unknown, C = unknown, T = unknown> {
  readonly key: Key;
  readonly observation: Observation<D, C>;
  readonly corrections: readonly Correction<T>[];
}

/** One change of a resource seen by `Store.watch`. The current list is replayed first with `initial: true`. */
export interface ResourceEvent<Spec = unknown, Status = unknown> {
  readonly type: 'added' | 'modified' | 'deleted';
  /** The resource after the change; for `deleted`, its last state, with the revision of the removal. */
  readonly object: Resource<Spec, Status>;
  /**
   * For `modified`: the resource before the change (the stores of this library always set it), so a
   * filter can compare old and new (`generationChanged`). Absent on other events.
   */
  readonly old?: Resource<Spec, Status>;
  /** True for the events that replay the list when a watch starts without `sinceRevision`. */
  readonly initial: boolean;
}

/**
 * Ends the replay of the list: every `initial` event has been delivered, and the watch is now
 * consistent with the store as of `revision` (resume with `watch(kind, { sinceRevision: revision })`).
 * Sent once per watch started without `sinceRevision`, even when the list is empty.
 */
export interface SyncedEvent {
  readonly type: 'synced';
  /** The store revision the replayed list was read at. */
  readonly revision: number;
  readonly initial: true;
}

/** What `Store.watch` emits: resource changes, and the end of the initial list. */
export type WatchEvent<Spec = unknown, Status = unknown> = ResourceEvent<Spec, Status> | SyncedEvent;

/** Options of `Store.watch`. */
export interface WatchOptions {
  /**
   * Resume: no list, but every change of the kind after this revision, then new changes. A revision
   * the store no longer remembers (compacted) fails the watch with `CompactedError`: list again.
   */
  readonly sinceRevision?: number;
}

/** Options of `Store.list`. */
export interface ListOptions {
  readonly namespace?: string;
  /** Every given label must match exactly. */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * The desired-state source. `createMemoryStore()` is the embedded default; other engines (etcd)
 * implement the same interface. All objects returned are frozen snapshots.
 */
export interface Store {
  get<Spec = unknown, Status = unknown>(kind: string, key: Key): Promise<Resource<Spec, Status> | undefined>;
  list<Spec = unknown, Status = unknown>(kind: string, options?: ListOptions): Promise<Resource<Spec, Status>[]>;
  create<Spec = unknown, Status = unknown>(
    kind: string,
    resource: NewResource<Spec, Status>,
  ): Promise<Resource<Spec, Status>>;
  /**
   * Writes spec and metadata (labels, annotations, finalizers, owner references). Compare-and-set on
   * `metadata.version`: a stale version rejects with `ConflictError`. Bumps `generation` when the spec
   * changed. Status is kept as stored. Removing the last finalizer of a deleting resource removes it.
   */
  update<Spec = unknown, Status = unknown>(resource: Resource<Spec, Status>): Promise<Resource<Spec, Status>>;
  /**
   * Writes status only (compare-and-set on version; never bumps `generation`). A status equal to the
   * stored one is not written: no new version, no watch event.
   */
  updateStatus<Spec = unknown, Status = unknown>(resource: Resource<Spec, Status>): Promise<Resource<Spec, Status>>;
  /**
   * Deletes, finalizer-aware: while finalizers remain, sets `deletionTimestamp` and keeps the
   * resource; otherwise removes it. Resolves to the marked resource, or `undefined` once gone.
   */
  delete(kind: string, key: Key): Promise<Resource | undefined>;
  /**
   * The current list (as `initial` events) and a `synced` event, then every change, in write order;
   * or, with `sinceRevision`, every change after that revision, then new ones. Errors of the stream
   * are the store's (a lost connection, `CompactedError`): the caller restarts it.
   */
  watch<Spec = unknown, Status = unknown>(kind: string, options?: WatchOptions): Observable<WatchEvent<Spec, Status>>;
  /**
   * Optional: a view of this store whose writes (`create`, `update`, `updateStatus`, `delete`) are
   * applied only while `fence` is still the current ownership, checked inside the write itself (for
   * etcd: one transaction comparing the owning shard key's revision); otherwise the write fails with
   * `FencedError` and nothing is written. Reads and watches go to the store as they are. A store
   * without it cannot fence: a loop with a coordinator still runs only the keys it owns, but a deposed
   * owner's in-flight write can land (the loop logs a warning once at its start).
   */
  fenced?(fence: Fence): Store;
}
