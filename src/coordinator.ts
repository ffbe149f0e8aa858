/**
 * The `Coordinator` port: which keys this replica owns when several replicas run the same loop, and
 * the fencing token that proves it. `defineLoop({ coordinator })` uses it without knowing the engine
 * behind it; `etcdCoordinator` (`rx-reconcile/etcd`) implements it on etcd leases.
 *
 * @module
 */
import type { Observable } from 'rxjs';
import type { Key } from './types.js';

export type { Fence } from './fence.js';
import type { Fence } from './fence.js';


/** Work on a key under its current ownership; see {@link Coordinator.hold}. */
export interface OwnershipHold {
  readonly fence: Fence;
  /** The work is done: the key's ownership may be handed over. Idempotent. */
  release(): void;
}

/** A change of what this replica owns. */
export interface OwnershipChange {
  /** Coordination records (e.g. shards) this replica gained: their keys need a fresh list. */
  readonly gained: readonly string[];
  /** Records it lost or handed over: passes of their keys must not start any more. */
  readonly lost: readonly string[];
  /** Whether it now owns everything the membership assigns to it (see {@link Coordinator.ready}). */
  readonly ready: boolean;
}

/**
 * Decides which replica runs the passes of which key: one acting owner per key across processes
 * (G19). A loop given a coordinator starts a pass only for a key it `hold`s, re-lists its kind when it
 * gains keys, and makes every store write of the pass through `store.fenced(hold.fence)`.
 */
export interface Coordinator {
  /** This replica's name, unique among the replicas. */
  readonly replica: string;
  /** Cheap and synchronous: does this replica own `key` right now (and may start a pass for it)? */
  owns(key: Key): boolean;
  /** The fence of this replica's current ownership of `key`; undefined when it does not own it. */
  fence(key: Key): Fence | undefined;
  /**
   * Starts work on `key`: undefined when it is not owned; otherwise its fence, and the coordinator
   * hands the key over (on a membership change) only after `release()` or its release deadline.
   */
  hold(key: Key): OwnershipHold | undefined;
  /**
   * Ownership changes, as they happen (hot; no replay of the past). A coordinator may also emit a
   * change with nothing gained or lost (readiness or membership moved).
   */
  readonly changes$: Observable<OwnershipChange>;
  /** True when this replica is a member and owns everything the membership assigns to it. */
  ready(): boolean;
}
