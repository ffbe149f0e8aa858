import { Backoff, isDescribedMetrics } from '../src/index.js';
import type { LoopOptionsBase } from './loop/loop-options.js';
import type { BackoffPolicy } from '../src/index.js';
import type { Dependency, Loop } from './define-loop.js';
import { logLines } from './instrument.js';

/**
 * What {@link describeLoops} reads from a loop: its name, the options it was defined with, and where
 * it was defined. A running `Loop` fits as it is.
 *
 * ## Example
 * ```ts
 * const d: DescribableLoop = { name: 'todo', options: loop.options, source: 'src/todo.ts:12' };
 * ```
 */
export interface DescribableLoop {
  readonly name: string;
  readonly options: Loop['options'] & { readonly source?: string | undefined };
  /** Where the loop was defined, as `file:line` (see {@link callerSource}). */
  readonly source?: string | undefined;
}

/**
 * Options of {@link describeLoops}.
 *
 * ## Example
 * ```ts
 * describeLoops(loops, { title: 'Loops of the shop service' });
 * ```
 */
export interface DescribeLoopsOptions {
  /** The document's title. Default `Reconcile loops`. */
  readonly title?: string;
}

const DEFAULT_CONFLICT_RETRIES = 3;
const DEFAULT_DEPENDENCY_INTERVAL = 5000;
const DEFAULT_WORKERS = 4;

/**
 * Renders Markdown that describes reconcile loops, in the shape of the reconcile-loop design
 * template: an inventory table (name | triggers | convergence period | idempotent | source), then per
 * loop its triggers, desired-state source, compare and corrections, concurrency, backoff and
 * dead-letter policy, failure classes, metrics and log lines.
 *
 * Use it to publish what a service's loops do: it is computed from the loop definitions (their
 * `options`, the backoff policy printed by `Backoff.describe` and `Backoff.delays`, the metrics
 * adapter's own list and the library's log catalogue), so it never drifts from the code. The output
 * is deterministic for given loops.
 *
 * ## Example
 * ```ts
 * import { createMemoryStore, defineLoop, describeLoops } from 'rx-reconcile';
 *
 * const loop = defineLoop({ name: 'todo', store: createMemoryStore(), kind: 'Todo', reconcile: () => undefined });
 * console.log(describeLoops([loop]));
 * // # Reconcile loops
 * // | Name | Triggers | Convergence period | Idempotent | Source |
 * // …
 * ```
 */
export function describeLoops(loops: readonly DescribableLoop[], options: DescribeLoopsOptions = {}): string {
  const out: string[] = [`# ${options.title ?? 'Reconcile loops'}`, ''];
  out.push('| Name | Triggers | Convergence period | Idempotent | Source |', '|---|---|---|---|---|');
  for (const loop of loops) {
    out.push(
      `| ${cell(code(loop.name))} | ${cell(triggerSummary(loop))} | ${cell(convergencePeriod(loop))} | ${cell(idempotency(loop))} | ${cell(sourceCell(loop))} |`,
    );
  }
  for (const loop of loops) out.push('', ...describeOne(loop));
  out.push('');
  return out.join('\n');
}

