/**
 * Prometheus metrics for reconcile loops: an adapter of the `Metrics` port over prom-client.
 *
 * The kernel never loads prom-client: the caller passes the prom-client module itself (`client`) and
 * the `registry` to register in, so prom-client stays an optional peer dependency. This file only
 * imports its types.
 *
 * Two naming schemes:
 * - `'rx-reconcile'` (default): the source template's names (`reconcile_total{loop,result}`, …) plus a
 *   work-queue family in the same style, all behind an optional `prefix`;
 * - `'controller-runtime'`: exactly the names, labels, result values and buckets of
 *   controller-runtime and client-go's work queue, so existing dashboards and alerts keep working.
 *
 * @module
 */
import type * as PromClient from 'prom-client';
import { InvalidArgumentError, TimeoutError } from '../src/errors.js';
import type { FailureClass } from '../src/outcome.js';
import type { DescribedMetrics, MetricDescription, MetricNaming } from '../src/described-metrics.js';
import type { LoopProbe } from '../src/ports.js';
import type { PassResult, QueueHooks, QueueStats } from '../src/queue.js';
import type { Key, ReconcileRequest, TriggerReason } from '../src/types.js';

/**
 * The part of the prom-client module the adapter uses: its metric classes.
 *
 * Pass the module itself (`import client from 'prom-client'`); a `Pick` keeps test doubles small.
 *
 * ## Example
 * ```ts
 * import client from 'prom-client';
 * const c: PromClientLike = client;
 * ```
 */
export type PromClientLike = Pick<typeof PromClient, 'Counter' | 'Gauge' | 'Histogram'>;

/**
 * A prom-client registry, in either exposition format.
 *
 * ## Example
 * ```ts
 * const registry: PromRegistry = new client.Registry();
 * ```
 */
export type PromRegistry = PromClient.Registry | PromClient.Registry<PromClient.OpenMetricsContentType>;


/**
 * Histogram buckets, in seconds, per family of histograms.
 *
 * Override only when the defaults do not fit your latencies; with `'controller-runtime'` naming an
 * override makes the buckets differ from controller-runtime's.
 *
 * ## Example
 * ```ts
 * prometheusMetrics({ client, registry, buckets: { reconcile: [0.01, 0.1, 1, 10] } });
 * ```
 */
export interface MetricBuckets {
  /** Pass durations (`reconcile_duration_seconds`, work duration). */
  readonly reconcile?: readonly number[];
  /** Time a key waited ready in the queue before its pass started. */
  readonly queue?: readonly number[];
  /** Time from a new desired revision to a converged pass. */
  readonly converge?: readonly number[];
}

/**
 * Options of {@link prometheusMetrics}.
 *
 * ## Example
 * ```ts
 * const options: PrometheusMetricsOptions = { client, registry, prefix: 'shop' };
 * ```
 */
export interface PrometheusMetricsOptions {
  /** The prom-client module (`import client from 'prom-client'`). */
  readonly client: PromClientLike;
  /** Where the metrics are registered. Several loops and adapters can share one registry. */
  readonly registry: PromRegistry;
  /**
   * Prepended to every name of the `'rx-reconcile'` scheme (`'shop'` → `shop_reconcile_total`); a
   * missing trailing `_` is added. With `'controller-runtime'` naming it applies only to the extras.
   * Default: none (`'rx_reconcile_'` for the controller-runtime extras).
   */
  readonly prefix?: string;
  /** Naming scheme. Default `'rx-reconcile'`. */
  readonly metricNames?: MetricNaming;
  /** Histogram buckets in seconds. Defaults depend on the scheme (see {@link prometheusMetrics}). */
  readonly buckets?: MetricBuckets;
  /**
   * With `'controller-runtime'` naming, also emit what controller-runtime has no name for: quarantined
   * keys, time to converge and overdue revisions (named with `prefix`, label `controller`). Default true.
   */
  readonly extras?: boolean;
}


/** controller-runtime's `controller_runtime_reconcile_time_seconds` buckets. */
const CR_RECONCILE_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0,
  2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

