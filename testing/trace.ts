/**
 * The trace of a simulation: what the loop did (passes, store writes, world corrections, plans), what
 * happened to it (faults, steps), and the states the store and the world went through — and
 * {@link formatTrace}, the trace as text.
 *
 * @module
 */
import type { Correction, Key, PassResult, Resource } from '../src/index.js';
import type { InjectedFault } from './faults.js';
import { at, show } from './format.js';
import type { Items } from './world.js';

/**
 * One finished pass in a trace.
 *
 * ## Example
 * ```ts
 * const failed = trace.passes.filter((p) => p.outcome === 'retry').map((p) => p.error);
 * ```
 */
export interface PassRecord {
  readonly seq: number;
  /** When the pass finished (virtual ms). */
  readonly at: number;
  readonly startedAt: number;
  readonly key: Key;
  readonly reason: string;
  readonly outcome: PassResult['outcome']['type'];
  /** `CODE: message` of a failed pass. */
  readonly error: string | undefined;
  /** Consecutive failures of the key after this pass. */
  readonly failures: number;
  readonly parked: string | undefined;
  /** {@link passSummary} of the pass, e.g. `a:retry(CONFLICT)`. */
  readonly summary: string;
  /** The pass's id (seeded in a simulation, so a replay has the same ids). */
  readonly reconcileId: string;
  /** Which run of the loop made the pass: 0, then one more after each restart. */
  readonly incarnation: number;
}

/**
 * One store write by the loop that changed something (no-op writes are not writes; the steps'
 * writes are in {@link StepRecord}s). Recorded from the store's own change events, so recording
 * costs the loop nothing: it runs exactly as it would in production.
 *
 * ## Example
 * ```ts
 * const statusWrites = trace.writes.filter((w) => w.changed.includes('status'));
 * ```
 */
export interface WriteRecord {
  readonly seq: number;
  readonly at: number;
  /**
   * The call that made the change, as its change shows it: `create`, `update`, `updateStatus` (only
   * the status changed) or `delete` (deletion started or done; removing the last finalizer of a
   * resource being deleted is an `update`).
   */
  readonly op: 'create' | 'update' | 'updateStatus' | 'delete';
  readonly kind: string;
  readonly key: Key;
  /** What changed: `created`, `removed`, `spec`, `status`, `finalizers`, `deleting`, `labels`, … */
  readonly changed: readonly string[];
  /** The resource before and after (uids are numbered `uid-1`, `uid-2`… so replays are identical). */
  readonly before: Resource | undefined;
  readonly after: Resource | undefined;
}

/**
 * One `world.apply` call by the loop, whatever became of it.
 *
 * ## Example
 * ```ts
 * const lost = trace.applies.filter((a) => a.result.includes('acknowledgement')).length;
 * ```
 */
export interface ApplyRecord<V> {
  readonly seq: number;
  readonly at: number;
  readonly correction: Correction<V>;
  /** `ok`, or `CODE: message` of the error the call ended with. */
  readonly result: string;
  /** Whether the world's true state changed. */
  readonly changed: boolean;
}

/**
 * A non-empty plan computed by a phase loop's `compare`.
 *
 * ## Example
 * ```ts
 * for (const p of trace.plans) console.log(p.key, p.corrections.map((c) => c.action));
 * ```
 */
export interface PlanRecord {
  readonly seq: number;
  readonly at: number;
  readonly key: Key;
  readonly corrections: readonly Correction[];
}

/**
 * An injected fault, in trace order.
 *
 * ## Example
 * ```ts
 * const drops = trace.faults.filter((f) => f.fault === 'drop');
 * ```
 */
export interface FaultRecord extends InjectedFault {
  readonly seq: number;
}

/**
 * The world's true state after a change (and at the start).
 *
 * ## Example
 * ```ts
 * const last = trace.worlds.at(-1)?.items;
 * ```
 */
export interface WorldRecord<V> {
  readonly seq: number;
  readonly at: number;
  readonly items: Items<V>;
}

/**
 * The content of the store and the world (no versions or timestamps of the store), after a change.
 *
 * ## Example
 * ```ts
 * const changes = trace.states.length; // distinct store+world contents the run went through
 * ```
 */
export interface StateRecord {
  readonly seq: number;
  readonly at: number;
  /** Stable JSON of the world's items. */
  readonly world: string;
  /** Stable JSON of the loop kind's resources: spec, status, finalizers, labels, deleting. */
  readonly store: string;
}

/**
 * One step of the run's schedule (a desired change, a change of the world behind the loop's back, a
 * restart), when it happened and what it did.
 *
 * ## Example
 * ```ts
 * const restarts = trace.steps.filter((s) => s.kind === 'restart').length;
 * ```
 */
export interface StepRecord {
  /** The step's place in the trace: after the records of what it changed (those are ≥ `firstSeq`). */
  readonly seq: number;
  readonly firstSeq: number;
  readonly at: number;
  /** The step's kind (`desired`, `create`, `update`, `delete`, `change`, `remove`, `add`, `restart`, `custom`). */
  readonly kind: string;
  /** What the step did, e.g. `update Item/a spec {"size":3}`, `remove "b" (was 2)`; empty when nothing. */
  readonly did: readonly string[];
  /** Why it did nothing, or how it failed. */
  readonly note: string | undefined;
  /** Keys whose pass was running when the step happened (their pass may still act on what it read before). */
  readonly running: readonly Key[];
  /** Whether it happened in the middle of a pass (at one of the loop's calls), not between passes. */
  readonly midPass: boolean;
}

