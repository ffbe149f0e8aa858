/**
 * The options of `defineLoop`, their types and their zod schema: checked when the loop is defined,
 * so a loop that cannot run is refused before it starts, naming the option and the fix (a misspelt
 * `finaliser` or `resyncPeriod` included).
 *
 * @module
 */
import { isObservable } from 'rxjs';
import type { Observable } from 'rxjs';
import { z } from 'zod';
import { InvalidArgumentError } from '../../src/index.js';
import type { Coordinator, Correction, EventFilter, KindDefinition, Plan, Key, Logger, MaybeAsync, Metrics, Outcome, QueueHooks, ReconcileRequest, Resource, ResourceEvent, Store, WorkQueueOptions } from '../../src/index.js';
import { checkOptions, fn, name as nonEmpty, period, withMethods } from '../../src/check-options.js';
import { queueOptionsShape } from '../../src/queue-options.js';
import type { CorrectionInput } from '../compare.js';
import type { SpecSchema } from '../with-schema.js';
import type { LoopContext } from './loop-context.js';
import { checkLoopDocs, loopDocsShape } from '../describe/loop-docs.js';
import type { LoopDocs } from '../describe/loop-docs.js';

/** A child kind whose changes trigger their owners, or a mapped relation. */
export type Dependency =
  | string
  | { readonly kind: string; readonly controllerOnly?: boolean }
  | { readonly kind: string; readonly map: (event: ResourceEvent) => Iterable<Key> };

/** The `finalizer` option of `defineLoop`; see `withFinalizer` for the flow and caveats. */
export interface LoopFinalizer<Spec, Status> {
  /** The finalizer, unique to this loop, e.g. `todo.example.com/file`. */
  readonly name: string;
  /**
   * Removes from the world what the loop made for a deleted resource; idempotent, safe when nothing
   * was ever applied. Retried like any pass. Required for `reconcile` loops; phase loops default to
   * running their phases against an absent desired state (`compare(undefined, current)`).
   */
  readonly cleanup?: (resource: Resource<Spec, Status>, context: LoopContext<Spec, Status>) => MaybeAsync<Outcome | undefined | void>;
}

/** The work-queue options a loop passes through unchanged (documented on `WorkQueueOptions`). */
export type LoopQueueOptions = Pick<
  WorkQueueOptions,
  | 'workers'
  | 'scheduler'
  | 'backoff'
  | 'rateLimit'
  | 'classify'
  | 'conflictRetries'
  | 'dependencyInterval'
  | 'timeout'
  | 'random'
  | 'timeSlice'
  | 'hotKeys'
  | 'agingEvery'
>;

/** The names of the queue options a loop passes to `workQueue` as they are. */
export const QUEUE_OPTION_KEYS = [
  'workers',
  'scheduler',
  'backoff',
  'rateLimit',
  'classify',
  'conflictRetries',
  'dependencyInterval',
  'timeout',
  'random',
  'convergenceDeadline',
  'timeSlice',
  'hotKeys',
  'agingEvery',
] as const satisfies readonly (keyof WorkQueueOptions)[];

/**
 * Options shared by both styles of `defineLoop`. Besides its own, a loop takes the work queue's
 * `workers` (default 4), `scheduler` (default `asyncScheduler`, for all time in the loop), `backoff`
 * (default `Backoff.defaultPolicy`: 1 s ×2, 5 steps, cap 60 s; `steps` retries before quarantine),
 * `rateLimit`, `classify`, `conflictRetries`, `dependencyInterval`, `timeout`, `random`, `timeSlice`,
 * `hotKeys` and `agingEvery`, with the meaning `WorkQueueOptions` gives them.
 */
