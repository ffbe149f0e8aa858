/**
 * The shipped alerting rules (admin/alerts/*.rules.yml): valid for promtool, their unit tests pass
 * (`promtool test rules`), a broken rule makes those tests fail, and every metric a rule reads is one
 * that `prometheusMetrics` or the admin really registers in that naming scheme.
 *
 * Skips only when promtool is missing (PROMTOOL_PATH, default /usr/bin/promtool); `.ci/run` installs
 * Debian's `prometheus` package, so CI always runs these.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import client from 'prom-client';
import { createMemoryStore, defineLoop } from 'rx-reconcile';
import { prometheusMetrics } from 'rx-reconcile/prometheus';
import type { MetricNaming } from 'rx-reconcile/prometheus';
import { ALERT_RULE_FILES, adminHandler } from 'rx-reconcile/admin';

const run = promisify(execFile);
const PROMTOOL = process.env['PROMTOOL_PATH'] ?? '/usr/bin/promtool';
const present = existsSync(PROMTOOL);
const root = new URL('../..', import.meta.url).pathname;
const MODES: readonly MetricNaming[] = ['rx-reconcile', 'controller-runtime'];
const ALERTS = ['ReconcileLoopNotAlive', 'ReconcileLoopNotReady', 'ReconcileKeysQuarantined', 'ReconcileErrorRatioHigh', 'ReconcileConvergenceDeadlineExceeded', 'ReconcileQueueDepthGrowing'];

async function promtool(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(PROMTOOL, args, { cwd: root, timeout: 60_000 });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** Metric names read by the rules' `expr:` blocks. */
function metricsRead(rules: string): Set<string> {
  const names = new Set<string>();
  let inExpr = false;
  for (const line of rules.split('\n')) {
    if (/^\s*expr:/.test(line)) inExpr = true;
    else if (/^\s*(for|labels|annotations|- alert):?/.test(line)) inExpr = false;
    if (!inExpr) continue;
    for (const m of line.matchAll(/\b[a-z_:]+_(?:total|keys|alive|ready|depth)\b/g)) names.add(m[0]);
  }
  return names;
}

describe('alerting rules', () => {
  it('ships one rule file per naming scheme, each with the six alerts', async () => {
    for (const mode of MODES) {
      const text = await readFile(ALERT_RULE_FILES[mode], 'utf8');
      for (const alert of ALERTS) expect(text, `${mode}: ${alert}`).toContain(`- alert: ${alert}\n`);
    }
  });

  it('reads only metrics that prometheusMetrics and the admin register in that scheme', async () => {
    for (const mode of MODES) {
      const registry = new client.Registry();
      const store = createMemoryStore();
      const loop = defineLoop({ name: 'todo', store, kind: 'T', convergenceDeadline: 60_000, metrics: prometheusMetrics({ client, registry, metricNames: mode }), reconcile: () => undefined });
      const admin = adminHandler({ loops: [loop], registry, metricNames: mode });
      try {
        await loop.whenIdle();
        const registered = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
        const read = metricsRead(await readFile(ALERT_RULE_FILES[mode], 'utf8'));
        expect(read.size, mode).toBeGreaterThanOrEqual(6);
        for (const name of read) expect(registered, `${mode}: ${name}`).toContain(name);
      } finally {
        admin.close();
        await loop.stop();
      }
    }
  });

  if (!present && process.env['CI'] === 'true') it('CI has promtool (.ci/run installs prometheus)', () => {
    expect.fail(`no promtool at ${PROMTOOL}: .ci/run should have installed Debian's prometheus`);
  });

  describe.skipIf(!present)(present ? 'promtool' : `promtool — SKIPPED: no promtool at ${PROMTOOL} (apt-get install -y prometheus, or set PROMTOOL_PATH)`, () => {
    it('promtool check rules accepts both files', async () => {
      const r = await promtool('check', 'rules', ALERT_RULE_FILES['rx-reconcile'], ALERT_RULE_FILES['controller-runtime']);
      expect(r.out).toContain('SUCCESS: 6 rules found');
      expect(r.code).toBe(0);
    });

    it('promtool test rules passes for both schemes', async () => {
      for (const mode of MODES) {
        const r = await promtool('test', 'rules', `test/admin/alerts/${mode}.test.yml`);
        expect(r.out, r.out).toContain('SUCCESS');
        expect(r.code, r.out).toBe(0);
      }
    });

    it('the rule tests fail when a rule is broken (a renamed metric, a threshold moved)', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'rx-alerts-'));
      try {
        const mutations: [MetricNaming, string, string][] = [
          ['rx-reconcile', 'expr: reconcile_loop_alive == 0', 'expr: reconcile_loop_up == 0'],
          ['rx-reconcile', 'expr: queue_quarantined_keys > 0', 'expr: queue_quarantined_keys > 5'],
          ['controller-runtime', '> 0.01', '> 0.05'],
        ];
        for (const [mode, from, to] of mutations) {
          await mkdir(join(dir, 'admin', 'alerts'), { recursive: true });
          await mkdir(join(dir, 'test', 'admin', 'alerts'), { recursive: true });
          const rules = await readFile(ALERT_RULE_FILES[mode], 'utf8');
          expect(rules).toContain(from);
          await writeFile(join(dir, 'admin', 'alerts', `${mode}.rules.yml`), rules.replace(from, to));
          await cp(join(root, 'test', 'admin', 'alerts', `${mode}.test.yml`), join(dir, 'test', 'admin', 'alerts', `${mode}.test.yml`));
          const { code, out } = await (async () => {
            try {
              await run(PROMTOOL, ['test', 'rules', `test/admin/alerts/${mode}.test.yml`], { cwd: dir, timeout: 60_000 });
              return { code: 0, out: '' };
            } catch (error) {
              const e = error as { stdout?: string; stderr?: string };
              return { code: 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
            }
          })();
          expect(code, `${mode}: ${from} → ${to} should fail`).toBe(1);
          expect(out).toContain('FAILED');
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
