/**
 * What a metrics adapter can say about itself: the metrics it emits ({@link DescribedMetrics}, printed by
 * `describeLoops`) and the naming scheme it follows. The Prometheus adapter (`rx-reconcile/prometheus`)
 * implements it; the kernel knows only this shape, never prom-client.
 *
 * @module
 */
import type { Metrics } from './ports.js';

/**
 * Which metric names {@link prometheusMetrics} emits.
 *
 * `'rx-reconcile'` for new dashboards, `'controller-runtime'` to keep controller-runtime dashboards.
 *
 * ## Example
 * ```ts
 * prometheusMetrics({ client, registry, metricNames: 'controller-runtime' });
 * ```
 */
export type MetricNaming = 'rx-reconcile' | 'controller-runtime';

/**
 * One metric an adapter emits, as printed by `describeLoops`.
 *
 * ## Example
 * ```ts
 * const d: MetricDescription = { name: 'reconcile_total', type: 'counter', labels: ['loop', 'result'], help: '…' };
 * ```
 */
export interface MetricDescription {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly labels: readonly string[];
  readonly help: string;
}

/**
 * A `Metrics` port that can list what it emits. `describeLoops` prints the list for each loop.
 *
 * ## Example
 * ```ts
 * const metrics: DescribedMetrics = prometheusMetrics({ client, registry });
 * metrics.describe().map((m) => m.name); // ['reconcile_total', …]
 * ```
 */
export interface DescribedMetrics extends Metrics {
  /** The metrics this adapter emits, in a stable order. */
  describe(): readonly MetricDescription[];
}

/**
 * True when `metrics` can list what it emits (see {@link DescribedMetrics}).
 *
 * Use it before calling `describe()` on a `Metrics` port of unknown origin.
 *
 * ## Example
 * ```ts
 * if (isDescribedMetrics(loop.options.metrics)) console.log(loop.options.metrics.describe());
 * ```
 */
export function isDescribedMetrics(metrics: Metrics | undefined): metrics is DescribedMetrics {
  return metrics !== undefined && typeof (metrics as Partial<DescribedMetrics>).describe === 'function';
}
