/**
 * What `describeLoops` reads from a loop, gathered once: its options (the `LoopDescription` a running
 * loop keeps, with defaults filled in), what its passes used (`loop.usage()`), and where it was
 * defined. Sections read these facts and nothing else, so the document is a function of them.
 *
 * @module
 */
import { Backoff } from '../../src/index.js';
import type { BackoffPolicy, Classifier, EventFilter, Metrics, QueueSnapshot, RateLimit } from '../../src/index.js';
import type { SpecSchema } from '../with-schema.js';
import type { LoopUsage } from '../loop/loop-context.js';
import type { LoopHealth } from '../loop/loop-health.js';
import { conditionPrefixOf } from '../loop/loop-options.js';
import type { Dependency } from '../loop/loop-options.js';
import type { LoopDescription } from '../loop/loop.js';
import type { LoopDocs } from './loop-docs.js';

/**
 * What {@link describeLoops} reads from a loop: its name, the options it was defined with, where it
 * was defined and — when it runs — what its passes used and its live state. A running `Loop` fits as
 * it is; so does the admin's view of a loop (no `usage`: the checklist then says what it could not see).
 *
 * ## Example
 * ```ts
 * const d: DescribableLoop = { name: 'todo', options: loop.options, source: 'src/todo.ts:12' };
 * ```
 */
export interface DescribableLoop {
  readonly name: string;
  readonly options: LoopDescription & { readonly source?: string | undefined };
  /** Where the loop was defined, as `file:line` (see `callerSource`). */
  readonly source?: string | undefined;
  /** What the passes used so far (`loop.usage()`): feeds the idempotency checklist. */
  usage?(): LoopUsage;
  /** The queue now (`loop.snapshot()`): feeds the measured figures. */
  snapshot?(): QueueSnapshot;
  /** Alive, ready, paused (`loop.health()`): feeds the manual-intervention section. */
  health?(): LoopHealth;
}

/** The defaults of the work queue, as the document prints them. */
export const DEFAULTS = Object.freeze({ workers: 4, conflictRetries: 3, dependencyInterval: 5000 });

/** The facts of one loop; see the module. */
export interface LoopFacts {
  readonly name: string;
  /** 1-based position in the document. */
  readonly index: number;
  readonly source: string | undefined;
  readonly mode: 'store' | 'streams';
  readonly style: 'reconcile' | 'phases';
  /** The kind (store loops). */
  readonly kind: string | undefined;
  /** Phase loops: observe and compare again after correcting. */
  readonly verifies: boolean;
  readonly workers: number;
  readonly backoff: BackoffPolicy;
  readonly backoffIsDefault: boolean;
  /** Retries before quarantine (`Backoff.steps`). */
  readonly steps: number;
  readonly conflictRetries: number;
  readonly dependencyInterval: number;
  readonly timeout: number | undefined;
  readonly convergenceDeadline: number | undefined;
  readonly resync: number | undefined;
  readonly rateLimit: RateLimit | undefined;
  readonly classify: Classifier | undefined;
  /** Names of the watch filters (functions), in order. */
  readonly filters: readonly string[];
  readonly resyncFilter: boolean;
  readonly worldKeys: boolean;
  /** External trigger sources (`triggers`). */
  readonly triggerSources: number;
  readonly dependencies: readonly Dependency[];
  /** The `owns` option: child kinds whose changes trigger their owner. */
  readonly owns: readonly string[];
  /** `owns`, and kinds seen in `ctx.ensureChildren` (the cascade deletes both), sorted, unique. */
  readonly ownedKinds: readonly string[];
  readonly orphan: boolean;
  /** Store loops write conditions (default true). */
  readonly conditions: boolean;
  /** What the loop puts before its condition types (`conditions: { prefix }`); '' for `Ready`, `Progressing`, `Degraded`. */
  readonly conditionPrefix: string;
  readonly schema: SpecSchema | undefined;
  /** The `finalizer` option's name. */
  readonly finalizer: string | undefined;
  /** The `finalizer` option and the finalizers seen on the loop's own writes, sorted, unique. */
  readonly finalizers: readonly string[];
  readonly metrics: Metrics | undefined;
  readonly logger: boolean;
  /** A separate `ledger` store for `ctx.once`. */
  readonly ledger: boolean;
  /** A `coordinator` (leader election / sharding with fencing) is set. */
  readonly coordinator: boolean;
  /** The store can fence writes (`store.fenced`), so a coordinator's deposed owner is refused. */
  readonly fenced: boolean;
  readonly docs: LoopDocs;
  /** What the passes used; undefined when the loop cannot tell (not a running loop). */
  readonly usage: LoopUsage | undefined;
  readonly snapshot: QueueSnapshot | undefined;
  readonly health: LoopHealth | undefined;
}

