/**
 * What a loop's definition declares shows up in its sections: the inventory row, triggers, the
 * phases, timeouts, backoff and dead-letter, failure classes, metrics and log lines — and where the
 * loop was defined (`callerSource`).
 */
import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import client from 'prom-client';
import { Backoff, createMemoryStore, defineLoop, describeLoops, rateLimit, setDiff } from 'rx-reconcile';
import { prometheusMetrics } from 'rx-reconcile/prometheus';
import type { Loop } from 'rx-reconcile';
import type { DescribableLoop } from '../../operators/describe/loop-facts.js';
import { callerSource } from '../../operators/describe-loops.js';

function lines(markdown: string): string[] {
  return markdown.split('\n');
}

/** The lines of one loop's section (`## Reconcile loop N: name`), up to the next `## `. */
function section(markdown: string, name: string): string[] {
  const all = lines(markdown);
  const start = all.findIndex((line) => /^## Reconcile loop \d+: /.test(line) && line.endsWith(`\`${name}\``));
  expect(start, `section of ${name}`).toBeGreaterThan(-1);
  const end = all.findIndex((line, i) => i > start && line.startsWith('## '));
  return all.slice(start, end === -1 ? undefined : end);
}

/** The lines under `#### name` of the document-wide section `title` (e.g. `### Failure classes`). */
function part(markdown: string, title: string, name: string): string[] {
  const all = lines(markdown);
  const from = all.indexOf(title);
  const start = all.findIndex((line, i) => i > from && line === `#### \`${name}\``);
  expect(start, `${title} of ${name}`).toBeGreaterThan(-1);
  const end = all.findIndex((line, i) => i > start && /^#{2,4} /.test(line));
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
    filter: function onlySpecChanges() { return true; },
    backoff: Backoff.exponential({ initial: 500, factor: 3, steps: 4, cap: 10_000 }),
    rateLimit: rateLimit({ qps: 10, burst: 50 }),
    classify: function httpStatus(error) { return error.message.includes('429') ? 'transient' : undefined; },
    metrics: prometheusMetrics({ client, registry: new client.Registry(), metricNames: 'controller-runtime' }),
    verify: false,
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

describe('describeLoops: what the definition declares', () => {
  it('renders the inventory table: loop | triggers | convergence period | idempotent | source', async () => {
    const markdown = await withLoops(({ todo, sync }) =>
      describeLoops([{ ...todo, source: 'src/todo.ts:12' } satisfies DescribableLoop, sync], { title: 'Shop loops' }),
    );
    const all = lines(markdown);
    expect(all[0]).toBe('# Shop loops');
    const header = all.indexOf('| Loop | Triggers | Convergence period | Idempotent | Source |');
    expect(header).toBeGreaterThan(0);
    expect(all[header + 1]).toBe('|---|---|---|---|---|');
    expect(all[header + 2]).toBe('| `todo` | watch `Todo`, manual | on change only (no resync) | partly (1/4) | `src/todo.ts:12` |');
    expect(all[header + 3]).toMatch(
      /^\| `sync` \| watch `Bucket`, resync 5 min, `Object` changes, `Policy` changes, manual \| on change; every 5 min \(resync\); deadline 10 min \| partly \(3\/4\) \| `test\/describe\/declared\.test\.ts:\d+` \|$/,
    );
  });

  it('describes triggers, phases, timeouts, backoff and dead-letter from the options', async () => {
    const markdown = await withLoops(({ todo, sync }) => describeLoops([todo, sync]));
    const todo = section(markdown, 'todo');
    const sync = section(markdown, 'sync');

    expect(sync).toContain('- [x] Periodic (resync): every 5 min, every key of `Bucket` again at low priority (repairs lost events)');
    expect(sync).toContain(
      '- [x] Dependency changes: changes of `Object` trigger their owner (owner references); changes of `Policy` trigger the keys `policyOwners` returns',
    );
    expect(sync.some((l) => l.includes('events are filtered by `onlySpecChanges` (not the resync)'))).toBe(true);
    expect(todo).toContain('- [ ] Periodic (resync): off: a lost event is repaired only by the next change of the key (set `resync`)');

    expect(sync.some((l) => l.includes('`correct` applies them, and verify is off (`verify: false`).'))).toBe(true);
    expect(sync.some((l) => l.includes('│  correct()   │    │     off      │'))).toBe(true);
    expect(todo.some((l) => l.includes('One `reconcile(request, ctx)` observes, compares and corrects'))).toBe(true);

    expect(sync).toContain('- Per pass: 30 s (`timeout`): the pass is aborted through `ctx.signal` and counts as a transient failure');
    expect(sync.some((l) => l.startsWith('- Overall convergence: 10 min (`convergenceDeadline`): a desired revision not converged by then is logged'))).toBe(true);
    expect(todo).toContain('- Per pass: none — a pass may run as long as it likes (set `timeout`)');

    expect(sync).toContain('- Written back: status is left to the loop (`conditions: false`).');
    expect(sync).toContain('| the resource is being deleted | cleanup, then remove `sync.example.com/cleanup` | cleanup is retried until it succeeds once; a finalizer already removed is done |');

    // Backoff printed as its value and its delays; dead-letter after steps + 1 failures.
    expect(sync).toContain('exponential 500ms ×3 (cap 10000ms, 4 steps)');
    expect(sync).toContain('{"kind":"exponential","initial":500,"factor":3,"steps":4,"cap":10000}');
    expect(sync).toContain('- Per key, reset by a success; delays after failure 1…4: 500 ms, 1.5 s, 4.5 s, 10 s.');
    expect(sync.some((l) => l.startsWith('- Failure 5 in a row quarantines the key'))).toBe(true);
    expect(sync).toContain('- Global rate limit on retries: 10 per second, bursts of 50.');
    expect(todo).toContain('- Per key, reset by a success (the default policy); delays after failure 1…5: 1 s, 2 s, 4 s, 8 s, 16 s.');
  });

  it('describes failure classes, metrics and log lines per loop', async () => {
    const markdown = await withLoops(({ todo, sync }) => describeLoops([todo, sync]));
    const syncClasses = part(markdown, '### Failure classes', 'sync');
    expect(syncClasses.some((l) => l.includes('`classify` (`httpStatus`) decides first'))).toBe(true);
    expect(syncClasses.some((l) => l.startsWith('| conflict | yes | observe again and retry at once, up to 5 times in a row'))).toBe(true);
    const todoClasses = part(markdown, '### Failure classes', 'todo');
    for (const cls of ['transient', 'conflict', 'permanent', 'dependency']) expect(todoClasses.some((l) => l.startsWith(`| ${cls} |`)), cls).toBe(true);

    const syncMetrics = part(markdown, '### Key metrics', 'sync');
    expect(syncMetrics).toContain('| `controller_runtime_reconcile_total` | counter | controller, result |');
    expect(syncMetrics).toContain('| `workqueue_depth` | gauge | name, controller, priority |');
    expect(syncMetrics).toContain('Series of this loop carry `controller="sync"` / `name="sync"`.');
    expect(part(markdown, '### Key metrics', 'todo').some((l) => l.startsWith('None: pass `metrics: prometheusMetrics({ client, registry })`'))).toBe(true);

    expect(markdown).toContain('- `todo`: no `logger` given: silent; every line is bound to `loop=todo` (no `Correction applied`: a `reconcile` loop corrects inside).');
    expect(markdown).toContain('| `Reconciling` | debug | key, reason, reconcileId, revision, queuedMs | a pass starts |');
    expect(markdown).toContain('level=warn msg="Reconcile failed" loop=todo key=… error="…" class=transient retryAfter=2000 failures=1');
  });

  it('is deterministic and escapes table cells', async () => {
    const [a, b] = await withLoops(({ todo, sync }) => [describeLoops([todo, sync]), describeLoops([todo, sync])]);
    expect(a).toBe(b);
    const piped = await withLoops(({ todo }) => describeLoops([{ ...todo, name: 'a|b', source: 'x|y.ts:1' }]));
    expect(lines(piped)).toContain('| `a\\|b` | watch `Todo`, manual | on change only (no resync) | partly (1/4) | `x\\|y.ts:1` |');
  });

  it('records where a loop is defined, as path:line from the stack', async () => {
    const define = () => callerSource();
    const here = define(); // CALL-SITE
    const text = await readFile(new URL(import.meta.url), 'utf8');
    const line = text.split('\n').findIndex((l) => l.includes('// CALL-SITE')) + 1;
    expect(here).toBe(`test/describe/declared.test.ts:${line}`);
  });

  it('shows the definition site defineLoop records', async () => {
    const store = createMemoryStore();
    const loop = defineLoop({ name: 'here', store, kind: 'Here', reconcile: () => undefined }); // DEFINED-HERE
    await loop.stop();
    expect(loop.source).toMatch(/declared\.test\.ts:\d+$/);
    const text = await readFile(new URL(import.meta.url), 'utf8');
    const line = text.split('\n').findIndex((l) => l.includes('// DEFINED-HERE')) + 1;
    expect(describeLoops([loop])).toContain(`| \`here\` | watch \`Here\`, manual | on change only (no resync) | partly (1/4) | \`test/describe/declared.test.ts:${line}\` |`);
  });
});
