/**
 * The fencing token a write carries: the store contract's only piece of coordination (see
 * `coordinator.ts` for who hands fences out).
 *
 * @module
 */

/**
 * Proof that this replica owns a key, carried by every write made for it. `token` grows with every
 * new ownership: a later owner always holds a larger token than any owner before it.
 *
 * Stores that can fence (`store.fenced(fence)`, e.g. the etcd store) check it inside each write, so a
 * deposed owner's write fails with `FencedError` and is never applied. A world adapter can do the
 * same for its own side effects: keep the largest token seen per target and refuse writes that carry
 * a smaller one (or check `signal` right before acting, a weaker guard that a pause can defeat).
 */
export interface Fence {
  /** The coordination record whose revision is the token (for etcd: the owning shard's key). */
  readonly lock: string;
  /** The fencing token: the revision at which this ownership of `lock` began. */
  readonly token: number;
  /**
   * Aborted as soon as this replica knows the ownership is over (released, stepped down at its renew
   * deadline, lease lost). A paused process learns it only when it runs again: fence writes as well.
   */
  readonly signal: AbortSignal;
}