/** The facts of `loop`, the `index`-th of the document. Reading the live parts never throws. */
export function loopFacts(loop: DescribableLoop, index: number): LoopFacts {
  const o = loop.options as LoopDescription & Readonly<Record<string, unknown>>;
  const store = o.mode === 'store' ? (o as Extract<LoopDescription, { mode: 'store' }>) : undefined;
  const usage = read(loop, 'usage');
  const backoff = (o.backoff as BackoffPolicy | undefined) ?? Backoff.defaultPolicy;
  const finalizer = store?.finalizer?.name;
  const filter = store?.filter;
  const filters = filter === undefined ? [] : (typeof filter === 'function' ? [filter] : [...filter]).map((f: EventFilter<unknown, unknown>) => functionName(f, 'filter'));
  const owns = store?.owns ?? [];
  return {
    name: loop.name,
    index,
    source: loop.source ?? o.source,
    mode: o.mode,
    style: o.style,
    kind: store?.kind,
    verifies: o.verifies !== false,
    workers: (o.workers as number | undefined) ?? DEFAULTS.workers,
    backoff,
    backoffIsDefault: o.backoff === undefined,
    steps: Backoff.steps(backoff),
    conflictRetries: (o.conflictRetries as number | undefined) ?? DEFAULTS.conflictRetries,
    dependencyInterval: (o.dependencyInterval as number | undefined) ?? DEFAULTS.dependencyInterval,
    timeout: o.timeout as number | undefined,
    convergenceDeadline: o.convergenceDeadline,
    resync: o.resync,
    rateLimit: o.rateLimit as RateLimit | undefined,
    classify: o.classify as Classifier | undefined,
    filters,
    resyncFilter: store?.resyncFilter !== undefined,
    worldKeys: o.worldKeys !== undefined,
    triggerSources: o.triggers?.length ?? 0,
    dependencies: store?.dependencies ?? [],
    owns: [...owns],
    ownedKinds: sortedUnique([...owns, ...(usage?.ownedKinds ?? [])]),
    orphan: store?.orphan === true,
    conditions: store !== undefined && store.conditions !== false,
    conditionPrefix: conditionPrefixOf(store?.conditions) ?? '',
    schema: store?.schema,
    finalizer,
    finalizers: sortedUnique([...(finalizer === undefined ? [] : [finalizer]), ...(usage?.finalizers ?? [])]),
    metrics: o.metrics,
    logger: o.logger !== undefined,
    ledger: o.ledger !== undefined,
    coordinator: o['coordinator'] !== undefined,
    fenced: typeof (store?.store as { fenced?: unknown } | undefined)?.fenced === 'function',
    docs: o.describe ?? {},
    usage,
    snapshot: read(loop, 'snapshot'),
    health: read(loop, 'health'),
  };
}

/** True when the passes used `helper` at least once. */
export function used(facts: LoopFacts, helper: 'apply' | 'deleteIfExists' | 'ensureChildren' | 'once' | 'addFinalizer' | 'removeFinalizer' | 'updateStatus'): boolean {
  return (facts.usage?.[helper] ?? 0) > 0;
}

/** The name of a user function, or `fallback` for an anonymous one. */
export function functionName(fn: unknown, fallback: string): string {
  const name = typeof fn === 'function' ? fn.name : '';
  return name === '' ? fallback : name;
}

function sortedUnique(items: Iterable<string>): string[] {
  return [...new Set(items)].sort();
}

/** Calls one of the loop's live readers; a missing or throwing one reads as undefined. */
function read<K extends 'usage' | 'snapshot' | 'health'>(loop: DescribableLoop, name: K): ReturnType<NonNullable<DescribableLoop[K]>> | undefined {
  const reader = loop[name] as unknown;
  if (typeof reader !== 'function') return undefined;
  try {
    return (reader as () => unknown).call(loop) as ReturnType<NonNullable<DescribableLoop[K]>>;
  } catch {
    return undefined;
  }
}