/** client-go's work-queue buckets: 10 ns × 10ⁱ, i = 0…11, computed as Go does (same doubles). */
const CR_QUEUE_BUCKETS: readonly number[] = geometric(10e-9, 10, 12);

const DEFAULT_RECONCILE_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const DEFAULT_QUEUE_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300];
const DEFAULT_CONVERGE_BUCKETS: readonly number[] = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

function geometric(start: number, factor: number, count: number): number[] {
  const out: number[] = [];
  let value = start;
  for (let i = 0; i < count; i++) {
    out.push(value);
    value *= factor;
  }
  return out;
}

/** Everything the adapter keeps about one loop that uses it. */
class LoopEntry {
  /** Set once `stats()` answered; a later `undefined` means the loop stopped. */
  seen = false;
  /** Keys parked by quarantine right now (removed on release). */
  readonly quarantined = new Set<Key>();
  /**
   * Per key, the last desired revision seen and, while not yet converged, when it was first seen.
   * A key whose converged revision is odd (deleted, by `watchRequests`' convention) is forgotten.
   */
  readonly revisions = new Map<Key, { revision: number; since: number | undefined }>();
  readonly name: string;
  readonly probe: LoopProbe;
  constructor(probe: LoopProbe) {
    this.probe = probe;
    this.name = probe.name;
  }
}

type Combine = 'sum' | 'max';
type Read = (stats: QueueStats, entry: LoopEntry) => number;
type Labels = Record<string, string>;

/** The metrics of one scheme in one registry, shared by every loop registered there. */
class Family {
  readonly entries = new Set<LoopEntry>();
  readonly described: MetricDescription[] = [];
  private readonly client: PromClientLike;
  private readonly registry: PromRegistry;
  constructor(client: PromClientLike, registry: PromRegistry) {
    this.client = client;
    this.registry = registry;
  }

  /** Live loops with their stats; forgets loops that stopped. O(loops), never O(keys). */
  live(): [LoopEntry, QueueStats][] {
    const out: [LoopEntry, QueueStats][] = [];
    for (const entry of this.entries) {
      const stats = entry.probe.stats();
      if (stats === undefined) {
        if (entry.seen) this.entries.delete(entry);
        continue;
      }
      entry.seen = true;
      out.push([entry, stats]);
    }
    return out;
  }

  counter(name: string, help: string, labelNames: readonly string[]): PromClient.Counter {
    this.described.push({ name, type: 'counter', labels: labelNames, help });
    return this.create(name, () => new this.client.Counter({ name, help, labelNames, registers: [this.registry] }));
  }

  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): PromClient.Histogram {
    this.described.push({ name, type: 'histogram', labels: labelNames, help });
    return this.create(
      name,
      () => new this.client.Histogram({ name, help, labelNames, buckets: [...buckets], registers: [this.registry] }),
    );
  }

  /** A gauge computed at scrape time from each live loop's stats. */
  gauge(name: string, help: string, labelNames: readonly string[], labelsOf: (loop: string) => Labels, read: Read, combine: Combine = 'sum'): void {
    this.described.push({ name, type: 'gauge', labels: labelNames, help });
    const family = this;
    this.create(
      name,
      () =>
        new this.client.Gauge({
          name,
          help,
          labelNames,
          registers: [this.registry],
          collect(this: PromClient.Gauge) {
            const values = new Map<string, number>();
            for (const [entry, stats] of family.live()) {
              const value = read(stats, entry);
              const previous = values.get(entry.name);
              values.set(entry.name, previous === undefined ? value : combine === 'sum' ? previous + value : Math.max(previous, value));
            }
            this.reset();
            for (const [loop, value] of values) this.set(labelsOf(loop), value);
          },
        }),
    );
  }

  private create<M>(name: string, make: () => M): M {
    if (this.registry.getSingleMetric(name) !== undefined) {
      throw new InvalidArgumentError(
        `prometheusMetrics: a metric named "${name}" is already registered in this registry by someone else; ` +
          'give the loops their own registry or a distinct prefix',
      );
    }
    return make();
  }
}

