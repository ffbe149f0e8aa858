import { asyncScheduler, catchError, defaultIfEmpty, defer, map, of, takeLast } from 'rxjs';
import type { Observable, SchedulerLike } from 'rxjs';
import { Outcome, noopLogger, recordPass } from '../src/index.js';
import type { Logger, MaybeAsync, PassContext, PassReport, ReconcileRequest, Resource, Store, Work } from '../src/index.js';
import { isoTime } from '../src/iso-time.js';
import { outcomeOf, toObservable } from './read.js';

/** Options of {@link withConditions}. */
export interface ConditionsOptions<Ctx extends PassContext = PassContext> {
  /** Where the resources live; conditions are written with `updateStatus`. */
  readonly store: Store;
  /** The kind of the resources. */
  readonly kind: string;
  /** Clock of `lastTransitionTime`. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** How a pass reads the resource at its start. Default `store.get(kind, key)`. */
  readonly read?: (request: ReconcileRequest, context: Ctx) => PromiseLike<Resource | undefined>;
  /**
   * The same first read when it is at hand without waiting (`{ value }`), else `undefined` (then
   * `read` is awaited). Saves a promise hop per pass; `defineLoop` passes its snapshot here.
   */
  readonly readNow?: (request: ReconcileRequest, context: Ctx) => { readonly value: Resource | undefined } | undefined;
  /** Where a failed condition write is logged (`warn`). Default: silent. */
  readonly logger?: Logger;
  /**
   * A count of the writes that could have changed the resource between the first read and the end
   * of the pass (every write of the resource that will not come back as a watch event). When it has
   * not moved during a pass, the first read stands in for the second one as long as it shows the
   * conditions already recorded: a no-change pass then costs no second read. Any other change to
   * the resource is a watch event that runs the key again, and that pass reads afresh. Default:
   * always read again.
   */
  readonly writes?: () => number;
  /** Put before each condition type (`Mail`: `MailReady`, …), for a second loop on the same resources. Default: none. */
  readonly prefix?: string;
}

/**
 * Wraps a pass so that, after it, the resource's status says how it went: `Ready`, `Progressing` and
 * `Degraded` conditions with `observedGeneration` (see `passConditions` for the table), and
 * `status.observedGeneration` (G9). A write that would change nothing is not made, so a converged loop
 * writes nothing on resync and its own writes never start a storm.
 *
 * The conditions say what the queue will do next, as `PassContext.assess(outcome)` reports it:
 * retrying, waiting for a dependency, failed for good, quarantined, or past the convergence deadline.
 * `defineLoop` wraps every pass with it unless `conditions: false`.
 *
 * ## Example
 * ```ts
 * import { asyncScheduler } from 'rxjs';
 * import { Outcome, createMemoryStore } from 'rx-reconcile';
 * import { watchRequests, withConditions, workQueue } from 'rx-reconcile/operators';
 *
 * const store = createMemoryStore();
 * const scheduler = asyncScheduler;
 * const reconcileTodo = () => Outcome.converged();
 * watchRequests(store, 'Todo').pipe(workQueue(withConditions({ store, kind: 'Todo', scheduler })(reconcileTodo), { scheduler })).subscribe();
 * ```
 *
 * ## Expected flow
 * 1. Read the resource (its generation is the one this pass reconciles); absent: just run the pass.
 * 2. Run the pass; a throw becomes `Outcome.retry(error)`.
 * 3. Skip the write when the pass was aborted (timeout, stop), when the key runs again at once (a
 *    bounded conflict retry), or when the resource is gone or is being deleted and the pass succeeded.
 * 4. With `writes` unmoved and the first read already showing these conditions, stop: nothing to
 *    write. Otherwise read the resource again, apply the conditions (`recordPass`) and write the
 *    status only if it changed.
 *
 * ## Guarantees
 * - `lastTransitionTime` moves only when a condition's `status` flips; user conditions are kept.
 * - A failed write turns a successful pass into `retry(error)` (a conflict is retried at once), so
 *   the status is never silently left stale; after a failed pass the pass's own outcome wins and
 *   the write error is logged.
 *
 * ## Caveats
 * - One more read per pass (two when the status changes). Pass `read` to share the first one, and
 *   `writes` to skip the second when nothing wrote the resource (`defineLoop` passes both).
 * - The write is a watch event for the key: give the wrapper a store from `ignoreOwnWrites` and watch
 *   through the same view so it does not come back as a trigger.
 * - A frozen status (every store of this library returns deep-frozen snapshots) once seen to hold a
 *   converged pass's conditions for a generation is afterwards recognised by identity, without reading
 *   its conditions again; a store that changes the objects it returned in place should not freeze them.
 */