function describeOne(loop: DescribableLoop): string[] {
  const o = storeView(loop);
  const out: string[] = [`## Loop ${code(loop.name)}`, ''];
  const source = sourceOf(loop);
  if (source !== undefined) out.push(`Defined at ${code(source)}.`, '');

  out.push('### Triggers', '');
  out.push(`- Watch of kind ${code(o.kind)} in the store: the current list at start (low priority), then every change (high priority).`);
  if (o.filter) out.push(`- Watch events are filtered by ${code(functionName(o.filter, 'filter'))}; the others never reach the queue.`);
  if (o.resync !== undefined) out.push(`- Resync every ${duration(o.resync)}: every key of ${code(o.kind)} again, at low priority (repairs lost events).`);
  for (const dep of o.dependencies ?? []) out.push(`- ${dependencyText(dep)}`);
  out.push('- Manual: `loop.trigger(key)` runs a key now, even in backoff or parked; `loop.release(key)` releases a parked key.');
  out.push('- Requeue: the outcome of a pass (`requeueAfter`, backoff, dependency wait) brings the key back by itself.');

  out.push('', '### Desired-state source', '');
  out.push(
    `- Resources of kind ${code(o.kind)} in the loop's store (get, list, watch); the store validates specs against the kind's schema when it has one.`,
  );
  if (o.schema !== undefined) {
    out.push('- The loop checks each spec against its `schema`: a bad spec is not reconciled, gets `Degraded=True` (`InvalidSpec`, naming the field) and no retries until it changes.');
  }
  out.push(
    o.conditions === false
      ? '- Status is left to the loop (`conditions: false`); `ctx.updateStatus` stamps `observedGeneration` and skips unchanged writes.'
      : '- Status: `Ready` / `Progressing` / `Degraded` conditions and `observedGeneration` after every pass; a write that changes nothing is skipped.',
  );
  if (o.finalizer !== undefined) {
    out.push(`- Finalizer ${code(o.finalizer.name)}: on deletion, cleanup runs (and is retried) before the resource may disappear.`);
  }

  out.push('', '### Compare and corrections', '');
  if (o.style === 'phases') {
    const verify = (o as { readonly verify?: unknown }).verify;
    out.push(
      '- Observe: reads the desired resource and the current state of the world for the key.',
      '- Compare: a pure function returns the corrections (create, update, delete, custom), each with an idempotency key; none = in sync.',
      '- Correct: applies the corrections one after the other; each success logs `Correction applied` (action, target, idempotency key).',
      verify === false
        ? '- Verify: off — the pass converges once the corrections are applied.'
        : '- Verify: observes and compares again; corrections still planned make the pass a transient failure (retried with backoff).',
    );
  } else {
    out.push(
      '- One `reconcile(request, ctx)` observes, compares and corrects, and returns an `Outcome` (nothing = converged). ' +
        'It must be idempotent: a second pass over a converged key changes nothing.',
    );
  }

  out.push('', '### Concurrency', '');
  out.push(`- ${o.workers ?? DEFAULT_WORKERS} worker(s); a key is never reconciled by two workers at once, and a change during a pass gives exactly one more pass.`);
  if (o.timeout !== undefined) out.push(`- Each pass is aborted after ${duration(o.timeout)} (\`TimeoutError\`, a transient failure).`);
  if (o.convergenceDeadline !== undefined) {
    out.push(
      `- Convergence deadline ${duration(o.convergenceDeadline)}: a desired revision not converged by then is logged ` +
        '(`Convergence deadline exceeded`), counted, and flagged `overdue` in snapshots; the key keeps being reconciled.',
    );
  }

  out.push('', '### Backoff and dead-letter', '');
  out.push(...backoffText(o.backoff ?? Backoff.defaultPolicy, o.backoff === undefined));
  out.push(
    o.rateLimit
      ? `- Global rate limit on retries: ${o.rateLimit.qps} per second, bursts of ${o.rateLimit.burst}.`
      : '- No global rate limit on retries.',
  );

  out.push('', '### Failure classes', '');
  out.push(
    o.classify
      ? `The loop's \`classify\` (${code(functionName(o.classify, 'classify'))}) decides first; errors it leaves undecided fall back to:`
      : 'Errors are classified by their class:',
    '',
    '| Class | Raised by | What the loop does |',
    '|---|---|---|',
    '| transient | `TransientError`, `TimeoutError`, any other error or non-Error throw | retry with backoff |',
    `| conflict | \`ConflictError\` | re-observe and retry at once, up to ${o.conflictRetries ?? DEFAULT_CONFLICT_RETRIES} times in a row, then as transient |`,
    '| permanent | `PermanentError`, `ValidationError`, `Outcome.terminal` | no retry: the key is parked (terminal) until its desired state changes or it is released; logged at error |',
    `| dependency | \`DependencyNotReadyError\`, \`Outcome.waiting\` | wait (its \`retryAfterMs\`, default ${duration(o.dependencyInterval ?? DEFAULT_DEPENDENCY_INTERVAL)}) without counting a failure |`,
  );

  out.push('', '### Metrics', '');
  const metrics = o.metrics;
  if (isDescribedMetrics(metrics)) {
    const described = metrics.describe();
    const naming = ['loop', 'controller', 'name'].filter((label) => described.some((m) => m.labels.includes(label)));
    out.push(`Series of this loop carry ${naming.map((label) => code(`${label}="${loop.name}"`)).join(' / ')}.`, '');
    out.push('| Metric | Type | Labels |', '|---|---|---|');
    for (const m of described) out.push(`| ${code(m.name)} | ${m.type} | ${cell(m.labels.join(', '))} |`);
  } else if (metrics !== undefined) {
    out.push('A custom metrics port records this loop (it does not list its metrics).');
  } else {
    out.push('None: pass `metrics: prometheusMetrics({ client, registry })` to record them.');
  }

  out.push('', '### Log lines', '');
  out.push(
    `Through the loop's \`logger\` (${o.logger ? 'configured' : 'none given: silent'}); every line is bound to ${code(`loop=${loop.name}`)}.`,
    '',
    '| Message | Level | Fields | When |',
    '|---|---|---|---|',
  );
  for (const line of logLines) {
    if (line.message === 'Correction applied' && o.style !== 'phases') continue;
    out.push(`| ${code(line.message)} | ${line.level} | ${cell(line.fields.join(', ') || '—')} | ${cell(line.when)} |`);
  }
  return out;
}