/** The hooks that record one loop's passes, given how each event maps onto the scheme's metrics. */
interface Scheme {
  init(entry: LoopEntry): void;
  added(entry: LoopEntry, reason: TriggerReason): void;
  started(entry: LoopEntry, queuedSeconds: number): void;
  finished(entry: LoopEntry, result: PassResult, seconds: number, requeued: boolean): void;
  converged(entry: LoopEntry, seconds: number): void;
  overdue(entry: LoopEntry): void;
  hot(entry: LoopEntry): void;
  sourceError(entry: LoopEntry, source: string): void;
}

const families = new WeakMap<object, Map<string, { family: Family; scheme: Scheme }>>();

/**
 * A `Metrics` adapter that records every loop's passes in a prom-client registry.
 *
 * Use it as the `metrics` option of `defineLoop` (or with `instrument` for a hand-written loop). The
 * prom-client module is passed in (`client`), never imported, so it stays an optional dependency.
 * Several loops — and several calls with the same registry and scheme — share one set of metrics,
 * labelled by loop; the first call's buckets win. Gauges are computed at scrape time from each loop's
 * `stats()` (O(running passes), never O(keys)); a stopped loop's gauges disappear.
 *
 * Names with `metricNames: 'rx-reconcile'` (default; `P` = `prefix`):
 *
 * | Metric | Type | Labels |
 * |---|---|---|
 * | `P reconcile_total` | counter | `loop`, `result` ∈ converged, requeue_after, retry, terminal, waiting (all pre-set to 0) |
 * | `P reconcile_duration_seconds` | histogram | `loop` |
 * | `P reconcile_errors_total` | counter | `loop`, `class` ∈ transient, conflict, permanent (retry and terminal passes) |
 * | `P queue_depth` | gauge | `loop` (keys ready to run) |
 * | `P queue_adds_total` | counter | `loop`, `reason` (every trigger, before collapsing) |
 * | `P queue_retries_total` | counter | `loop` (passes after which the queue comes back by itself: requeue, backoff, wait) |
 * | `P queue_duration_seconds` | histogram | `loop` (time ready in the queue) |
 * | `P queue_work_duration_seconds` | histogram | `loop` |
 * | `P queue_unfinished_work_seconds` | gauge | `loop` (sum of the running passes' ages) |
 * | `P queue_longest_running_pass_seconds` | gauge | `loop` |
 * | `P queue_delayed_keys` | gauge | `loop` (keys in requeue, backoff or dependency wait) |
 * | `P queue_quarantined_keys` | gauge | `loop` |
 * | `P reconcile_workers`, `P reconcile_active_workers` | gauge | `loop` |
 * | `P reconcile_time_to_converge_seconds` | histogram | `loop` (first trigger with a new desired revision → a converged pass of that revision) |
 * | `P reconcile_overdue_total` | counter | `loop` (revisions past the queue's `convergenceDeadline`) |
 *
 * With `metricNames: 'controller-runtime'`: `controller_runtime_reconcile_total{controller,result}`
 * (success, error, requeue, requeue_after, pre-set to 0), `controller_runtime_reconcile_errors_total`,
 * `controller_runtime_terminal_reconcile_errors_total`, `controller_runtime_reconcile_panics_total`
 * (always 0: a throw is an error here), `controller_runtime_reconcile_timeouts_total`,
 * `controller_runtime_reconcile_time_seconds`, `controller_runtime_max_concurrent_reconciles`,
 * `controller_runtime_active_workers` (label `controller`), and `workqueue_depth{name,controller,priority}`,
 * `workqueue_adds_total`, `workqueue_queue_duration_seconds`, `workqueue_work_duration_seconds`,
 * `workqueue_unfinished_work_seconds`, `workqueue_longest_running_processor_seconds`,
 * `workqueue_retries_total` (labels `name`, `controller`, both the loop name), with
 * controller-runtime's buckets. Outcomes map as controller-runtime's results: converged → success,
 * requeueAfter and waiting → requeue_after, retry → error, terminal → error + terminal error.
 * Extras (unless `extras: false`): `rx_reconcile_quarantined_keys{controller}`,
 * `rx_reconcile_time_to_converge_seconds{controller}` and `rx_reconcile_overdue_total{controller}`.
 *
 * Time to converge needs triggers that carry a revision (`watchRequests` does) and a probe whose
 * `stats()` answers; it keeps one small record per key that carried a revision, dropped when a
 * deletion converges.
 *
 * ## Example
 * ```ts
 * import client from 'prom-client';
 * import { createMemoryStore, defineLoop } from 'rx-reconcile';
 * import { prometheusMetrics } from 'rx-reconcile/prometheus';
 *
 * const registry = new client.Registry();
 * const metrics = prometheusMetrics({ client, registry, metricNames: 'controller-runtime' });
 * const loop = defineLoop({ name: 'todo', store: createMemoryStore(), kind: 'Todo', metrics, reconcile: () => undefined });
 * console.log(await registry.metrics()); // controller_runtime_reconcile_total{controller="todo",result="success"} …
 * ```
 *
 * @throws InvalidArgumentError when a metric of the same name was registered in `registry` by
 *   something else than this adapter.
 */
