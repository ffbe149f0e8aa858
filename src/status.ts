/**
 * Status conditions and observedGeneration, as pure immutable updates (G9).
 *
 * A status is a plain object: `{ observedGeneration?, phase?, conditions? }` plus whatever fields the
 * user adds. Every function here returns a new object when something changed and the SAME reference
 * (`===`) when nothing did, so "status unchanged" is a cheap identity check and a loop never writes a
 * status that changes nothing (no self-triggered update storms). A condition's `lastTransitionTime`
 * moves only when its `status` flips. Updates are written with immer.
 *
 * ## Example
 * ```ts
 * import { setCondition, stampObservedGeneration, ConditionTypes } from 'rx-reconcile';
 *
 * let status = stampObservedGeneration(resource.status, resource.metadata.generation);
 * status = setCondition(status, {
 *   type: ConditionTypes.Ready, status: 'True', reason: 'Converged', message: '',
 *   observedGeneration: resource.metadata.generation,
 * }, new Date(scheduler.now()).toISOString());
 * if (status !== resource.status) await store.updateStatus({ ...resource, status });
 * ```
 *
 * @module
 */
import { deepEqual as equal } from './equal.js';
import { Immer, produce } from 'immer';
import type { Draft } from 'immer';
import { InvalidArgumentError, ValidationError } from './errors.js';
import { deepFreeze } from './plain-data.js';
import type { FailureClass, Outcome } from './outcome.js';
import type { ParkReason } from './queue.js';

/**
 * The truth value of a condition: `'True'`, `'False'` or `'Unknown'` (Kubernetes convention).
 *
 * ## Example
 * ```ts
 * const s: ConditionStatus = 'Unknown';
 * ```
 */
export type ConditionStatus = 'True' | 'False' | 'Unknown';

/**
 * One observation about a resource, e.g. `Ready=True (Converged)`.
 *
 * Set it with {@link setCondition}; read it with {@link getCondition} / {@link isConditionTrue}.
 *
 * ## Example
 * ```ts
 * const c: Condition = {
 *   type: 'Ready', status: 'False', reason: 'Backoff', message: 'connection refused',
 *   observedGeneration: 3, lastTransitionTime: '2024-01-01T00:00:00.000Z',
 * };
 * ```
 */
export interface Condition {
  /** What the condition is about: one of {@link ConditionTypes} or any user string. Unique per status. */
  type: string;
  status: ConditionStatus;
  /** A short CamelCase machine-readable cause, e.g. `Converged`, `Backoff`, `InvalidSpec`. */
  reason: string;
  /** Human-readable details. */
  message: string;
  /** The `metadata.generation` this condition was computed from. */
  observedGeneration: number;
  /** When `status` last changed (ISO-8601); kept as is while only reason or message change. */
  lastTransitionTime: string;
}

/**
 * The status fields the library reads and writes; user status types extend it.
 *
 * ## Example
 * ```ts
 * interface SiteStatus extends ReconcileStatus { readonly url?: string }
 * ```
 */
export interface ReconcileStatus {
  /** The `metadata.generation` last fully reconciled. */
  readonly observedGeneration?: number;
  /** A coarse summary (Halo-style), e.g. `Ready`, `Failed`, `Deleting`. */
  readonly phase?: string;
  readonly conditions?: readonly Condition[];
}

/**
 * The condition types the library itself sets; user condition types are any other string.
 *
 * `Ready`: the resource is in its desired state. `Progressing`: corrections are under way.
 * `Degraded`: the last passes failed (see the reason and message).
 *
 * ## Example
 * ```ts
 * import { ConditionTypes, isConditionTrue } from 'rx-reconcile';
 * import type { ReconcileStatus, Resource } from 'rx-reconcile';
 *
 * declare const resource: Resource<unknown, ReconcileStatus>;
 * const ready = isConditionTrue(resource.status, ConditionTypes.Ready);
 * ```
 */
export const ConditionTypes = Object.freeze({
  Ready: 'Ready',
  Progressing: 'Progressing',
  Degraded: 'Degraded',
} as const);

