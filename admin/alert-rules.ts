/**
 * Where the shipped Prometheus alerting rules are: one file per metric naming scheme, in the
 * package's `admin/alerts/` folder (tested with `promtool test rules`). Load them into Prometheus
 * (`rule_files:`) or copy them into your own rules.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MetricNaming } from '../src/described-metrics.js';

function alertsFolder(): string {
  for (const candidate of ['./alerts/', '../../admin/alerts/']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  return fileURLToPath(new URL('./alerts/', import.meta.url));
}

const folder = alertsFolder();

/**
 * Absolute paths of the alerting rule files, by metric naming scheme (`prometheusMetrics({ metricNames })`).
 *
 * ## Example
 * ```ts
 * import { copyFile } from 'node:fs/promises';
 * import { ALERT_RULE_FILES } from 'rx-reconcile/admin';
 *
 * await copyFile(ALERT_RULE_FILES['controller-runtime'], '/etc/prometheus/rules/reconcile.yml');
 * ```
 */
export const ALERT_RULE_FILES: Readonly<Record<MetricNaming, string>> = Object.freeze({
  'rx-reconcile': `${folder}rx-reconcile.rules.yml`,
  'controller-runtime': `${folder}controller-runtime.rules.yml`,
});
