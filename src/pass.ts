/**
 * One running pass of the work queue ({@link Pass}, which doubles as the work function's
 * `PassContext`) and its result once finished ({@link FinishedPass}, a `PassResult`).
 *
 * A pass is on the hot path of every drain: it holds eight fields, and everything a pass rarely
 * needs (its abort state, `AbortController`, abort callbacks, pass id, timeout timer, Observable
 * subscription) lives in a {@link PassExtras} made on first need.
 *
 * @module
 */
import type { Subscription } from 'rxjs';
import { Outcome, type FailureClass } from './outcome.js';
import { KEY_STATE_SHAPE, type KeyState } from './key-state.js';
import type { ParkReason, PassContext, PassResult, PassVerdict } from './queue-types.js';
import type { Key, ReconcileRequest } from './types.js';

/** What a pass needs from the queue that runs it. */
export interface PassOwner {
  nextReconcileId(): string;
  convergingSince(st: KeyState): number | undefined;
  isOverdue(st: KeyState): boolean;
  assess(st: KeyState, outcome: Outcome): PassVerdict;
}

/** The rarely used state of a pass, made on first need. */
export class PassExtras {
  controller: AbortController | undefined = undefined;
  abortReason: Error | undefined = undefined;
  abortCallbacks: (() => void)[] | undefined = undefined;
  id: string | undefined = undefined;
  /** The subscription of an Observable result that has not completed yet. */
  subscription: Subscription | undefined = undefined;
  /** The pass's timeout timer. */
  timer: Subscription | undefined = undefined;
}

/** One running pass; doubles as the work function's context. */
export class Pass implements PassContext {
  /** Index in the queue's list of running passes (swap-removed on finish); -1 once the pass is done. */
  slot = -1;
  /** Abort state, pass id, timer and subscription, when the pass has any. */
  extras: PassExtras | undefined = undefined;
  readonly owner: PassOwner;
  readonly state: KeyState;
  readonly request: ReconcileRequest;
  readonly failures: number;
  readonly startedAt: number;
  /** Start order, to list running passes in the order they started. */
  readonly seq: number;
  constructor(owner: PassOwner, state: KeyState, request: ReconcileRequest, failures: number, startedAt: number, seq: number) {
    this.owner = owner;
    this.state = state;
    this.request = request;
    this.failures = failures;
    this.startedAt = startedAt;
    this.seq = seq;
  }
  /** True once the pass has finished (or was dropped by a dispose). */
  get done(): boolean {
    return this.slot < 0;
  }
  get key(): Key {
    return this.state.key;
  }
  get reconcileId(): string {
    const extras = (this.extras ??= new PassExtras());
    return (extras.id ??= this.owner.nextReconcileId());
  }
  get signal(): AbortSignal {
    const extras = (this.extras ??= new PassExtras());
    if (extras.controller === undefined) {
      extras.controller = new AbortController();
      // Aborted before anyone looked: the signal must still say so.
      if (extras.abortReason !== undefined) extras.controller.abort(extras.abortReason);
    }
    return extras.controller.signal;
  }
  get aborted(): boolean {
    return this.extras?.abortReason !== undefined;
  }
  /** Why the pass was aborted (its `TimeoutError` or `StoppedError`), if it was. */
  get abortedBy(): Error | undefined {
    return this.extras?.abortReason;
  }
  onAbort(callback: () => void): void {
    const extras = (this.extras ??= new PassExtras());
    if (extras.abortReason !== undefined) callback();
    else (extras.abortCallbacks ??= []).push(callback);
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
    const extras = (this.extras ??= new PassExtras());
    if (extras.abortReason !== undefined) return;
    extras.abortReason = reason;
    try {
      extras.controller?.abort(reason);
    } catch {
      // A throwing 'abort' listener is the listener's problem, never the queue's.
    }
    try {
      extras.subscription?.unsubscribe();
    } catch {
      // Teardown errors of a user Observable are dropped: the pass is over either way.
    }
    const callbacks = extras.abortCallbacks;
    extras.abortCallbacks = undefined;
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
  readonly request: ReconcileRequest;
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

/** Answers for the shape-keeping pass below, which never runs. */
const NO_OWNER: PassOwner = {
  nextReconcileId: () => '',
  convergingSince: () => undefined,
  isOverdue: () => false,
  assess: () => {
    throw new Error('the shape of a pass is never assessed');
  },
};

/**
 * A pass and a finished pass kept for the life of the process, every field in its widest form, for
 * the reason given at `KEY_STATE_SHAPE`: every pass of a drained queue is gone after a full
 * collection, and with them the hidden classes the queue's optimised code was built on.
 */
export const PASS_SHAPE: Pass = new Pass(NO_OWNER, KEY_STATE_SHAPE, { key: '', reason: 'watch', revision: 0 }, 0, 0.5, 0);
PASS_SHAPE.extras = new PassExtras();
export const FINISHED_PASS_SHAPE: FinishedPass = new FinishedPass(PASS_SHAPE, Outcome.converged(), 'transient', 0, 0.5, 0.5, 'terminal');