export function prometheusMetrics(options: PrometheusMetricsOptions): DescribedMetrics {
  const naming = options.metricNames ?? 'rx-reconcile';
  if (naming !== 'rx-reconcile' && naming !== 'controller-runtime') {
    throw new InvalidArgumentError(`prometheusMetrics: metricNames must be 'rx-reconcile' or 'controller-runtime', got ${String(naming)}`);
  }
  const rawPrefix = options.prefix ?? (naming === 'controller-runtime' ? 'rx_reconcile_' : '');
  if (rawPrefix !== '' && !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(rawPrefix)) {
    throw new InvalidArgumentError(`prometheusMetrics: prefix must match [a-zA-Z_:][a-zA-Z0-9_:]*, got ${JSON.stringify(rawPrefix)}`);
  }
  const prefix = rawPrefix === '' || rawPrefix.endsWith('_') ? rawPrefix : `${rawPrefix}_`;
  const extras = options.extras ?? true;
  const id = `${naming}|${prefix}|${String(extras)}`;
  let byScheme = families.get(options.registry);
  if (byScheme === undefined) {
    byScheme = new Map();
    families.set(options.registry, byScheme);
  }
  let shared = byScheme.get(id);
  const first = shared?.family.described[0];
  // A registry cleared since (`registry.clear()`) gets its metrics again.
  if (first !== undefined && options.registry.getSingleMetric(first.name) === undefined) shared = undefined;
  if (shared === undefined) {
    const family = new Family(options.client, options.registry);
    const buckets = options.buckets ?? {};
    const scheme =
      naming === 'controller-runtime' ? controllerRuntimeScheme(family, prefix, extras, buckets) : rxReconcileScheme(family, prefix, buckets);
    shared = { family, scheme };
    byScheme.set(id, shared);
  }
  const { family, scheme } = shared;
  return {
    describe: () => family.described,
    forLoop: (probe) => {
      const entry = new LoopEntry(probe);
      family.entries.add(entry);
      scheme.init(entry);
      return loopHooks(entry, scheme);
    },
  };
}

function loopHooks(entry: LoopEntry, scheme: Scheme): QueueHooks {
  return {
    onAdd: (key, reason, revision) => {
      scheme.added(entry, reason);
      if (revision !== undefined) trackRevision(entry, key, revision);
    },
    onStart: (_key: Key, _request: ReconcileRequest, queuedMs: number) => {
      scheme.started(entry, queuedMs / 1000);
    },
    onFinish: (result) => {
      const type = result.outcome.type;
      const requeued = result.parked === undefined && (type === 'requeueAfter' || type === 'retry' || type === 'waiting');
      scheme.finished(entry, result, (result.finishedAt - result.startedAt) / 1000, requeued);
      if (result.parked === 'quarantined') entry.quarantined.add(result.key);
      if (type === 'converged') {
        const seconds = convergedRevision(entry, result);
        if (seconds !== undefined) scheme.converged(entry, seconds);
      }
    },
    onRelease: (key) => {
      entry.quarantined.delete(key);
    },
    onOverdue: () => {
      scheme.overdue(entry);
    },
    onHot: () => {
      scheme.hot(entry);
    },
    onSourceError: (source) => {
      scheme.sourceError(entry, source);
    },
  };
}