/**
 * What a simulation did, in order (`seq` orders records across the lists). Replays are identical
 * for the same definition, inputs and seed.
 *
 * ## Example
 * ```ts
 * const { trace } = await simulate(def, { desired, seed: 7, until: 60_000 });
 * console.log(formatTrace(trace));
 * ```
 */
export interface Trace<V> {
  readonly seed: number;
  readonly passes: readonly PassRecord[];
  readonly writes: readonly WriteRecord[];
  readonly applies: readonly ApplyRecord<V>[];
  readonly plans: readonly PlanRecord[];
  readonly faults: readonly FaultRecord[];
  readonly worlds: readonly WorldRecord<V>[];
  readonly states: readonly StateRecord[];
  readonly steps: readonly StepRecord[];
}

/**
 * Options of {@link formatTrace}.
 *
 * ## Example
 * ```ts
 * formatTrace(trace, { last: 30, compact: true });
 * ```
 */
export interface FormatTraceOptions {
  /** Only the last `last` lines. Default: all. */
  readonly last?: number;
  /** Only records with `seq` ≥ `from`. */
  readonly from?: number;
  /**
   * Folds runs of three or more uneventful passes (converged or requeued, with nothing else between
   * them) into one line, so faults and writes stay in view. Default false.
   */
  readonly compact?: boolean;
}

/**
 * The trace as text, one line per record in order: steps, passes, store writes, world corrections,
 * plans, faults. Put it in failure messages or print it while debugging a seed.
 *
 * ## Example
 * ```ts
 * import { formatTrace, simulate } from 'rx-reconcile/testing';
 * import type { LoopDefinition } from 'rx-reconcile/testing';
 *
 * declare const def: LoopDefinition<{ size: number }, unknown, { size: number }>;
 * const result = await simulate(def, { desired: [{ metadata: { name: 'a' }, spec: { size: 1 } }] });
 * console.log(formatTrace(result.trace, { last: 30 }));
 * // t=   1000 pass   a (retry) → converged
 * // t=   1000 write  updateStatus Item/a: status
 * ```
 */
export function formatTrace<V>(trace: Trace<V>, options: FormatTraceOptions = {}): string {
  const lines: { seq: number; text: string }[] = [];
  const quiet = new Set<number>();
  for (const p of trace.passes) {
    if (p.outcome === 'converged' || p.outcome === 'requeueAfter') quiet.add(p.seq);
    lines.push({ seq: p.seq, text: `${at(p.at)} pass   ${p.key} (${p.reason}) → ${p.outcome}${p.error ? ` ${p.error}` : ''}${p.parked ? ` [${p.parked}]` : ''}` });
  }
  for (const w of trace.writes) lines.push({ seq: w.seq, text: `${at(w.at)} write  ${w.op} ${w.kind}/${w.key}: ${w.changed.join(', ')}` });
  for (const a of trace.applies) {
    const c = a.correction;
    lines.push({ seq: a.seq, text: `${at(a.at)} world  ${c.action} ${c.target}${c.value === undefined ? '' : ` = ${show(c.value, 60)}`} → ${a.result}${a.changed ? '' : ' (no change)'}` });
  }
  for (const p of trace.plans) lines.push({ seq: p.seq, text: `${at(p.at)} plan   ${p.key}: ${p.corrections.map((c) => `${c.action} ${c.target}`).join(', ')}` });
  for (const f of trace.faults) lines.push({ seq: f.seq, text: `${at(f.at)} fault  ${f.where} ${f.fault}: ${f.target}` });
  for (const s of trace.steps ?? []) {
    const what = s.did.length > 0 ? s.did.join('; ') : `${s.kind}: nothing to do`;
    const where = s.midPass ? ` (mid-pass of ${s.running.join(', ') || '?'})` : '';
    lines.push({ seq: s.seq, text: `${at(s.at)} step   ${what}${s.note !== undefined ? ` (${s.note})` : ''}${where}` });
  }
  const from = options.from ?? 0;
  const ordered = lines.filter((l) => l.seq >= from).sort((a, b) => a.seq - b.seq);
  const sorted: string[] = [];
  for (let i = 0; i < ordered.length; ) {
    let j = i;
    while (options.compact === true && j < ordered.length && quiet.has((ordered[j] as { seq: number }).seq)) j++;
    if (j - i >= 3) {
      const last = trace.passes.find((p) => p.seq === (ordered[j - 1] as { seq: number }).seq);
      sorted.push((ordered[i] as { text: string }).text, `${' '.repeat(10)} … ${j - i - 1} more uneventful pass(es), until ${at(last?.at ?? 0).trim()}`);
      i = j;
    } else {
      sorted.push((ordered[i] as { text: string }).text);
      i++;
    }
  }
  const cut = options.last !== undefined && sorted.length > options.last ? [`… ${sorted.length - options.last} earlier line(s)`, ...sorted.slice(-options.last)] : sorted;
  return cut.join('\n');
}
