import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import client from 'prom-client';
import { Backoff, createMemoryStore, defineLoop, describeLoops, prometheusMetrics, rateLimit, setDiff } from 'rx-reconcile';
import type { DescribableLoop, Loop } from 'rx-reconcile';
import { callerSource } from 'rx-reconcile/operators';
import { describeExamples } from '../../examples/describe.js';

function lines(markdown: string): string[] {
  return markdown.split('\n');
}

/** The lines of one `## Loop` section. */
function section(markdown: string, name: string): string[] {
  const all = lines(markdown);
  const start = all.indexOf(`## Loop \`${name}\``);
  expect(start, `section of ${name}`).toBeGreaterThan(-1);
  const end = all.findIndex((line, i) => i > start && line.startsWith('## '));
  return all.slice(start, end === -1 ? undefined : end);
}

async function withLoops<T>(run: (loops: { todo: Loop; sync: Loop }) => T): Promise<T> {
  const store = createMemoryStore();
  const todo = defineLoop({ name: 'todo', store, kind: 'Todo', workers: 2, reconcile: () => undefined });
  const sync = defineLoop<{ items: Record<string, string> }, unknown, Record<string, string>, string>({
    name: 'sync',
    store,
    kind: 'Bucket',
    workers: 8,
    resync: 5 * 60_000,
    timeout: 30_000,
    convergenceDeadline: 10 * 60_000,
    conflictRetries: 5,
    conditions: false,
    finalizer: { name: 'sync.example.com/cleanup' },
    dependencies: ['Object', { kind: 'Policy', map: function policyOwners() { return ['all']; } }],
    backoff: Backoff.exponential({ initial: 500, factor: 3, steps: 4, cap: 10_000 }),
    rateLimit: rateLimit({ qps: 10, burst: 50 }),
    classify: function httpStatus(error) { return error.message.includes('429') ? 'transient' : undefined; },
    metrics: prometheusMetrics({ client, registry: new client.Registry(), metricNames: 'controller-runtime' }),
    observe: () => ({}),
    compare: (desired, current) => setDiff(desired?.spec.items ?? {}, current),
    correct: () => undefined,
  });
  try {
    return run({ todo, sync });
  } finally {
    await Promise.all([todo.stop(), sync.stop()]);
  }
}