function trackRevision(entry: LoopEntry, key: Key, revision: number): void {
  const known = entry.revisions.get(key);
  if (known !== undefined && known.revision === revision) return;
  const now = entry.probe.stats()?.at;
  if (now === undefined) return;
  if (known === undefined) entry.revisions.set(key, { revision, since: now });
  else {
    known.revision = revision;
    known.since = now;
  }
}

/** Seconds from the first trigger of the pass's revision to this converged pass, once per revision. */
function convergedRevision(entry: LoopEntry, result: PassResult): number | undefined {
  const revision = result.request.revision;
  if (revision === undefined) return undefined;
  const known = entry.revisions.get(result.key);
  if (known === undefined || known.revision !== revision) return undefined;
  const since = known.since;
  known.since = undefined;
  if (revision % 2 === 1) entry.revisions.delete(result.key);
  return since === undefined ? undefined : Math.max(0, result.finishedAt - since) / 1000;
}

const unfinishedSeconds: Read = (stats) => {
  let total = 0;
  for (const since of stats.runningSince) total += Math.max(0, stats.at - since);
  return total / 1000;
};
const longestSeconds: Read = (stats) => (stats.oldestRunningSince === undefined ? 0 : Math.max(0, stats.at - stats.oldestRunningSince) / 1000);
const quarantinedKeys: Read = (_stats, entry) => entry.quarantined.size;

const RX_RESULTS = ['converged', 'requeue_after', 'retry', 'terminal', 'waiting'] as const;
const RX_RESULT_OF: Readonly<Record<PassResult['outcome']['type'], (typeof RX_RESULTS)[number]>> = {
  converged: 'converged',
  requeueAfter: 'requeue_after',
  retry: 'retry',
  terminal: 'terminal',
  waiting: 'waiting',
};
const ERROR_CLASSES: readonly FailureClass[] = ['transient', 'conflict', 'permanent'];

