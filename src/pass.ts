/**
 * One running pass of the work queue ({@link Pass}, which doubles as the work function's
 * `PassContext`) and its result once finished ({@link FinishedPass}, a `PassResult`).
 *
 * @module
 */
import type { Subscription } from 'rxjs';
import type { FailureClass, Outcome } from './outcome.js';
import type { KeyState } from './key-state.js';
import type { ParkReason, PassContext, PassResult, PassVerdict } from './queue-types.js';
import type { Key, Request } from './types.js';

/** What a pass needs from the queue that runs it. */
export interface PassOwner {
  nextReconcileId(): string;
  convergingSince(st: KeyState): number | undefined;
  isOverdue(st: KeyState): boolean;
  assess(st: KeyState, outcome: Outcome): PassVerdict;
}

/** One running pass; doubles as the work function's context. */
export class Pass implements PassContext {
  private controller: AbortController | undefined;
  private abortReason: Error | undefined;
  private abortCallbacks: (() => void)[] | undefined;
  private id: string | undefined;
  subscription: Subscription | undefined;
  timer: Subscription | undefined;
  done = false;
  /** Index in the queue's list of running passes (swap-removed on finish). */
  slot = -1;
  readonly owner: PassOwner;
  readonly state: KeyState;
  readonly request: Request;
  readonly failures: number;
  readonly startedAt: number;
  /** Start order, to list running passes in the order they started. */
  readonly seq: number;
  constructor(owner: PassOwner, state: KeyState, request: Request, failures: number, startedAt: number, seq: number) {
    this.owner = owner;
    this.seq = seq;
    this.state = state;
    this.request = request;
    this.failures = failures;
    this.startedAt = startedAt;
  }
  get key(): Key {
    return this.state.key;
  }
  get reconcileId(): string {
    return (this.id ??= this.owner.nextReconcileId());
  }
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      // Aborted before anyone looked: the signal must still say so.
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }
  get aborted(): boolean {
    return this.abortReason !== undefined;
  }
  /** Why the pass was aborted (its `TimeoutError` or `StoppedError`), if it was. */
  get abortedBy(): Error | undefined {
    return this.abortReason;
  }
  onAbort(callback: () => void): void {
    if (this.abortReason !== undefined) callback();
    else (this.abortCallbacks ??= []).push(callback);
  }
  get convergingSince(): number | undefined {
    return this.owner.convergingSince(this.state);
  }
  get overdue(): boolean {
    return this.owner.isOverdue(this.state);
  }
  assess(outcome: Outcome): PassVerdict {
    return this.owner.assess(this.state, outcome);
  }
  /** Aborts the pass: its signal, its subscription and its abort callbacks (each contained). */
  abort(reason: Error): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    try {
      this.controller?.abort(reason);
    } catch {
      // A throwing 'abort' listener is the listener's problem, never the queue's.
    }
    try {
      this.subscription?.unsubscribe();
    } catch {
      // Teardown errors of a user Observable are dropped: the pass is over either way.
    }
    const callbacks = this.abortCallbacks;
    this.abortCallbacks = undefined;
    if (callbacks) {
      for (const callback of callbacks) {
        try {
          callback();
        } catch {
          // Same as above: an abort callback may not break the queue.
        }
      }
    }
  }
}

/** A finished pass; its `reconcileId` is made only when someone reads it (no cost on the hot path). */
export class FinishedPass implements PassResult {
  readonly key: Key;
  readonly request: Request;
  readonly startedAt: number;
  readonly outcome: Outcome;
  readonly failureClass: FailureClass | undefined;
  readonly failures: number;
  readonly finishedAt: number;
  readonly nextAttemptAt: number | undefined;
  readonly parked: ParkReason | undefined;
  private readonly pass: Pass;
  constructor(
    pass: Pass,
    outcome: Outcome,
    failureClass: FailureClass | undefined,
    failures: number,
    finishedAt: number,
    nextAttemptAt: number | undefined,
    parked: ParkReason | undefined,
  ) {
    this.pass = pass;
    this.outcome = outcome;
    this.failureClass = failureClass;
    this.failures = failures;
    this.finishedAt = finishedAt;
    this.nextAttemptAt = nextAttemptAt;
    this.parked = parked;
    this.key = pass.state.key;
    this.request = pass.request;
    this.startedAt = pass.startedAt;
  }
  get reconcileId(): string {
    return this.pass.reconcileId;
  }
  /** True when the pass was aborted (timeout or stop deadline) before it could finish by itself. */
  get aborted(): boolean {
    return this.pass.aborted;
  }
  toJSON(): Omit<PassResult, 'outcome'> & { outcome: unknown } {
    const { key, reconcileId, request, outcome, failureClass, failures, startedAt, finishedAt, nextAttemptAt, parked, aborted } = this;
    return { key, reconcileId, request, outcome, failureClass, failures, startedAt, finishedAt, nextAttemptAt, parked, aborted };
  }
}