/**
 * A condition type: one of {@link ConditionTypes} (autocompleted) or any user string.
 *
 * ## Example
 * ```ts
 * const t: ConditionType = 'DatabaseReachable';
 * ```
 */
export type ConditionType = (typeof ConditionTypes)[keyof typeof ConditionTypes] | (string & {});

const CONDITION_STATUSES: readonly string[] = ['True', 'False', 'Unknown'];

/** Writable view used inside immer recipes. */
interface MutableStatus {
  observedGeneration?: number;
  phase?: string;
  conditions?: Condition[];
}

/**
 * Upserts a condition (by `type`) and returns the new status; the SAME reference if nothing changed.
 *
 * `lastTransitionTime` becomes `now` when the condition is new or its `status` changed, and is kept
 * otherwise. A change of only `reason`, `message` or `observedGeneration` gives a new status object
 * with the old transition time. New conditions are appended, so the order is stable. With an
 * `undefined` status, returns a status holding just this condition.
 *
 * ## Example
 * ```ts
 * import { setCondition } from 'rx-reconcile';
 * import type { ReconcileStatus, Resource, Store } from 'rx-reconcile';
 *
 * declare const store: Store;
 * declare const resource: Resource<unknown, ReconcileStatus>;
 * const next = setCondition(resource.status, { type: 'Ready', status: 'True', reason: 'Converged', message: '',
 *   observedGeneration: resource.metadata.generation }, new Date().toISOString());
 * if (next !== resource.status) await store.updateStatus({ ...resource, status: next });
 * ```
 */
export function setCondition<S extends ReconcileStatus>(
  status: S | undefined,
  condition: Omit<Condition, 'lastTransitionTime'>,
  now: string,
): S {
  checkCondition(condition);
  const next = nextCondition(getCondition(status, condition.type), condition, now);
  if (next === undefined && recordable(status) === status) return status as S; // the same condition is already in `status`
  return update(status, (draft) => {
    const conditions = (draft.conditions ??= []);
    const index = conditions.findIndex((c) => c.type === condition.type);
    if (next === undefined) return; // the status only needed mending (see recordable)
    if (index < 0) conditions.push(next);
    else conditions[index] = next;
  });
}

/**
 * The condition of the given type, or `undefined`.
 *
 * ## Example
 * ```ts
 * import { getCondition } from 'rx-reconcile';
 * import type { ReconcileStatus, Resource } from 'rx-reconcile';
 *
 * declare const resource: Resource<unknown, ReconcileStatus>;
 * console.log(getCondition(resource.status, 'Ready')?.reason); // e.g. 'Converged'
 * ```
 */
export function getCondition(status: ReconcileStatus | undefined, type: string): Condition | undefined {
  return recordable(status)?.conditions?.find((c) => c.type === type);
}

/**
 * Whether the condition of the given type exists and has status `'True'`.
 *
 * ## Example
 * ```ts
 * import { isConditionTrue } from 'rx-reconcile';
 * import type { ReconcileStatus, Resource } from 'rx-reconcile';
 *
 * declare const dependency: Resource<unknown, ReconcileStatus>;
 * if (isConditionTrue(dependency.status, 'Ready')) console.log('the dependency is ready');
 * ```
 */
export function isConditionTrue(status: ReconcileStatus | undefined, type: string): boolean {
  return getCondition(status, type)?.status === 'True';
}

/**
 * Removes the condition of the given type; the SAME reference (or `undefined`) when it is absent.
 *
 * ## Example
 * ```ts
 * import { removeCondition } from 'rx-reconcile';
 * import type { ReconcileStatus } from 'rx-reconcile';
 *
 * declare let status: ReconcileStatus;
 * status = removeCondition(status, 'Progressing');
 * ```
 */
export function removeCondition<S extends ReconcileStatus>(status: S, type: string): S;
export function removeCondition<S extends ReconcileStatus>(status: S | undefined, type: string): S | undefined;
export function removeCondition<S extends ReconcileStatus>(status: S | undefined, type: string): S | undefined {
  if (status === undefined || (getCondition(status, type) === undefined && recordable(status) === status)) return status;
  return update(status, (draft) => {
    draft.conditions = (draft.conditions ?? []).filter((c) => c.type !== type);
  });
}

