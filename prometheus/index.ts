/**
 * `rx-reconcile/prometheus`: the `Metrics` port over prom-client, with the source template's metric
 * names or controller-runtime's. The only module of the package that knows prom-client's types; the
 * caller passes the prom-client module in, so nothing is loaded unless asked for.
 *
 * @module
 */
export { prometheusMetrics } from './prometheus-metrics.js';
export type { PrometheusMetricsOptions } from './prometheus-metrics.js';
export type { MetricNaming } from '../src/described-metrics.js';
