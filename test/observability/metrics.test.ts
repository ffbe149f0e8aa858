import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import client from 'prom-client';
import { InvalidArgumentError, Outcome, createMemoryStore, defineLoop } from 'rx-reconcile';
import { prometheusMetrics } from 'rx-reconcile/prometheus';
import { virtualClock } from './clock.js';
import { bucketBounds, declared, sample, startScenario } from './scenario.js';

const CR_RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5, 1.75, 2, 2.5, 3,
  3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

describe('prometheusMetrics, rx-reconcile names', () => {
  it('records the scripted run: results, errors by class, durations, queue family, gauges', async () => {
    const clock = virtualClock();
    const registry = new client.Registry();
    const { loop } = await startScenario(clock, { metrics: prometheusMetrics({ client, registry }) });

    // Mid-run: two passes (a-ok, b-flaky) have been running for 100 ms, four keys wait.
    await clock.advance(100);
    let text = await registry.metrics();
    expect(sample(text, 'queue_depth{loop="shop"}')).toBe(4);
    expect(sample(text, 'reconcile_active_workers{loop="shop"}')).toBe(2);
    expect(sample(text, 'reconcile_workers{loop="shop"}')).toBe(2);
    expect(sample(text, 'queue_unfinished_work_seconds{loop="shop"}')).toBeCloseTo(0.2, 9);
    expect(sample(text, 'queue_longest_running_pass_seconds{loop="shop"}')).toBeCloseTo(0.1, 9);

    await clock.advance(10_000);
    text = await registry.metrics();

    expect(sample(text, 'reconcile_total{loop="shop",result="converged"}')).toBe(4);
    expect(sample(text, 'reconcile_total{loop="shop",result="retry"}')).toBe(4);
    expect(sample(text, 'reconcile_total{loop="shop",result="terminal"}')).toBe(1);
    expect(sample(text, 'reconcile_total{loop="shop",result="requeue_after"}')).toBe(1);
    expect(sample(text, 'reconcile_total{loop="shop",result="waiting"}')).toBe(1);
    expect(sample(text, 'reconcile_errors_total{loop="shop",class="transient"}')).toBe(4);
    expect(sample(text, 'reconcile_errors_total{loop="shop",class="permanent"}')).toBe(1);
    expect(sample(text, 'reconcile_errors_total{loop="shop",class="conflict"}')).toBe(0);
    expect(sample(text, 'reconcile_duration_seconds_count{loop="shop"}')).toBe(11);
    expect(sample(text, 'reconcile_duration_seconds_sum{loop="shop"}')).toBeCloseTo(2.75, 9);
    expect(sample(text, 'reconcile_duration_seconds_bucket{le="0.1",loop="shop"}')).toBe(0);
    expect(sample(text, 'reconcile_duration_seconds_bucket{le="0.25",loop="shop"}')).toBe(11);
    expect(sample(text, 'queue_work_duration_seconds_count{loop="shop"}')).toBe(11);

    expect(sample(text, 'queue_adds_total{loop="shop",reason="initial"}')).toBe(6);
    // flaky 1, broken 1 and 2, poll 1, dep 1: the queue came back by itself after each.
    expect(sample(text, 'queue_retries_total{loop="shop"}')).toBe(5);
    expect(sample(text, 'queue_duration_seconds_count{loop="shop"}')).toBe(11);
    // c-broken and d-bad waited 250 ms for a worker, e-poll and f-dep 500 ms; timers start at once.
    expect(sample(text, 'queue_duration_seconds_sum{loop="shop"}')).toBeCloseTo(1.5, 9);

    expect(sample(text, 'queue_depth{loop="shop"}')).toBe(0);
    expect(sample(text, 'reconcile_active_workers{loop="shop"}')).toBe(0);
    expect(sample(text, 'queue_unfinished_work_seconds{loop="shop"}')).toBe(0);
    expect(sample(text, 'queue_longest_running_pass_seconds{loop="shop"}')).toBe(0);
    expect(sample(text, 'queue_delayed_keys{loop="shop"}')).toBe(0);
    expect(sample(text, 'queue_quarantined_keys{loop="shop"}')).toBe(1);

    // New revision at t=0 → converged: a-ok 0.25 s, b-flaky 1.5 s, f-dep 3 s, e-poll 6 s.
    expect(sample(text, 'reconcile_time_to_converge_seconds_count{loop="shop"}')).toBe(4);
    expect(sample(text, 'reconcile_time_to_converge_seconds_sum{loop="shop"}')).toBeCloseTo(10.75, 9);

    expect([...declared(text)].sort()).toEqual(
      [
        ['queue_adds_total', 'counter'],
        ['queue_delayed_keys', 'gauge'],
        ['queue_depth', 'gauge'],
        ['queue_duration_seconds', 'histogram'],
        ['queue_longest_running_pass_seconds', 'gauge'],
        ['queue_quarantined_keys', 'gauge'],
        ['queue_retries_total', 'counter'],
        ['queue_unfinished_work_seconds', 'gauge'],
        ['queue_work_duration_seconds', 'histogram'],
        ['reconcile_active_workers', 'gauge'],
        ['reconcile_duration_seconds', 'histogram'],
        ['reconcile_errors_total', 'counter'],
        ['reconcile_hot_keys_total', 'counter'],
        ['reconcile_overdue_total', 'counter'],
        ['reconcile_source_errors_total', 'counter'],
        ['reconcile_time_to_converge_seconds', 'histogram'],
        ['reconcile_total', 'counter'],
        ['reconcile_workers', 'gauge'],
      ].sort(),
    );

    // Releasing the quarantined key empties the gauge.
    expect(loop.release('c-broken')).toBe(true);
    text = await registry.metrics();
    expect(sample(text, 'queue_quarantined_keys{loop="shop"}')).toBe(0);
    const stopped = loop.stop({ deadline: 0 });
    await clock.advance(1000);
    await stopped;
  });

  it('measures time to converge from the first trigger of a new revision, not from status echoes', async () => {
    const clock = virtualClock();
    const registry = new client.Registry();
    const store = createMemoryStore({ scheduler: clock.scheduler });
    await store.create('Doc', { metadata: { name: 'd' }, spec: { v: 1 } });
    const loop = defineLoop<{ v: number }, { seen?: number }>({
      name: 'docs',
      store,
      kind: 'Doc',
      scheduler: clock.scheduler,
      metrics: prometheusMetrics({ client, registry, prefix: 'app' }),
      async reconcile(_request, ctx) {
        await clock.sleep(100);
        const doc = await ctx.get();
        if (doc) await ctx.updateStatus(doc, (s) => void (s.seen = doc.spec.v));
        return Outcome.converged();
      },
    });
    await clock.advance(1000);
    const doc = await store.get<{ v: number }, { seen?: number }>('Doc', 'd');
    if (doc) await store.update({ ...doc, spec: { v: 2 } });
    await clock.advance(1000);
    // A metadata-only change after convergence: same generation, same revision, one more pass.
    const current = await store.get<{ v: number }, { seen?: number }>('Doc', 'd');
    if (current) await store.update({ ...current, metadata: { ...current.metadata, labels: { team: 'docs' } } });
    await clock.advance(1000);
    const text = await registry.metrics();
    const passes = sample(text, 'app_reconcile_total{loop="docs",result="converged"}') ?? 0;
    expect(passes).toBeGreaterThanOrEqual(3);
    // Two desired revisions, each converged after one 100 ms pass; the passes for the label change
    // (and any status echo) carried a revision already converged: no extra samples.
    expect(sample(text, 'app_reconcile_time_to_converge_seconds_count{loop="docs"}')).toBe(2);
    expect(sample(text, 'app_reconcile_time_to_converge_seconds_sum{loop="docs"}')).toBeCloseTo(0.2, 9);
    expect(sample(text, 'app_queue_adds_total{loop="docs",reason="initial"}')).toBe(1);
    expect(sample(text, 'app_queue_adds_total{loop="docs",reason="watch"}')).toBeGreaterThanOrEqual(2);
    await loop.stop();
    await clock.settle();
  });

  it('shares one registry between loops and adapters, labelled by loop; refuses foreign metrics', async () => {
    const clock = virtualClock();
    const registry = new client.Registry();
    const first = await startScenario(clock, { name: 'one', metrics: prometheusMetrics({ client, registry }) });
    const second = await startScenario(clock, { name: 'two', metrics: prometheusMetrics({ client, registry }) });
    await clock.advance(10_000);
    const text = await registry.metrics();
    expect(sample(text, 'reconcile_total{loop="one",result="converged"}')).toBe(4);
    expect(sample(text, 'reconcile_total{loop="two",result="converged"}')).toBe(4);
    expect(sample(text, 'queue_quarantined_keys{loop="two"}')).toBe(1);
    expect(text.match(/^# TYPE reconcile_total /gm)).toHaveLength(1);

    // A stopped loop's gauges disappear; its counters stay.
    await first.loop.stop();
    await clock.settle();
    const after = await registry.metrics();
    expect(sample(after, 'queue_depth{loop="one"}')).toBeUndefined();
    expect(sample(after, 'queue_depth{loop="two"}')).toBe(0);
    expect(sample(after, 'reconcile_total{loop="one",result="converged"}')).toBe(4);
    await second.loop.stop();
    await clock.settle();

    const foreign = new client.Registry();
    new client.Counter({ name: 'reconcile_total', help: 'not ours', registers: [foreign] });
    expect(() => prometheusMetrics({ client, registry: foreign })).toThrow(InvalidArgumentError);
    expect(() => prometheusMetrics({ client, registry: foreign, prefix: '9bad' })).toThrow(/prefix/);
  });
});

describe('prometheusMetrics, controller-runtime names', () => {
  it('emits controller-runtime names, labels, results and buckets for the scripted run', async () => {
    const clock = virtualClock();
    const registry = new client.Registry();
    const { loop } = await startScenario(clock, { metrics: prometheusMetrics({ client, registry, metricNames: 'controller-runtime' }) });

    // Before any pass ends, the four results are there at 0.
    await clock.settle();
    let text = await registry.metrics();
    for (const result of ['success', 'error', 'requeue', 'requeue_after']) {
      expect(sample(text, `controller_runtime_reconcile_total{controller="shop",result="${result}"}`), result).toBe(0);
    }
    expect(sample(text, 'controller_runtime_max_concurrent_reconciles{controller="shop"}')).toBe(2);
    expect(sample(text, 'controller_runtime_active_workers{controller="shop"}')).toBe(2);
    expect(sample(text, 'workqueue_depth{name="shop",controller="shop",priority=""}')).toBe(4);

    await clock.advance(10_000);
    text = await registry.metrics();
    expect(sample(text, 'controller_runtime_reconcile_total{controller="shop",result="success"}')).toBe(4);
    expect(sample(text, 'controller_runtime_reconcile_total{controller="shop",result="error"}')).toBe(5);
    expect(sample(text, 'controller_runtime_reconcile_total{controller="shop",result="requeue_after"}')).toBe(2);
    expect(sample(text, 'controller_runtime_reconcile_total{controller="shop",result="requeue"}')).toBe(0);
    expect(sample(text, 'controller_runtime_reconcile_errors_total{controller="shop"}')).toBe(5);
    expect(sample(text, 'controller_runtime_terminal_reconcile_errors_total{controller="shop"}')).toBe(1);
    expect(sample(text, 'controller_runtime_reconcile_panics_total{controller="shop"}')).toBe(0);
    expect(sample(text, 'controller_runtime_reconcile_timeouts_total{controller="shop"}')).toBe(0);
    expect(sample(text, 'controller_runtime_reconcile_time_seconds_count{controller="shop"}')).toBe(11);
    expect(sample(text, 'controller_runtime_reconcile_time_seconds_bucket{le="0.2",controller="shop"}')).toBe(0);
    expect(sample(text, 'controller_runtime_reconcile_time_seconds_bucket{le="0.25",controller="shop"}')).toBe(11);
    expect(sample(text, 'controller_runtime_active_workers{controller="shop"}')).toBe(0);
    expect(sample(text, 'workqueue_depth{name="shop",controller="shop",priority=""}')).toBe(0);
    expect(sample(text, 'workqueue_adds_total{name="shop",controller="shop"}')).toBe(6);
    expect(sample(text, 'workqueue_retries_total{name="shop",controller="shop"}')).toBe(5);
    expect(sample(text, 'workqueue_queue_duration_seconds_count{name="shop",controller="shop"}')).toBe(11);
    expect(sample(text, 'workqueue_work_duration_seconds_sum{name="shop",controller="shop"}')).toBeCloseTo(2.75, 9);
    expect(sample(text, 'workqueue_unfinished_work_seconds{name="shop",controller="shop"}')).toBe(0);
    expect(sample(text, 'workqueue_longest_running_processor_seconds{name="shop",controller="shop"}')).toBe(0);
    expect(sample(text, 'rx_reconcile_quarantined_keys{controller="shop"}')).toBe(1);
    expect(sample(text, 'rx_reconcile_time_to_converge_seconds_count{controller="shop"}')).toBe(4);

    expect(bucketBounds(text, 'controller_runtime_reconcile_time_seconds', 'controller="shop"')).toEqual(CR_RECONCILE_BUCKETS);
    const queueBounds = bucketBounds(text, 'workqueue_queue_duration_seconds', 'controller="shop"');
    expect(queueBounds).toHaveLength(12);
    queueBounds.forEach((bound, i) => expect(bound).toBeCloseTo(10 ** (i - 8), 20 - i));
    expect(bucketBounds(text, 'workqueue_work_duration_seconds', 'controller="shop"')).toEqual(queueBounds);

    const names = [...declared(text)].sort();
    expect(names).toEqual(
      [
        ['controller_runtime_active_workers', 'gauge'],
        ['controller_runtime_max_concurrent_reconciles', 'gauge'],
        ['controller_runtime_reconcile_errors_total', 'counter'],
        ['controller_runtime_reconcile_panics_total', 'counter'],
        ['controller_runtime_reconcile_time_seconds', 'histogram'],
        ['controller_runtime_reconcile_timeouts_total', 'counter'],
        ['controller_runtime_reconcile_total', 'counter'],
        ['controller_runtime_terminal_reconcile_errors_total', 'counter'],
        ['rx_reconcile_hot_keys_total', 'counter'],
        ['rx_reconcile_overdue_total', 'counter'],
        ['rx_reconcile_source_errors_total', 'counter'],
        ['rx_reconcile_quarantined_keys', 'gauge'],
        ['rx_reconcile_time_to_converge_seconds', 'histogram'],
        ['workqueue_adds_total', 'counter'],
        ['workqueue_depth', 'gauge'],
        ['workqueue_longest_running_processor_seconds', 'gauge'],
        ['workqueue_queue_duration_seconds', 'histogram'],
        ['workqueue_retries_total', 'counter'],
        ['workqueue_unfinished_work_seconds', 'gauge'],
        ['workqueue_work_duration_seconds', 'histogram'],
      ].sort(),
    );
    await loop.stop();
    await clock.settle();
  });

  it('counts pass timeouts, and emits only controller-runtime names with extras off', async () => {
    const clock = virtualClock();
    const registry = new client.Registry();
    const store = createMemoryStore({ scheduler: clock.scheduler });
    await store.create('Job', { metadata: { name: 'hang' }, spec: {} });
    const loop = defineLoop({
      name: 'jobs',
      store,
      kind: 'Job',
      scheduler: clock.scheduler,
      timeout: 100,
      metrics: prometheusMetrics({ client, registry, metricNames: 'controller-runtime', extras: false }),
      reconcile: () => new Promise<undefined>(() => undefined),
    });
    await clock.advance(150);
    const text = await registry.metrics();
    expect(sample(text, 'controller_runtime_reconcile_timeouts_total{controller="jobs"}')).toBe(1);
    expect(sample(text, 'controller_runtime_reconcile_total{controller="jobs",result="error"}')).toBe(1);
    expect(sample(text, 'controller_runtime_terminal_reconcile_errors_total{controller="jobs"}')).toBe(0);
    expect([...declared(text).keys()].every((n) => n.startsWith('controller_runtime_') || n.startsWith('workqueue_'))).toBe(true);
    await loop.stop({ deadline: 0 });
    await clock.advance(10);
  });
});

describe('prometheusMetrics, registry lifecycle', () => {
  it('registers its metrics again in a registry that was cleared', async () => {
    const clock = virtualClock();
    const registry = new client.Registry();
    prometheusMetrics({ client, registry });
    registry.clear();
    expect(await registry.metrics()).toBe('\n');
    const { loop } = await startScenario(clock, { metrics: prometheusMetrics({ client, registry }) });
    await clock.advance(300);
    expect(sample(await registry.metrics(), 'reconcile_total{loop="shop",result="converged"}')).toBe(1);
    const stopped = loop.stop({ deadline: 0 });
    await clock.advance(10);
    await stopped;
  });
});

describe('prometheusMetrics, layering', () => {
  it('never loads prom-client at run time: the kernel only imports its types', async () => {
    const text = await readFile(new URL('../../prometheus/prometheus-metrics.ts', import.meta.url), 'utf8');
    const code = text.split('\n').filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line));
    const imports = code.filter((line) => /from ['"]prom-client['"]|require\(['"]prom-client|import\(['"]prom-client/.test(line));
    expect(imports.length).toBeGreaterThan(0);
    for (const line of imports) expect(line).toMatch(/^import type /);
  });
});