/**
 * Sets `observedGeneration`; the SAME reference when it already has that value.
 *
 * Call it at the end of a pass that reconciled `metadata.generation`, so readers can tell whether
 * the status describes the current spec (G9).
 *
 * ## Example
 * ```ts
 * import { stampObservedGeneration } from 'rx-reconcile';
 * import type { ReconcileStatus, Resource } from 'rx-reconcile';
 *
 * declare const resource: Resource<unknown, ReconcileStatus>;
 * const status = stampObservedGeneration(resource.status, resource.metadata.generation);
 * ```
 */
export function stampObservedGeneration<S extends ReconcileStatus>(status: S | undefined, generation: number): S {
  checkGeneration(generation);
  if (status !== undefined && recordable(status) === status && status.observedGeneration === generation) return status;
  return update(status, (draft) => {
    draft.observedGeneration = generation;
  });
}

/**
 * Deep equality of two statuses (fast-deep-equal).
 *
 * Use to decide whether a status write is needed when the statuses were not built from one another
 * (otherwise `===` suffices).
 *
 * ## Example
 * ```ts
 * import { statusEquals } from 'rx-reconcile';
 * import type { Resource, Store } from 'rx-reconcile';
 *
 * declare const store: Store;
 * declare const stored: Resource<unknown, { phase: string }>;
 * const computed = { phase: 'Ready' };
 * if (!statusEquals(stored.status, computed)) await store.updateStatus({ ...stored, status: computed });
 * ```
 */
export function statusEquals(a: unknown, b: unknown): boolean {
  return a === b || equal(a, b);
}

/**
 * Applies a mutating recipe to a draft of the status (immer) and returns the result.
 *
 * Returns the SAME reference when the recipe changed nothing, so it composes with the other
 * functions here. With an `undefined` status the recipe starts from `{}`. The result is frozen.
 *
 * ## Example
 * ```ts
 * import { produceStatus } from 'rx-reconcile';
 * import type { Resource } from 'rx-reconcile';
 *
 * declare const resource: Resource<unknown, { phase?: string }>;
 * const next = produceStatus(resource.status, (draft) => { draft.phase = 'Ready'; });
 * ```
 */
export function produceStatus<S extends object>(status: S | undefined, recipe: (draft: Draft<S>) => void): S {
  const base = status ?? ({} as S);
  return produce(base, (draft: Draft<S>) => {
    recipe(draft);
  });
}

/** Immer without freezing: for statuses that go straight to a store, which copies and freezes what it keeps. */
const unfrozen = new Immer({ autoFreeze: false });

/**
 * `stampObservedGeneration(produceStatus(status, recipe), generation)` in one draft and without
 * freezing the result, for a status about to be written to a store (which copies and freezes what
 * it keeps): `ctx.updateStatus`. Returns `status` itself when neither the recipe nor the stamp
 * changed anything.
 */
export function draftStampedStatus<S extends object>(status: S | undefined, recipe: (draft: Draft<S>) => void, generation: number): S {
  checkGeneration(generation);
  // A status that is not an object (written around the library: null, a string, a list) reads as absent.
  const base = typeof status === 'object' && status !== null && !Array.isArray(status) ? status : ({} as S);
  return unfrozen.produce(base, (draft: Draft<S>) => {
    recipe(draft);
    const stamped = draft as { observedGeneration?: unknown };
    if (stamped.observedGeneration !== generation) stamped.observedGeneration = generation;
  });
}

/** Refuses a generation that is not an integer ≥ 0 (what `stampObservedGeneration` and the pass records stamp). */
function checkGeneration(generation: number): void {
  if (!Number.isInteger(generation) || generation < 0) {
    throw new InvalidArgumentError(`stampObservedGeneration: generation must be an integer ≥ 0 (got ${String(generation)})`);
  }
}

function update<S extends ReconcileStatus>(status: S | undefined, recipe: (draft: MutableStatus) => void): S {
  // The recipes only touch the library's own fields; user fields are copied through untouched by immer.
  const base = (recordable(status) ?? {}) as MutableStatus;
  const next = produce(base, (draft) => {
    recipe(draft);
  });
  return next as unknown as S;
}

