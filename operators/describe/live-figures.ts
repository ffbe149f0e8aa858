/**
 * The measured figures of a running loop, next to its declared behaviour: passes and outcomes,
 * failures per class (count and share of passes), parked, hot and overdue keys from its own queue
 * snapshot, and time to converge from a {@link LoopWatch}.
 *
 * @module
 */
import type { FailureClass, HotKey, ParkedKey, QueueCounters } from '../../src/index.js';
import type { LoopFacts } from './loop-facts.js';
import type { ConvergenceFigures, LoopWatch } from './watch-loops.js';

/** The failure classes, in the order the document prints them. */
export const FAILURE_CLASSES: readonly FailureClass[] = ['transient', 'conflict', 'permanent', 'dependency'];

/** What a running loop measured. */
export interface LiveFigures {
  /** Scheduler time of the snapshot the figures come from. */
  readonly at: number;
  readonly passes: number;
  readonly outcomes: Pick<QueueCounters, 'converged' | 'requeueAfter' | 'retry' | 'terminal' | 'waiting'>;
  /** Failed passes (and dependency waits) per class, and their share of all passes (0 without passes). */
  readonly failures: Readonly<Record<FailureClass, { readonly count: number; readonly rate: number }>>;
  /** Parked keys now (dead-letter: terminal or quarantined), sorted by key. */
  readonly parked: readonly ParkedKey[];
  /** Keys reported hot and not yet settled, sorted by key. */
  readonly hot: readonly HotKey[];
  /** Keys reported past their convergence deadline so far. */
  readonly overdue: number;
  /** Keys waiting now for a requeue, a backoff or a dependency. */
  readonly delayed: number;
  /** Keys ready to run now. */
  readonly depth: number;
  readonly quarantined: number;
  readonly released: number;
  /** From a {@link LoopWatch}; undefined when none was given or it did not watch this loop. */
  readonly convergence: ConvergenceFigures | undefined;
}

/** The measured figures of a loop, or undefined when it has no live state to read. */
export function liveFigures(facts: LoopFacts, watch: LoopWatch | undefined): LiveFigures | undefined {
  const snapshot = facts.snapshot;
  if (snapshot === undefined) return undefined;
  const c = snapshot.counters;
  const failures = {} as Record<FailureClass, { count: number; rate: number }>;
  for (const cls of FAILURE_CLASSES) {
    const count = c.errorsByClass[cls] ?? 0;
    failures[cls] = { count, rate: c.passes === 0 ? 0 : count / c.passes };
  }
  const byKey = <T extends { readonly key: string }>(items: readonly T[]): T[] => [...items].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    at: snapshot.at,
    passes: c.passes,
    outcomes: { converged: c.converged, requeueAfter: c.requeueAfter, retry: c.retry, terminal: c.terminal, waiting: c.waiting },
    failures,
    parked: byKey(snapshot.parked),
    hot: byKey(snapshot.hot),
    overdue: c.overdue,
    delayed: snapshot.delayed.length,
    depth: snapshot.depth,
    quarantined: c.quarantined,
    released: c.released,
    convergence: safeConvergence(watch, facts.name),
  };
}

function safeConvergence(watch: LoopWatch | undefined, name: string): ConvergenceFigures | undefined {
  try {
    return watch?.convergence(name);
  } catch {
    return undefined;
  }
}