function rxReconcileScheme(family: Family, p: string, buckets: MetricBuckets): Scheme {
  const L = ['loop'];
  const byLoop = (loop: string): Labels => ({ loop });
  const total = family.counter(`${p}reconcile_total`, 'Reconcile passes per loop and result.', ['loop', 'result']);
  const duration = family.histogram(`${p}reconcile_duration_seconds`, 'Duration of one reconcile pass, in seconds.', L, buckets.reconcile ?? DEFAULT_RECONCILE_BUCKETS);
  const errors = family.counter(`${p}reconcile_errors_total`, 'Failed passes (retry or terminal) per loop and failure class.', ['loop', 'class']);
  family.gauge(`${p}queue_depth`, 'Keys ready to run, waiting for a worker.', L, byLoop, (s) => s.depth);
  const adds = family.counter(`${p}queue_adds_total`, 'Triggers received per reason, before collapsing.', ['loop', 'reason']);
  const retries = family.counter(`${p}queue_retries_total`, 'Passes after which the queue looks at the key again by itself (requeue, backoff, dependency wait).', L);
  const queued = family.histogram(`${p}queue_duration_seconds`, 'Time a key waited ready in the queue before its pass started, in seconds.', L, buckets.queue ?? DEFAULT_QUEUE_BUCKETS);
  const work = family.histogram(`${p}queue_work_duration_seconds`, 'Time a worker spent on one pass, in seconds.', L, buckets.reconcile ?? DEFAULT_RECONCILE_BUCKETS);
  family.gauge(`${p}queue_unfinished_work_seconds`, 'Sum of the ages of the passes running now; a steady rise means a stuck pass.', L, byLoop, unfinishedSeconds);
  family.gauge(`${p}queue_longest_running_pass_seconds`, 'Age of the longest-running pass, in seconds.', L, byLoop, longestSeconds, 'max');
  family.gauge(`${p}queue_delayed_keys`, 'Keys waiting for a requeue time, a backoff delay or a dependency.', L, byLoop, (s) => s.delayed);
  family.gauge(`${p}queue_quarantined_keys`, 'Keys quarantined after too many consecutive failures (dead-letter).', L, byLoop, quarantinedKeys);
  family.gauge(`${p}reconcile_workers`, 'Maximum concurrent passes of the loop.', L, byLoop, (s) => s.workers);
  family.gauge(`${p}reconcile_active_workers`, 'Passes running now.', L, byLoop, (s) => s.running);
  const converge = family.histogram(
    `${p}reconcile_time_to_converge_seconds`,
    'Time from the first trigger carrying a new desired revision to a converged pass of that revision, in seconds.',
    L,
    buckets.converge ?? DEFAULT_CONVERGE_BUCKETS,
  );
  const overdue = family.counter(`${p}reconcile_overdue_total`, 'Desired revisions that did not converge within the convergence deadline.', L);
  const hot = family.counter(`${p}reconcile_hot_keys_total`, 'Keys reported hot: run again at once, again and again, without a desired change.', L);
  const sourceErrors = family.counter(`${p}reconcile_source_errors_total`, 'Failures of a trigger source (watch, resync, dependency, user source), each followed by a restart.', ['loop', 'source']);
  return {
    init(entry) {
      const loop = entry.name;
      for (const result of RX_RESULTS) total.inc({ loop, result }, 0);
      for (const cls of ERROR_CLASSES) errors.inc({ loop, class: cls }, 0);
      retries.inc({ loop }, 0);
      overdue.inc({ loop }, 0);
      hot.inc({ loop }, 0);
    },
    hot(entry) {
      hot.inc({ loop: entry.name });
    },
    sourceError(entry, source) {
      sourceErrors.inc({ loop: entry.name, source });
    },
    added(entry, reason) {
      adds.inc({ loop: entry.name, reason });
    },
    started(entry, seconds) {
      queued.observe({ loop: entry.name }, seconds);
    },
    finished(entry, result, seconds, requeued) {
      const loop = entry.name;
      total.inc({ loop, result: RX_RESULT_OF[result.outcome.type] });
      duration.observe({ loop }, seconds);
      work.observe({ loop }, seconds);
      const type = result.outcome.type;
      if ((type === 'retry' || type === 'terminal') && result.failureClass !== undefined) errors.inc({ loop, class: result.failureClass });
      if (requeued) retries.inc({ loop });
    },
    converged(entry, seconds) {
      converge.observe({ loop: entry.name }, seconds);
    },
    overdue(entry) {
      overdue.inc({ loop: entry.name });
    },
  };
}