export interface LoopOptionsBase<Spec, Status> extends LoopQueueOptions {
  /** Name of the loop, in logs, metrics and descriptions. */
  readonly name: string;
  /** Where the loop is defined, as `file:line`, for `describeLoops`. Default: the caller of `defineLoop`, from the stack. */
  readonly source?: string;
  /** Where desired state lives. */
  readonly store: Store;
  /**
   * The kind this loop reconciles: its name, or a typed kind from `defineKind` (then `Spec` and
   * `Status` are inferred, the store registers its schema, and the loop checks specs against it).
   */
  readonly kind: string | KindDefinition<Spec, Status>;
  /** Resync period in ms: every key is reconciled again at this period (low priority). Default off. */
  readonly resync?: number;
  /**
   * Keep only the watch events this returns true for — or, given a list, that every filter keeps
   * (Halo's event matchers: `onAdd`, `onUpdate(old, new)`, `onDelete`, `generationChanged`). Default:
   * all. A filter that throws keeps its event (logged): a spare pass is harmless, a lost one is not.
   * It applies to watch events only, not to resync (see `resyncFilter`): resync exists to repair what
   * events missed, and a filter such as `generationChanged` would turn it off.
   */
  readonly filter?: EventFilter<Spec, Status> | readonly EventFilter<Spec, Status>[];
  /** Resources a resync visits (default: all of the kind), e.g. by label. */
  readonly resyncFilter?: (resource: Resource<Spec, Status>) => boolean;
  /**
   * The orphan sweep: lists the keys that exist in the world (files in a folder, rows of another
   * system). Each gets a pass at start and at every resync — one without a resource finds nothing
   * desired and cleans up what was left behind.
   */
  readonly worldKeys?: () => MaybeAsync<Iterable<Key>>;
  /**
   * Kinds of children this loop owns (made with `ctx.ensureChildren`, or by hand with an owner
   * reference): a child's change triggers its owner (like controller-runtime's `Owns()`), and when an
   * owner is gone its children are deleted (the cascade), unless `orphan` is true. Kinds given to
   * `ctx.ensureChildren` are cascaded over too, without `owns`: the loop records them in its
   * `ledger` store (a `ReconcileChildKinds` record named by its name's hash), and at start reads them
   * back and gives a pass to each owner that is gone while children of those kinds still name it.
   */
  readonly owns?: readonly string[];
  /** Keep owned children when their owner is gone (no cascade, and no child kinds recorded). Default false. */
  readonly orphan?: boolean;
  /** Where `ctx.once` records its effects, and the loop the kinds of children it makes. Default: the loop's store. */
  readonly ledger?: Store;
  /** Kinds whose changes trigger the owning key (via ownerReferences or a mapping function). */
  readonly dependencies?: readonly Dependency[];
  /**
   * External event sources (a child process exits, a file changes, a message arrives): each emits
   * keys or `ReconcileRequest`s that go through the queue like watch events — collapsed, and respecting
   * backoff and quarantine. (`loop.trigger(key)` is the manual force that skips them.) A source that
   * errors is restarted with the loop's backoff (logged, counted in `health()`); one that completes is
   * done (logged). A `Subject` is subscribed when the loop is defined, so what it emits right after
   * `defineLoop` is kept; other Observables are subscribed on the loop's first tick.
   */
  readonly triggers?: readonly Observable<Key | ReconcileRequest>[];
  /**
   * Convergence deadline in ms: a key whose desired generation has not converged this long after the
   * loop first saw it is logged at `error` (`Convergence deadline exceeded`) and marked
   * `Degraded=True` (`ConvergenceDeadlineExceeded`) by its next failed pass; it keeps being
   * reconciled. Default off.
   */
  readonly convergenceDeadline?: number;
  /**
   * Write `Ready` / `Progressing` / `Degraded` conditions and `observedGeneration` to the status after
   * every pass (see `withConditions`), skipping writes that change nothing. Default `true`: failures,
   * bad specs and quarantine are visible on the resource itself. `false` leaves status to you.
   * `{ prefix: 'Mail' }` writes them as `MailReady`, `MailProgressing`, `MailDegraded`: for a second
   * loop on the same kind, whose conditions must not overwrite the first loop's (two loops of one
   * process writing the same types on one store and kind are warned about at start).
   */
  readonly conditions?: boolean | { readonly prefix: string };
  /**
   * The spec schema (zod): a pass whose resource fails it is not run; the key gets `Degraded=True`
   * (`InvalidSpec`, naming the field) and no retries until its spec changes (see `withSchema`). The
   * pass sees the spec the schema gives (`ctx.get()`, the phases' `desired`: coercions and defaults
   * applied, as its inferred type says), also for data stored unparsed; the stored spec is not rewritten.
   */
  readonly schema?: SpecSchema<Spec>;
  /** Add a finalizer; cleanup runs on deletion, before the resource disappears (see `withFinalizer`). */
  readonly finalizer?: LoopFinalizer<Spec, Status>;
  /** A pino-compatible logger. Default: silent. A logger that throws is contained. */
  readonly logger?: Logger;
  /** Metrics port (e.g. `prometheusMetrics(...)`). Default: records nothing. */
  readonly metrics?: Metrics;
  /** Extra queue hooks, called after the library's own (each contained). */
  readonly hooks?: QueueHooks;
  /**
   * What `describeLoops` cannot read from the code: who may change the desired state, how the loop
   * observes and compares, what its corrections mean, how it resolves conflicts (see `LoopDocs`).
   */
  readonly describe?: LoopDocs;
  /**
   * Several replicas: run passes only for the keys this replica owns (e.g. `etcdCoordinator` from
   * `rx-reconcile/etcd`), re-list on gains, and fence every store write of a pass (see
   * `withOwnership`). Default: this process owns every key.
   */
  readonly coordinator?: Coordinator;
}