/**
 * `status` as the library can write conditions into: itself when it is a plain object whose
 * `conditions` (if any) is a list of conditions. A status written around the library that is not an
 * object (`null`, a string, a list) reads as absent and is replaced; a `conditions` that is not a list
 * is dropped, and its entries that are not conditions (`null`, a `type` that is not a string) are left
 * out: spreading a string status would write one field per character, and one `null` entry failed
 * every pass of the key.
 */
function recordable<S extends ReconcileStatus>(status: S | undefined): S | undefined {
  if (typeof status !== 'object' || status === null || Array.isArray(status)) return undefined;
  const conditions: unknown = status.conditions;
  if (conditions === undefined) return status;
  if (!Array.isArray(conditions)) {
    const { conditions: _dropped, ...rest } = status;
    return rest as S;
  }
  if (conditions.every(isConditionLike)) return status;
  return { ...status, conditions: conditions.filter(isConditionLike) };
}

function isConditionLike(value: unknown): value is Condition {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

function checkCondition(condition: Omit<Condition, 'lastTransitionTime'>): void {
  if (typeof condition.type !== 'string' || condition.type === '') {
    throw new InvalidArgumentError(`setCondition: type must be a non-empty string (got ${String(condition.type)})`);
  }
  if (!CONDITION_STATUSES.includes(condition.status)) {
    throw new InvalidArgumentError(
      `setCondition: status of condition "${condition.type}" must be 'True', 'False' or 'Unknown' (got ${String(condition.status)})`,
    );
  }
}

// ---- the conditions a loop writes after each pass (G9) ---------------------------------------------

/**
 * The `reason`s of the conditions a loop writes after each pass (see {@link recordPass}).
 *
 * ## Example
 * ```ts
 * import { ConditionReasons, ConditionTypes, getCondition } from 'rx-reconcile';
 * import type { ReconcileStatus, Resource } from 'rx-reconcile';
 *
 * declare const resource: Resource<unknown, ReconcileStatus>;
 * const invalid = getCondition(resource.status, ConditionTypes.Degraded)?.reason === ConditionReasons.InvalidSpec;
 * ```
 */
export const ConditionReasons = Object.freeze({
  /** The pass converged (or asked to look again later): the resource is in its desired state. */
  Converged: 'Converged',
  /** `Degraded=False`: nothing is wrong. */
  AsExpected: 'AsExpected',
  /** The pass failed (transient, or a conflict past its immediate retries): retried with backoff. */
  Retrying: 'Retrying',
  /** A dependency is not ready: the key waits a fixed interval, not counted as a failure. */
  DependencyNotReady: 'DependencyNotReady',
  /** A permanent failure: no retry until the desired state changes or the key is released. */
  Failed: 'Failed',
  /** The spec fails its schema: no retry until the spec changes. */
  InvalidSpec: 'InvalidSpec',
  /** Too many failures in a row: no automatic passes until the spec changes or `loop.release(key)`. */
  Quarantined: 'Quarantined',
  /** The desired generation has not converged within the loop's `convergenceDeadline`. */
  ConvergenceDeadlineExceeded: 'ConvergenceDeadlineExceeded',
} as const);

/**
 * What one pass did, as {@link recordPass} needs it: the generation it reconciled and what the queue
 * makes of its outcome (`PassContext.assess(outcome)` gives exactly this).
 *
 * ## Example
 * ```ts
 * const report: PassReport = { generation: 3, verdict: ctx.assess(outcome) };
 * ```
 */
export interface PassReport {
  /** The `metadata.generation` the pass reconciled (read at its start). */
  readonly generation: number;
  /** The outcome as the queue acts on it, its failure class, the failure count after it, parking. */
  readonly verdict: {
    readonly outcome: Outcome;
    readonly failureClass: FailureClass | undefined;
    readonly failures: number;
    readonly parked: ParkReason | undefined;
  };
  /** Set (ISO time) when the generation is past its convergence deadline: converging since then. */
  readonly overdueSince?: string | undefined;
  /**
   * Put before each condition type (`Mail` gives `MailReady`, `MailProgressing`, `MailDegraded`): the
   * conditions of a second loop on the same resources, which must not overwrite the first loop's.
   * Default: none.
   */
  readonly prefix?: string | undefined;
}

/** The three condition types a loop writes, with its prefix (see `PassReport.prefix`): `Mail` gives `MailReady`, `MailProgressing`, `MailDegraded`. */
export function conditionTypesOf(prefix: string | undefined): { readonly Ready: string; readonly Progressing: string; readonly Degraded: string } {
  if (prefix === undefined || prefix === '') return ConditionTypes;
  return { Ready: `${prefix}Ready`, Progressing: `${prefix}Progressing`, Degraded: `${prefix}Degraded` };
}

const MAX_MESSAGE = 500;

/**
 * The `Ready`, `Progressing` and `Degraded` conditions that describe a pass (without
 * `lastTransitionTime`). Pure; {@link recordPass} applies them to a status.
 *
 * | after the pass                  | Ready                  | Progressing          | Degraded                          |
 * |---------------------------------|------------------------|----------------------|-----------------------------------|
 * | converged / requeueAfter        | True `Converged`       | False `Converged`    | False `AsExpected`                |
 * | dependency wait                 | False `DependencyNotReady` | True `DependencyNotReady` | False (or deadline)        |
 * | failed, will retry              | False `Retrying`       | True `Retrying`      | False (or deadline)               |
 * | permanent failure               | False `Failed`         | False `Failed`       | True `Failed`                     |
 * | spec fails its schema           | False `InvalidSpec`    | False `InvalidSpec`  | True `InvalidSpec`                |
 * | quarantined                     | False `Quarantined`    | False `Quarantined`  | True `Quarantined`                |
 * | past the convergence deadline   | (as above)             | (as above)           | True `ConvergenceDeadlineExceeded` |
 *
 * Messages name the error and what happens next; a converged resource's messages are constant, so
 * a converged loop never rewrites them.
 *
 * ## Example
 * ```ts
 * import { Outcome, passConditions } from 'rx-reconcile';
 *
 * passConditions({ generation: 2, verdict: { outcome: Outcome.converged(), failureClass: undefined, failures: 0, parked: undefined } });
 * ```
 */
export function passConditions(report: PassReport): Omit<Condition, 'lastTransitionTime'>[] {
  const generation = report.generation;
  const { outcome, failureClass, failures, parked } = report.verdict;
  const c = (type: string, status: ConditionStatus, reason: string, message: string): Omit<Condition, 'lastTransitionTime'> => ({
    type,
    status,
    reason,
    message: clip(message),
    observedGeneration: generation,
  });
  const types = conditionTypesOf(report.prefix);
  const { Ready, Progressing, Degraded } = types;
  const R = ConditionReasons;
  const degraded =
    report.overdueSince === undefined
      ? c(Degraded, 'False', R.AsExpected, '')
      : c(
          Degraded,
          'True',
          R.ConvergenceDeadlineExceeded,
          `generation ${generation} has not converged since ${report.overdueSince}; the loop keeps reconciling it`,
        );
  switch (outcome.type) {
    case 'converged':
    case 'requeueAfter':
      return [
        c(Ready, 'True', R.Converged, CONVERGED_READY_MESSAGE),
        c(Progressing, 'False', R.Converged, CONVERGED_PROGRESSING_MESSAGE),
        c(Degraded, 'False', R.AsExpected, ''),
      ];
    case 'waiting': {
      const message = `waiting for ${outcome.dependency} to become ready; looking again in ${outcome.ms} ms (not counted as a failure)`;
      return [c(Ready, 'False', R.DependencyNotReady, message), c(Progressing, 'True', R.DependencyNotReady, message), degraded];
    }
    case 'retry': {
      if (parked === 'quarantined') return quarantined(c, types, failures, failureClass, outcome.error);
      const next = outcome.after === undefined ? 'retrying with backoff' : `retrying in ${outcome.after} ms`;
      const message = `attempt ${failures} failed (${failureClass ?? 'transient'}): ${messageOf(outcome.error)}; ${next}`;
      return [c(Ready, 'False', R.Retrying, message), c(Progressing, 'True', R.Retrying, message), degraded];
    }
    case 'terminal': {
      if (parked === 'quarantined') return quarantined(c, types, failures, failureClass, outcome.error);
      const invalid = outcome.error instanceof ValidationError;
      const reason = invalid ? R.InvalidSpec : R.Failed;
      const message = invalid
        ? messageOf(outcome.error)
        : `${messageOf(outcome.error)} (permanent: no retries until the desired state changes or the key is released)`;
      return [c(Ready, 'False', reason, message), c(Progressing, 'False', reason, message), c(Degraded, 'True', reason, message)];
    }
  }
}

function quarantined(
  c: (type: string, status: ConditionStatus, reason: string, message: string) => Omit<Condition, 'lastTransitionTime'>,
  types: ReturnType<typeof conditionTypesOf>,
  failures: number,
  failureClass: FailureClass | undefined,
  error: Error,
): Omit<Condition, 'lastTransitionTime'>[] {
  const message =
    `failed ${failures} times in a row (${failureClass ?? 'transient'}), last: ${messageOf(error)}; no more automatic ` +
    'passes until the spec changes or someone calls loop.release(key)';
  const { Ready, Progressing, Degraded } = types;
  const R = ConditionReasons;
  return [c(Ready, 'False', R.Quarantined, message), c(Progressing, 'False', R.Quarantined, message), c(Degraded, 'True', R.Quarantined, message)];
}

const CONVERGED_READY_MESSAGE = 'the resource is in its desired state';
const CONVERGED_PROGRESSING_MESSAGE = 'nothing left to correct';

function clip(message: string): string {
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message;
}

/**
 * Records a pass on a status: stamps `observedGeneration` and sets the {@link passConditions}, each
 * `lastTransitionTime` moving only when its `status` flips. Returns the SAME reference when nothing
 * changed, so `next !== status` is the whole "should I write?" test (G9: a converged loop writes
 * nothing on resync). User conditions and fields are kept.
 *
 * ## Example
 * ```ts
 * import { Outcome, recordPass } from 'rx-reconcile';
 * import type { ReconcileStatus, Resource, Store } from 'rx-reconcile';
 *
 * declare const store: Store;
 * declare const resource: Resource<unknown, ReconcileStatus>;
 * const verdict = { outcome: Outcome.converged(), failureClass: undefined, failures: 0, parked: undefined };
 * const next = recordPass(resource.status, { generation: resource.metadata.generation, verdict }, new Date().toISOString());
 * if (next !== resource.status) await store.updateStatus({ ...resource, status: next });
 * ```
 */
export function recordPass<S extends ReconcileStatus>(given: S | undefined, report: PassReport, now: string | (() => string)): S {
  const status = recordable(given);
  // A status that needed mending (see recordable) is written even when its conditions stand.
  if (status !== given) return applyPass(status, report.generation, passConditions(report), typeof now === 'string' ? now : now(), true);
  // The common case (a converged key passing again) changes nothing: no timestamp, no immer draft,
  // and for a converged pass not even the condition objects.
  const stamped = status !== undefined && status.observedGeneration === report.generation;
  if (stamped && convergedAndRecorded(status, report)) return status;
  const conditions = passConditions(report);
  if (stamped && conditions.every((c) => sameCondition(status, c))) return status;
  const at = typeof now === 'string' ? now : now();
  return applyPass(status, report.generation, conditions, at);
}

/**
 * The condition to store in place of `existing` for `condition`, or `undefined` when `existing` already
 * says the same. `lastTransitionTime` moves to `now` only when the condition's `status` flips.
 */
function nextCondition(existing: Condition | undefined, condition: Omit<Condition, 'lastTransitionTime'>, now: string): Condition | undefined {
  if (
    existing !== undefined &&
    existing.status === condition.status &&
    existing.reason === condition.reason &&
    existing.message === condition.message &&
    existing.observedGeneration === condition.observedGeneration
  ) {
    return undefined;
  }
  return {
    type: condition.type,
    status: condition.status,
    reason: condition.reason,
    message: condition.message,
    observedGeneration: condition.observedGeneration,
    lastTransitionTime: existing !== undefined && existing.status === condition.status ? existing.lastTransitionTime : now,
  };
}

/**
 * `stampObservedGeneration` then `setCondition` for each condition, as ONE copy of the status (no
 * immer draft per condition: this runs after every pass that changed something). Same result: user
 * fields and conditions kept, an unchanged condition kept by reference, `lastTransitionTime` moving
 * only when `status` flips, the result deep-frozen.
 */
function applyPass<S extends ReconcileStatus>(status: S | undefined, generation: number, conditions: readonly Omit<Condition, 'lastTransitionTime'>[], at: string, mended = false): S {
  checkGeneration(generation);
  const list: Condition[] = status?.conditions === undefined ? [] : [...status.conditions];
  const stamped = status !== undefined && status.observedGeneration === generation;
  let changed = mended;
  for (const condition of conditions) {
    checkCondition(condition);
    const index = list.findIndex((c) => c.type === condition.type);
    const next = nextCondition(index < 0 ? undefined : list[index], condition, at);
    if (next === undefined) continue;
    if (index < 0) list.push(next);
    else list[index] = next;
    changed = true;
  }
  if (!changed && stamped) return status as S;
  const base = (status ?? {}) as S;
  // Unchanged conditions: the same array, as immer would keep it.
  if (!changed) return deepFreeze({ ...base, observedGeneration: generation } as S);
  return deepFreeze({ ...base, observedGeneration: generation, conditions: list } as S);
}

/**
 * True when the pass converged and `status` already holds its three conditions (allocates nothing).
 * One scan of the list (this runs after every no-change pass); as in {@link getCondition}, the first
 * condition of a type is the one that counts.
 */
function convergedAndRecorded(status: ReconcileStatus, report: PassReport): boolean {
  const type = report.verdict.outcome.type;
  if (type !== 'converged' && type !== 'requeueAfter') return false;
  const conditions = status.conditions;
  if (conditions === undefined) return false;
  const g = report.generation;
  const { Ready, Progressing, Degraded } = conditionTypesOf(report.prefix);
  let found = 0;
  for (let i = 0; i < conditions.length; i++) {
    const c = conditions[i] as Condition;
    let bit: number;
    let ok: boolean;
    if (c.type === Ready) {
      bit = 1;
      ok = c.status === 'True' && c.reason === ConditionReasons.Converged && c.message === CONVERGED_READY_MESSAGE;
    } else if (c.type === Progressing) {
      bit = 2;
      ok = c.status === 'False' && c.reason === ConditionReasons.Converged && c.message === CONVERGED_PROGRESSING_MESSAGE;
    } else if (c.type === Degraded) {
      bit = 4;
      ok = c.status === 'False' && c.reason === ConditionReasons.AsExpected && c.message === '';
    } else continue;
    if ((found & bit) !== 0) continue;
    if (!ok || c.observedGeneration !== g) return false;
    found |= bit;
    if (found === 7) return true;
  }
  return false;
}

function holds(status: ReconcileStatus, type: string, value: ConditionStatus, reason: string, message: string, generation: number): boolean {
  const conditions = status.conditions;
  if (conditions === undefined) return false;
  for (let i = 0; i < conditions.length; i++) {
    const c = conditions[i] as Condition;
    if (c.type === type) {
      return c.status === value && c.reason === reason && c.message === message && c.observedGeneration === generation;
    }
  }
  return false;
}

function sameCondition(status: ReconcileStatus, condition: Omit<Condition, 'lastTransitionTime'>): boolean {
  return holds(status, condition.type, condition.status, condition.reason, condition.message, condition.observedGeneration);
}

/** An error's message for a condition; one whose `message` getter throws (a Proxy, a hostile class) is named as such. */
function messageOf(error: Error): string {
  try {
    const message: unknown = error.message;
    return typeof message === 'string' ? message : String(message);
  } catch {
    return 'an error whose message cannot be read';
  }
}
