/**
 * A running loop, as `defineLoop` returns it.
 *
 * @module
 */
import type { Observable } from 'rxjs';
import type { Key, PassResult, QueueSnapshot } from '../../src/index.js';
import type { LoopUsage } from './loop-context.js';
import type { LoopHealth } from './loop-health.js';
import type { LoopOptionsBase } from './loop-options.js';
import type { StreamLoopBase } from './stream-options.js';

/** The options a loop was defined with, without its pass functions, for `describeLoops` and admin pages. */
export type LoopDescription =
  | (Omit<LoopOptionsBase<unknown, unknown>, 'kind'> & { readonly kind: string; readonly style: 'reconcile' | 'phases'; readonly mode: 'store' } & PhaseFacts)
  | (Omit<StreamLoopBase<unknown, unknown>, 'desired$' | 'current$'> & { readonly style: 'reconcile' | 'phases'; readonly mode: 'streams' } & PhaseFacts);

/** What a description keeps of a phase loop's pass functions (which it leaves out). */
export interface PhaseFacts {
  /** Phase loops: false with `verify: false` (the pass converges once its corrections are applied). */
  readonly verifies?: boolean;
}

/** A running loop. */
export interface Loop {
  readonly name: string;
  /** Where the loop was defined (`file:line`), for `describeLoops`; undefined when the runtime gives no stack. */
  readonly source: string | undefined;
  /**
   * The options the loop was defined with (for `describeLoops`), its style, and where its desired
   * state comes from (`mode`: a store, or `desired$` streams).
   */
  readonly options: LoopDescription;
  /**
   * One result per finished pass (hot). Completes when the loop stops — or dies, after logging why at
   * `error` (see `health()`): it never errors, so a subscriber without an error handler is safe.
   */
  readonly results$: Observable<PassResult>;
  /** Queue snapshots after changes, starting with the current one. */
  readonly state$: Observable<QueueSnapshot>;
  /** The queue right now: depth, in flight, backoff, quarantine (key, last error, attempts), hot keys, counters. */
  snapshot(): QueueSnapshot;
  /** Alive, ready (first full list done), paused, and what the trigger sources went through. */
  health(): LoopHealth;
  /** How often the passes used each idempotent-write helper, the finalizers and child kinds seen (a copy). */
  usage(): LoopUsage;
  /**
   * Runs `key` now, even in backoff or quarantine (the manual force). False once stopped, and for a
   * `key` that is not a key (an empty string, not a string): nothing runs then. Called
   * right after `defineLoop` (before the loop's first tick), it runs as soon as the loop starts.
   */
  trigger(key: Key): boolean;
  /** Releases a quarantined or terminal key and runs it once. False when it was not parked. */
  release(key: Key): boolean;
  /**
   * Starts no new pass until `resume()` (running passes finish; triggers are collected). False once
   * stopped. Called right after `defineLoop`, the loop starts paused.
   */
  pause(): boolean;
  /** Starts passes again after `pause()`. False once stopped. */
  resume(): boolean;
  /** Resolves when nothing is queued, running or delayed. */
  whenIdle(): Promise<void>;
  /**
   * Graceful stop: no new passes; in-flight passes finish or are aborted after `deadline` ms. A later
   * call with an earlier deadline brings it forward. A bad deadline is refused (thrown) before
   * anything changes. Never rejects.
   */
  stop(options?: { readonly deadline?: number }): Promise<void>;
}

/** The {@link PhaseFacts} of a loop's options (nothing for a `reconcile` loop). */
export function phaseFacts(options: object): PhaseFacts {
  if ('reconcile' in options) return {};
  return { verifies: (options as { readonly verify?: unknown }).verify !== false };
}