function controllerRuntimeScheme(family: Family, p: string, extras: boolean, buckets: MetricBuckets): Scheme {
  const C = ['controller'];
  const Q = ['name', 'controller'];
  const byController = (controller: string): Labels => ({ controller });
  const byQueue = (name: string): Labels => ({ name, controller: name });
  const total = family.counter('controller_runtime_reconcile_total', 'Total number of reconciliations per controller', ['controller', 'result']);
  const errors = family.counter('controller_runtime_reconcile_errors_total', 'Total number of reconciliation errors per controller', C);
  const terminal = family.counter('controller_runtime_terminal_reconcile_errors_total', 'Total number of terminal reconciliation errors per controller', C);
  const panics = family.counter('controller_runtime_reconcile_panics_total', 'Total number of reconciliation panics per controller', C);
  const timeouts = family.counter('controller_runtime_reconcile_timeouts_total', 'Total number of reconciliation timeouts per controller', C);
  const time = family.histogram('controller_runtime_reconcile_time_seconds', 'Length of time per reconciliation per controller', C, buckets.reconcile ?? CR_RECONCILE_BUCKETS);
  family.gauge('controller_runtime_max_concurrent_reconciles', 'Maximum number of concurrent reconciles per controller', C, byController, (s) => s.workers);
  family.gauge('controller_runtime_active_workers', 'Number of currently used workers per controller', C, byController, (s) => s.running);
  family.gauge('workqueue_depth', 'Current depth of workqueue', ['name', 'controller', 'priority'], (name) => ({ name, controller: name, priority: '' }), (s) => s.depth);
  const adds = family.counter('workqueue_adds_total', 'Total number of adds handled by workqueue', Q);
  const queued = family.histogram('workqueue_queue_duration_seconds', 'How long in seconds an item stays in workqueue before being requested', Q, buckets.queue ?? CR_QUEUE_BUCKETS);
  const work = family.histogram('workqueue_work_duration_seconds', 'How long in seconds processing an item from workqueue takes', Q, buckets.queue ?? CR_QUEUE_BUCKETS);
  family.gauge(
    'workqueue_unfinished_work_seconds',
    'How many seconds of work has been done that is in progress and hasn\'t been observed by work_duration. Large values indicate stuck threads.',
    Q,
    byQueue,
    unfinishedSeconds,
  );
  family.gauge('workqueue_longest_running_processor_seconds', 'How many seconds has the longest running processor for workqueue been running.', Q, byQueue, longestSeconds, 'max');
  const retries = family.counter('workqueue_retries_total', 'Total number of retries handled by workqueue', Q);
  let converge: PromClient.Histogram | undefined;
  let overdue: PromClient.Counter | undefined;
  let hotKeys: PromClient.Counter | undefined;
  let sourceErrors: PromClient.Counter | undefined;
  if (extras) {
    family.gauge(`${p}quarantined_keys`, 'Keys quarantined after too many consecutive failures (dead-letter).', C, byController, quarantinedKeys);
    converge = family.histogram(
      `${p}time_to_converge_seconds`,
      'Time from the first trigger carrying a new desired revision to a converged pass of that revision, in seconds.',
      C,
      buckets.converge ?? DEFAULT_CONVERGE_BUCKETS,
    );
    overdue = family.counter(`${p}overdue_total`, 'Desired revisions that did not converge within the convergence deadline.', C);
    hotKeys = family.counter(`${p}hot_keys_total`, 'Keys reported hot: run again at once, again and again, without a desired change.', C);
    sourceErrors = family.counter(`${p}source_errors_total`, 'Failures of a trigger source, each followed by a restart.', ['controller', 'source']);
  }
  return {
    init(entry) {
      const controller = entry.name;
      for (const result of ['error', 'requeue_after', 'requeue', 'success']) total.inc({ controller, result }, 0);
      for (const counter of [errors, terminal, panics, timeouts]) counter.inc({ controller }, 0);
      adds.inc(byQueue(controller), 0);
      retries.inc(byQueue(controller), 0);
      overdue?.inc({ controller }, 0);
    },
    added(entry) {
      adds.inc(byQueue(entry.name));
    },
    started(entry, seconds) {
      queued.observe(byQueue(entry.name), seconds);
    },
    finished(entry, result, seconds, requeued) {
      const controller = entry.name;
      const outcome = result.outcome;
      time.observe({ controller }, seconds);
      work.observe(byQueue(controller), seconds);
      if (outcome.type === 'retry' || outcome.type === 'terminal') {
        if (outcome.type === 'terminal') terminal.inc({ controller });
        if (outcome.error instanceof TimeoutError) timeouts.inc({ controller });
        errors.inc({ controller });
        total.inc({ controller, result: 'error' });
      } else {
        total.inc({ controller, result: outcome.type === 'converged' ? 'success' : 'requeue_after' });
      }
      if (requeued) retries.inc(byQueue(controller));
    },
    converged(entry, seconds) {
      converge?.observe({ controller: entry.name }, seconds);
    },
    overdue(entry) {
      overdue?.inc({ controller: entry.name });
    },
    hot(entry) {
      hotKeys?.inc({ controller: entry.name });
    },
    sourceError(entry, source) {
      sourceErrors?.inc({ controller: entry.name, source });
    },
  };
}
