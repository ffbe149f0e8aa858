/**
 * The admin's own Prometheus metrics, registered in the registry given to `adminHandler`: whether
 * each loop is alive, ready and paused (gauges read at scrape time from `loop.health()`), and the
 * admin actions (a counter). Alerting rules use them (see `admin/alerts/`).
 *
 * prom-client is never imported at run time: the metrics are plain objects with the shape a
 * prom-client `Registry` reads (`name`, `help`, `type`, `aggregator`, `get()`, `reset()`), registered
 * with `registry.registerMetric`.
 *
 * | `'rx-reconcile'` naming (`P` = `metricsPrefix`) | `'controller-runtime'` naming | type |
 * |---|---|---|
 * | `P reconcile_loop_alive{loop}` | `rx_reconcile_loop_alive{controller}` | gauge: 1 while the loop runs, 0 once it stopped or died |
 * | `P reconcile_loop_ready{loop}` | `rx_reconcile_loop_ready{controller}` | gauge: 1 once the first full list is done (`health().ready`) |
 * | `P reconcile_loop_paused{loop}` | `rx_reconcile_loop_paused{controller}` | gauge: 1 while paused |
 * | `P reconcile_admin_actions_total{loop,action,result}` | `rx_reconcile_admin_actions_total{controller,action,result}` | counter: `result` ∈ ok, refused (nothing to do), denied (no or bad token, read-only, cross-site) |
 *
 * @module
 */
import type { Metric } from 'prom-client';
import { InvalidArgumentError } from '../src/errors.js';
import type { MetricNaming } from '../src/described-metrics.js';
import type { AdminLoop, AdminRegistry } from './admin-options.js';

/** Outcome of an admin action, as counted. */
export type ActionResult = 'ok' | 'refused' | 'denied';

interface MetricValue {
  readonly labels: Record<string, string>;
  readonly value: number;
}

interface PlainMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly aggregator: 'sum' | 'max';
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }>;
  reset(): void;
}

/** The admin's metrics in one registry, shared by every handler registered there. */
export class AdminMetrics {
  private readonly loops = new Set<AdminLoop>();
  private readonly actions = new Map<string, { labels: Record<string, string>; value: number }>();
  private readonly label: 'loop' | 'controller';

  constructor(registry: AdminRegistry, naming: MetricNaming, prefix: string) {
    this.label = naming === 'controller-runtime' ? 'controller' : 'loop';
    const p = naming === 'controller-runtime' ? 'rx_reconcile_' : `${prefix === '' || prefix.endsWith('_') ? prefix : `${prefix}_`}reconcile_`;
    const gauge = (name: string, help: string, read: (loop: AdminLoop) => boolean): PlainMetric =>
      this.metric(name, help, 'gauge', 'max', () => {
        const values: MetricValue[] = [];
        for (const loop of this.loops) values.push({ labels: { [this.label]: loop.name }, value: safeHealth(loop, read) ? 1 : 0 });
        return values;
      });
    const metrics = [
      gauge(`${p}loop_alive`, 'Whether the loop runs (1) or stopped or died (0).', (loop) => loop.health().alive),
      gauge(`${p}loop_ready`, 'Whether the loop is ready: its first full list is done (1), or not yet or not alive (0).', (loop) => loop.health().ready),
      gauge(`${p}loop_paused`, 'Whether the loop is paused (1): no new passes start.', (loop) => loop.health().paused),
      this.metric(`${p}admin_actions_total`, 'Admin actions per loop, action and result (ok, refused, denied).', 'counter', 'sum', () => [...this.actions.values()].map((a) => ({ labels: a.labels, value: a.value }))),
    ];
    for (const metric of metrics) {
      const existing = registry.getSingleMetric(metric.name) as unknown;
      if (existing !== undefined && !OURS.has(existing as object)) {
        throw new InvalidArgumentError(
          `adminHandler: a metric named "${metric.name}" is already registered in this registry by someone else; use another registry or metricsPrefix`,
        );
      }
    }
    for (const metric of metrics) {
      OURS.add(metric);
      registry.registerMetric(metric as unknown as Metric);
    }
  }

  /** Reports the health of `loop`. */
  add(loop: AdminLoop): void {
    this.loops.add(loop);
  }

  /** Stops reporting `loop`. */
  remove(loop: AdminLoop): void {
    this.loops.delete(loop);
  }

  /** Counts one admin action. */
  count(loop: string, action: string, result: ActionResult): void {
    const id = `${loop}\u0000${action}\u0000${result}`;
    const entry = this.actions.get(id);
    if (entry !== undefined) entry.value += 1;
    else this.actions.set(id, { labels: { [this.label]: loop, action, result }, value: 1 });
  }

  private metric(name: string, help: string, type: 'gauge' | 'counter', aggregator: 'sum' | 'max', values: () => MetricValue[]): PlainMetric {
    const actions = this.actions;
    const metric = {
      name,
      help,
      type,
      aggregator,
      // The registry may rename the metric (an OpenMetrics registry drops a counter's `_total`): read it back.
      get: () => Promise.resolve({ name: metric.name, help, type, aggregator, values: values() }),
      reset: () => {
        if (type === 'counter') actions.clear();
      },
    };
    return metric;
  }
}

/** Our metric objects, so that a second handler on the same registry shares them instead of failing. */
const OURS = new WeakSet<object>();
const SHARED = new WeakMap<object, Map<string, AdminMetrics>>();

/** The admin metrics of `registry` for this naming (created on first use, then shared). */
export function adminMetricsOf(registry: AdminRegistry, naming: MetricNaming, prefix: string): AdminMetrics {
  let byNaming = SHARED.get(registry);
  if (byNaming === undefined) SHARED.set(registry, (byNaming = new Map()));
  const id = `${naming}\u0000${prefix}`;
  let metrics = byNaming.get(id);
  if (metrics === undefined) byNaming.set(id, (metrics = new AdminMetrics(registry, naming, prefix)));
  return metrics;
}

function safeHealth(loop: AdminLoop, read: (loop: AdminLoop) => boolean): boolean {
  try {
    return read(loop);
  } catch {
    return false;
  }
}