/** Halo style: one `reconcile(request)` returning an `Outcome` or nothing. */
export interface ReconcileLoopOptions<Spec, Status> extends LoopOptionsBase<Spec, Status> {
  /** With a `finalizer`, runs for live resources only. */
  readonly reconcile: (request: ReconcileRequest, context: LoopContext<Spec, Status>) => MaybeAsync<Outcome | undefined | void>;
  readonly finalizer?: LoopFinalizer<Spec, Status> & Required<Pick<LoopFinalizer<Spec, Status>, 'cleanup'>>;
}

/** The four phases: observe the world, compare with the resource, correct, verify. */
export interface PhaseLoopOptions<Spec, Status, C, T> extends LoopOptionsBase<Spec, Status> {
  /** Reads the current state of the world for a key. */
  readonly observe: (key: Key, context: LoopContext<Spec, Status>) => MaybeAsync<C>;
  /**
   * Pure: the corrections that move `current` to what `desired` asks (`undefined` once deleted, or
   * during a finalizer's default cleanup). `desired` is the resource read at the start of the pass.
   */
  readonly compare: (desired: Resource<Spec, Status> | undefined, current: C, key: Key) => readonly CorrectionInput<T>[];
  /** Applies one correction; must be idempotent for its `idempotencyKey`. */
  readonly correct: (correction: Correction<T>, context: LoopContext<Spec, Status>) => MaybeAsync<unknown>;
  /** After corrections: observe and compare again (default), with the outcome when in sync. `false` skips. */
  readonly verify?:
    | false
    | {
        /** Outcome when nothing is left to correct. Default `Outcome.converged()`. */
        readonly inSync?: () => Outcome;
        /** Outcome when corrections remain after `correct`. Default: a transient retry naming them. */
        readonly notConverged?: (plan: Plan<Resource<Spec, Status> | undefined, C | undefined, T>) => Outcome;
      };
}

/** Options of `defineLoop`. */
export type LoopOptions<Spec, Status, C = unknown, T = unknown> = ReconcileLoopOptions<Spec, Status> | PhaseLoopOptions<Spec, Status, C, T>;

/** The options of a store loop once a typed kind was turned into its name (inside the library). */
export type ResolvedLoopOptions<Spec, Status, C = unknown, T = unknown> = LoopOptions<Spec, Status, C, T> & { readonly kind: string };

const dependency = z.union(
  [
    nonEmpty('a kind (a non-empty string)'),
    z.strictObject({ kind: nonEmpty('a kind (a non-empty string)'), controllerOnly: z.boolean().optional() }),
    z.strictObject({ kind: nonEmpty('a kind (a non-empty string)'), map: fn('a function (event) => keys') }),
  ],
  { error: 'must be a kind, { kind, controllerOnly? } or { kind, map(event) => keys }' },
);

/** The pass of a loop, in either style (`reconcile`, or `observe`/`compare`/`correct`/`verify`): shared by store and stream loops. */
export const passShape = {
  reconcile: fn('a function (request, ctx) => outcome').optional(),
  observe: fn('a function (key, ctx) => current state').optional(),
  compare: fn('a function (desired, current, key) => corrections').optional(),
  correct: fn('a function (correction, ctx) => void').optional(),
  verify: z
    .union([z.literal(false), z.strictObject({ inSync: fn('a function () => outcome').optional(), notConverged: fn('a function (plan) => outcome').optional() })], {
      error: 'must be false or { inSync?, notConverged? }',
    })
    .optional(),
};