function backoffText(policy: BackoffPolicy, isDefault: boolean): string[] {
  const steps = Backoff.steps(policy);
  const delays = Backoff.delays(policy, steps).map(duration);
  return [
    `- Per-key backoff: ${Backoff.describe(policy)}${isDefault ? ' (the default)' : ''}; reset by a success.`,
    `- Delays after failure 1…${steps}: ${delays.join(', ')}${policy.kind === 'jitter' ? ' (one seeded draw of the jitter)' : ''}.`,
    `- Dead-letter: failure ${steps + 1} in a row quarantines the key: no automatic pass, \`Key quarantined\` at error, listed ` +
      'in `loop.snapshot().parked`; it runs again on `loop.release(key)`, a manual trigger or a new desired revision.',
  ];
}

function triggerSummary(loop: DescribableLoop): string {
  const o = storeView(loop);
  const parts = [o.mode === 'streams' ? 'desired$ / current$ streams' : `watch ${code(o.kind)}`];
  if (o.resync !== undefined) parts.push(`resync ${duration(o.resync)}`);
  for (const dep of o.dependencies ?? []) parts.push(`${code(typeof dep === 'string' ? dep : dep.kind)} changes`);
  parts.push('manual');
  return parts.join(', ');
}

function convergencePeriod(loop: DescribableLoop): string {
  const { resync, convergenceDeadline } = loop.options;
  const period = resync === undefined ? 'on change only (no resync)' : `on change; every ${duration(resync)} (resync)`;
  return convergenceDeadline === undefined ? period : `${period}; deadline ${duration(convergenceDeadline)}`;
}

function idempotency(loop: DescribableLoop): string {
  const o = loop.options;
  if (o.style !== 'phases') return 'by contract: `reconcile` must be idempotent';
  return (o as { readonly verify?: unknown }).verify === false
    ? 'yes: keyed corrections (not verified)'
    : 'yes: keyed corrections, verified';
}

function dependencyText(dep: Dependency): string {
  if (typeof dep === 'string') return `Changes of kind ${code(dep)} trigger their owner (owner references).`;
  if ('map' in dep) return `Changes of kind ${code(dep.kind)} trigger the keys returned by ${code(functionName(dep.map, 'map'))}.`;
  return `Changes of kind ${code(dep.kind)} trigger their ${dep.controllerOnly === true ? 'controller owner' : 'owner'} (owner references).`;
}

function sourceOf(loop: DescribableLoop): string | undefined {
  return loop.source ?? loop.options.source;
}

function sourceCell(loop: DescribableLoop): string {
  const source = sourceOf(loop);
  return source === undefined ? '—' : code(source);
}

function functionName(fn: unknown, fallback: string): string {
  const name = typeof fn === 'function' ? fn.name : '';
  return name === '' ? fallback : name;
}

/** `1500` → `1.5 s`, `120000` → `2 min`. */
function duration(ms: number): string {
  const round = (n: number) => String(Math.round(n * 100) / 100);
  if (ms < 1000) return `${round(ms)} ms`;
  if (ms < 60_000) return `${round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${round(ms / 60_000)} min`;
  return `${round(ms / 3_600_000)} h`;
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

/** Escapes what would break a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * Where the code calling the current function lives, as `path:line` (relative to the working
 * directory when below it), read from a stack trace; undefined when the runtime gives none.
 *
 * Use it in a function that defines loops to record its caller for {@link describeLoops};
 * `skip` = how many frames above the caller of `callerSource` to go (1: the caller's caller).
 *
 * ## Example
 * ```ts
 * function defineThing() {
 *   return { source: callerSource() }; // where defineThing() was called, e.g. 'src/app.ts:12'
 * }
 * ```
 */
export function callerSource(skip = 1): string | undefined {
  const stack = new Error().stack;
  if (stack === undefined) return undefined;
  const frames = stack.split('\n').filter((line) => /^\s+at /.test(line));
  const frame = frames[1 + skip];
  if (frame === undefined) return undefined;
  const match = /\(?((?:file:\/\/)?[^()\s]+?):(\d+):\d+\)?\s*$/.exec(frame);
  if (match === null) return undefined;
  let file = match[1] ?? '';
  if (file.startsWith('file://')) {
    file = decodeURIComponent(file.slice('file://'.length));
    if (/^\/[A-Za-z]:\//.test(file)) file = file.slice(1);
  }
  const cwd = typeof process === 'undefined' ? undefined : process.cwd().replace(/\\/g, '/');
  const normalized = file.replace(/\\/g, '/');
  if (cwd !== undefined && normalized.startsWith(`${cwd}/`)) file = normalized.slice(cwd.length + 1);
  return `${file}:${match[2] ?? ''}`;
}

/** The options as a store loop has them (a stream loop has no kind: it reads as `desired$`). */
type StoreView = Omit<LoopOptionsBase<unknown, unknown>, 'kind'> & { readonly kind: string; readonly style: 'reconcile' | 'phases'; readonly mode: 'store' | 'streams' };
function storeView(loop: DescribableLoop): StoreView {
  const o = loop.options as Partial<LoopOptionsBase<unknown, unknown>> & DescribableLoop['options'];
  return { ...o, kind: o.mode === 'streams' ? 'desired$' : (o as { kind: string }).kind } as StoreView;
}