describe('describeLoops', () => {
  it('renders the inventory table: name | triggers | convergence period | idempotent | source', async () => {
    const markdown = await withLoops(({ todo, sync }) =>
      describeLoops([{ ...todo, source: 'src/todo.ts:12' } satisfies DescribableLoop, sync], { title: 'Shop loops' }),
    );
    const all = lines(markdown);
    expect(all[0]).toBe('# Shop loops');
    const header = all.indexOf('| Name | Triggers | Convergence period | Idempotent | Source |');
    expect(header).toBeGreaterThan(0);
    expect(all[header + 1]).toBe('|---|---|---|---|---|');
    expect(all[header + 2]).toBe('| `todo` | watch `Todo`, manual | on change only (no resync) | by contract: `reconcile` must be idempotent | `src/todo.ts:12` |');
    // Source: where defineLoop was called (recorded by defineLoop), or — when unknown.
    expect(all[header + 3]).toMatch(
      /^\| `sync` \| watch `Bucket`, resync 5 min, `Object` changes, `Policy` changes, manual \| on change; every 5 min \(resync\); deadline 10 min \| yes: keyed corrections, verified \| (—|`test\/observability\/describe\.test\.ts:\d+`) \|$/,
    );
  });

  it('describes triggers, corrections, concurrency, backoff and dead-letter, failure classes, metrics and logs per loop', async () => {
    const markdown = await withLoops(({ todo, sync }) => describeLoops([todo, sync]));
    const todo = section(markdown, 'todo');
    const sync = section(markdown, 'sync');

    expect(sync).toContain('- Resync every 5 min: every key of `Bucket` again, at low priority (repairs lost events).');
    expect(sync).toContain('- Changes of kind `Object` trigger their owner (owner references).');
    expect(sync).toContain('- Changes of kind `Policy` trigger the keys returned by `policyOwners`.');
    expect(todo.some((l) => l.startsWith('- Resync'))).toBe(false);

    expect(sync.some((l) => l.includes('Correct: applies the corrections'))).toBe(true);
    expect(todo.some((l) => l.includes('One `reconcile(request, ctx)`'))).toBe(true);

    expect(sync).toContain('- 8 worker(s); a key is never reconciled by two workers at once, and a change during a pass gives exactly one more pass.');
    expect(sync).toContain('- Each pass is aborted after 30 s (`TimeoutError`, a transient failure).');
    expect(sync.some((l) => l.startsWith('- Convergence deadline 10 min: a desired revision not converged by then is logged'))).toBe(true);
    expect(todo.some((l) => l.startsWith('- Convergence deadline'))).toBe(false);

    expect(sync).toContain('- Finalizer `sync.example.com/cleanup`: on deletion, cleanup runs (and is retried) before the resource may disappear.');
    expect(sync.some((l) => l.startsWith('- Status is left to the loop (`conditions: false`)'))).toBe(true);
    expect(todo.some((l) => l.startsWith('- Status: `Ready` / `Progressing` / `Degraded` conditions'))).toBe(true);
    expect(sync.some((l) => l.startsWith('| conflict | `ConflictError` | re-observe and retry at once, up to 5 times in a row'))).toBe(true);
    expect(todo.some((l) => l.startsWith('| conflict | `ConflictError` | re-observe and retry at once, up to 3 times in a row'))).toBe(true);

    // Backoff printed by Backoff.describe and Backoff.delays; dead-letter after steps + 1 failures.
    expect(sync).toContain('- Per-key backoff: exponential 500ms ×3 (cap 10000ms, 4 steps); reset by a success.');
    expect(sync).toContain('- Delays after failure 1…4: 500 ms, 1.5 s, 4.5 s, 10 s.');
    expect(sync.some((l) => l.startsWith('- Dead-letter: failure 5 in a row quarantines the key'))).toBe(true);
    expect(sync).toContain('- Global rate limit on retries: 10 per second, bursts of 50.');
    expect(todo).toContain('- Per-key backoff: exponential 1000ms ×2 (cap 60000ms, 5 steps) (the default); reset by a success.');
    expect(todo).toContain('- Delays after failure 1…5: 1 s, 2 s, 4 s, 8 s, 16 s.');

    expect(sync.some((l) => l.includes('`classify` (`httpStatus`) decides first'))).toBe(true);
    for (const cls of ['transient', 'conflict', 'permanent', 'dependency']) {
      expect(todo.some((l) => l.startsWith(`| ${cls} |`)), cls).toBe(true);
    }

    // Metrics: listed by the adapter itself; none for a loop without a metrics port.
    expect(sync).toContain('| `controller_runtime_reconcile_total` | counter | controller, result |');
    expect(sync).toContain('| `workqueue_depth` | gauge | name, controller, priority |');
    expect(sync).toContain('Series of this loop carry `controller="sync"` / `name="sync"`.');
    expect(todo).toContain('None: pass `metrics: prometheusMetrics({ client, registry })` to record them.');

    // Log lines: the catalogue; `Correction applied` only for phase-style loops.
    expect(todo.some((l) => l.startsWith('| `Reconciling` | debug | key, reason, reconcileId'))).toBe(true);
    expect(todo.some((l) => l.startsWith('| `Reconcile failed` |'))).toBe(true);
    expect(todo.some((l) => l.startsWith('| `Correction applied` |'))).toBe(false);
    expect(sync.some((l) => l.startsWith('| `Correction applied` | debug | key, reconcileId, action, target, idempotencyKey |'))).toBe(true);
  });

  it('is deterministic and escapes table cells', async () => {
    const [a, b] = await withLoops(({ todo, sync }) => [describeLoops([todo, sync]), describeLoops([todo, sync])]);
    expect(a).toBe(b);
    const piped = await withLoops(({ todo }) => describeLoops([{ ...todo, name: 'a|b', source: 'x|y.ts:1' }]));
    expect(lines(piped)).toContain('| `a\\|b` | watch `Todo`, manual | on change only (no resync) | by contract: `reconcile` must be idempotent | `x\\|y.ts:1` |');
  });

  it('records where a loop is defined, as path:line from the stack', async () => {
    const define = () => callerSource();
    const here = define(); // CALL-SITE
    const text = await readFile(new URL(import.meta.url), 'utf8');
    const line = text.split('\n').findIndex((l) => l.includes('// CALL-SITE')) + 1;
    expect(here).toBe(`test/observability/describe.test.ts:${line}`);
  });

  it('shows the definition site defineLoop records', async () => {
    const store = createMemoryStore();
    const loop = defineLoop({ name: 'here', store, kind: 'Here', reconcile: () => undefined }); // DEFINED-HERE
    await loop.stop();
    expect(loop.source).toMatch(/describe\.test\.ts:\d+$/);
    const text = await readFile(new URL(import.meta.url), 'utf8');
    const line = text.split('\n').findIndex((l) => l.includes('// DEFINED-HERE')) + 1;
    expect(describeLoops([loop])).toContain(`| \`here\` | watch \`Here\`, manual | on change only (no resync) | by contract: \`reconcile\` must be idempotent | \`test/observability/describe.test.ts:${line}\` |`);
  });

  it('describes the example loops (npm run describe)', async () => {
    const markdown = await describeExamples();
    expect(markdown.startsWith('# Reconcile loops of the examples\n')).toBe(true);
    expect(markdown).toMatch(/^\| `todo` \| watch `Todo`, resync 1 min, manual \| on change; every 1 min \(resync\) \|/m);
    expect(markdown).toMatch(/^\| `configs` \| watch `Config`, resync 10 min, manual \| on change; every 10 min \(resync\) \| yes: keyed corrections, verified \|/m);
    expect(section(markdown, 'configs')).toContain('- Delays after failure 1…3: 100 ms, 200 ms, 400 ms.');
  });
});