const loopSchema = z.strictObject({
  ...queueOptionsShape,
  convergenceDeadline: queueOptionsShape.convergenceDeadline,
  name: nonEmpty('the name of the loop (a non-empty string), used in logs and metrics'),
  source: z.string().optional(),
  store: withMethods<Store>('a store such as createMemoryStore()', 'get', 'list', 'create', 'update', 'updateStatus', 'delete', 'watch'),
  kind: z.union([nonEmpty('the kind it reconciles (a non-empty string)'), z.custom<KindDefinition<unknown>>(
      (v) => typeof v === 'object' && v !== null && typeof (v as { name?: unknown }).name === 'string' && typeof (v as { spec?: { safeParse?: unknown } }).spec?.safeParse === 'function',
      'must be a kind from defineKind(name, { spec })',
    )], {
    error: 'must be the kind it reconciles: a non-empty string, or defineKind(...)',
  }),
  resync: period().optional(),
  filter: z.union([fn('a function (event) => boolean'), z.array(fn('a function (event) => boolean'))], { error: 'must be a function (event) => boolean, or a list of them' }).optional(),
  resyncFilter: fn('a function (resource) => boolean').optional(),
  worldKeys: fn('a function () => keys of the world').optional(),
  owns: z.array(nonEmpty('a kind (a non-empty string)'), { error: 'must be a list of kinds' }).optional(),
  orphan: z.boolean({ error: 'must be true or false' }).optional(),
  ledger: withMethods<Store>('a store', 'get', 'create').optional(),
  dependencies: z.array(dependency, { error: 'must be an array of dependencies' }).optional(),
  triggers: z.array(z.custom<Observable<unknown>>((v) => isObservable(v), 'must be an Observable of keys or Requests'), { error: 'must be an array of Observables' }).optional(),
  conditions: z
    .union(
      [
        z.boolean(),
        z.strictObject({
          prefix: z.string({ error: "must be a string as in { prefix: 'Mail' }" }).regex(/^[A-Za-z][A-Za-z0-9]{0,62}$/, {
            error: "must be letters and digits starting with a letter (at most 63), as in { prefix: 'Mail' }",
          }),
        }),
      ],
      { error: "must be true, false, or { prefix: 'Mail' } (a prefix of letters and digits, starting with a letter, for a second loop on the same kind)" },
    )
    .optional(),
  schema: withMethods<SpecSchema>('a zod schema', 'safeParse').optional(),
  finalizer: z
    .strictObject({
      name: nonEmpty('the finalizer name, unique to this loop (e.g. "todo.example.com/file")'),
      cleanup: fn('a function (resource, ctx) => outcome').optional(),
    })
    .optional(),
  logger: withMethods<Logger>('a pino-compatible logger', 'debug', 'info', 'warn', 'error', 'child').optional(),
  metrics: withMethods<Metrics>('a metrics port such as prometheusMetrics(...)', 'forLoop').optional(),
  hooks: z.custom<QueueHooks>((v) => typeof v === 'object' && v !== null, 'must be an object of hook functions').optional(),
  describe: loopDocsShape,
  coordinator: withMethods<Coordinator>('a Coordinator such as etcdCoordinator(...) from rx-reconcile/etcd', 'owns', 'fence', 'hold', 'ready').optional(),
  ...passShape,
});

/** Refuses options a loop cannot run with, before anything starts, saying what to do instead. */
export function checkLoopOptions(options: unknown): void {
  const o = (typeof options === 'object' && options !== null ? options : {}) as Readonly<Record<string, unknown>>;
  const label = typeof o['name'] === 'string' && o['name'] !== '' ? `defineLoop "${o['name']}"` : 'defineLoop';
  const fail = (message: string): never => {
    throw new InvalidArgumentError(`${label}: ${message}`);
  };
  // The shape of the pass first: it is the mistake that says the most about what is missing.
  if (typeof o['name'] !== 'string' || o['name'] === '') fail('give the loop a name (a non-empty string), used in logs and metrics');
  const kind = o['kind'] as { name?: unknown } | string | undefined;
  const kindOk = (typeof kind === 'string' && kind !== '') || (typeof kind === 'object' && kind !== null && typeof kind.name === 'string' && kind.name !== '');
  if (!kindOk) fail('the loop needs the kind it reconciles (a non-empty string, or defineKind(...))');
  const store = o['store'] as Partial<Store> | undefined;
  if (typeof store?.get !== 'function' || typeof store.watch !== 'function') {
    fail('the loop needs a store (e.g. createMemoryStore()) with get, list, watch and the write methods');
  }
  const isFn = (key: string): boolean => typeof o[key] === 'function';
  if (!isFn('reconcile') && !(isFn('observe') && isFn('compare') && isFn('correct'))) {
    const given = ['reconcile', 'observe', 'compare', 'correct'].filter(isFn);
    fail(
      'the loop needs either reconcile(request, ctx), or all three of observe, compare and correct' +
        (given.length > 0 ? ` (got only ${given.join(', ')})` : ''),
    );
  }
  if (isFn('reconcile') && (isFn('observe') || isFn('compare') || isFn('correct'))) {
    fail('the loop has both reconcile and phases: keep one style (reconcile, or observe/compare/correct)');
  }
  checkOptions(label, loopSchema, options as object);
  checkLoopDocs(label, o['describe']);
  const finalizer = o['finalizer'] as { cleanup?: unknown } | undefined;
  if (isFn('reconcile') && finalizer !== undefined && typeof finalizer.cleanup !== 'function') {
    fail(
      'finalizer.cleanup is required with reconcile: without it a deleted resource would wait for its finalizer forever; ' +
        'give cleanup(resource, ctx) that removes what the loop made, or leave the finalizer out',
    );
  }
}

/** The prefix of a loop's condition types from its `conditions` option (`undefined`: `Ready`, `Progressing`, `Degraded`). */
export function conditionPrefixOf(conditions: boolean | { readonly prefix: string } | undefined): string | undefined {
  return typeof conditions === 'object' && conditions !== null ? conditions.prefix : undefined;
}