export function withConditions<Ctx extends PassContext = PassContext>(options: ConditionsOptions<Ctx>): (work: Work<Ctx>) => Work<Ctx> {
  const { store, kind, prefix } = options;
  const scheduler = options.scheduler ?? asyncScheduler;
  const logger = options.logger ?? noopLogger;
  const read = options.read ?? ((request: ReconcileRequest) => store.get(kind, request.key));
  const stamp = (): string => isoTime(scheduler.now());

  /**
   * Statuses seen to hold a converged pass's conditions, with the generation they hold them for. A
   * stored status is a frozen snapshot that later writes replace rather than change, so a converged
   * key passing again is recognised by the identity of its status without reading its conditions
   * (cold in memory on a large drain). Only frozen statuses (with a frozen `conditions` list) are
   * remembered: every store of this library deep-freezes what it returns.
   */
  const recorded = new WeakMap<object, number>();

  /**
   * What is left to do after a pass, decided without waiting: `undefined` when nothing is to be
   * written (the common case of a converged key passing again), else the report to record.
   */
  const settle = (before: Resource, outcome: Outcome, context: Ctx, unwritten: boolean): Settled | undefined => {
    if (context.aborted) return undefined;
    const verdict = context.assess(outcome);
    const succeeded = verdict.outcome.type === 'converged' || verdict.outcome.type === 'requeueAfter';
    if (verdict.immediate && !succeeded) return undefined; // a bounded conflict retry: the next pass writes
    const generation = before.metadata.generation;
    const status = before.status as object | undefined;
    // Nothing wrote the resource through an unwatched path since the first read: a successful pass of
    // a resource being deleted, or whose status was already seen holding these conditions, has
    // nothing to write (decided before a report is built: this is every no-change pass).
    if (unwritten && succeeded && (before.metadata.deletionTimestamp !== undefined || (status !== undefined && recorded.get(status) === generation))) {
      return undefined;
    }
    // The convergence clock is read only for a failed pass past its deadline (a lookup per pass else).
    const since = !succeeded && context.overdue ? context.convergingSince : undefined;
    const report: PassReport = { generation, verdict, overdueSince: since === undefined ? undefined : isoTime(since), prefix };
    // Else, if the first read already shows these conditions, no need to read again.
    if (unwritten && recordPass(status, report, stamp) === status) {
      if (succeeded && status !== undefined && isFrozenStatus(status)) recorded.set(status, generation);
      return undefined;
    }
    return { report, succeeded };
  };

  const record = async ({ report, succeeded }: Settled, outcome: Outcome, context: Ctx): Promise<Outcome> => {
    const fresh = await store.get(kind, context.key);
    if (fresh === undefined || (succeeded && fresh.metadata.deletionTimestamp !== undefined)) return outcome;
    const status = recordPass(fresh.status as object | undefined, report, stamp);
    if (status === fresh.status || context.aborted) return outcome;
    try {
      const written = await store.updateStatus({ ...fresh, status });
      // What was just written holds these conditions: the key's next pass is recognised by identity.
      const kept = written?.status as object | undefined;
      if (succeeded && kept !== undefined && kept !== null && isFrozenStatus(kept)) recorded.set(kept, report.generation);
    } catch (error) {
      if (succeeded) return Outcome.retry(error);
      logger.warn({ key: context.key, error: (error as Error).message }, 'Status conditions not written');
    }
    return outcome;
  };

  // Promise-based on purpose: this wraps every pass of every easy-mode loop, and an operator chain
  // per pass costs several µs (see BENCHMARKS.md #18); a no-change pass settles without another
  // promise. Observable passes are still cancelled on abort.
  const writes = options.writes;
  const readNow = options.readNow;
  return (work) => async (request, context) => {
    const now = readNow?.(request, context);
    const before = now !== undefined ? now.value : await read(request, context);
    const mark = writes === undefined ? -1 : writes();
    let outcome: Outcome;
    try {
      const result = work(request, context);
      outcome = result instanceof Promise ? Outcome.from(await result) : await outcomeOf(() => result, context);
    } catch (error) {
      outcome = Outcome.retry(error);
    }
    if (before === undefined) return outcome;
    const settled = settle(before, outcome, context, writes !== undefined && writes() === mark);
    return settled === undefined ? outcome : await record(settled, outcome, context);
  };
}

/** The status and its conditions list are frozen (so what was seen in them cannot change). */
function isFrozenStatus(status: object): boolean {
  const conditions = (status as { conditions?: unknown }).conditions;
  return Object.isFrozen(status) && (typeof conditions !== 'object' || conditions === null || Object.isFrozen(conditions));
}

/** A pass whose conditions may need writing. */
interface Settled {
  readonly report: PassReport;
  readonly succeeded: boolean;
}

/**
 * Runs a pass function and gives its outcome as a one-value Observable: nothing is `converged`, the
 * last value of an Observable counts, a throw or an error is `retry(error)`. Unsubscribing cancels
 * the pass (its Observable is unsubscribed). Shared by the pass wrappers.
 */
export function passOutcome(run: () => MaybeAsync<Outcome | undefined | void>): Observable<Outcome> {
  return defer(() => toObservable<Outcome | undefined | void>(run())).pipe(
    takeLast(1),
    defaultIfEmpty(undefined),
    map((value) => Outcome.from(value)),
    catchError((error: unknown) => of(Outcome.retry(error))),
  );
}
