import { describeDocument, checkDescribeOptions } from './describe/describe-document.js';
import type { DescribeLoopsOptions } from './describe/describe-document.js';
import type { DescribedDocument } from './describe/document.js';
import type { DescribableLoop } from './describe/loop-facts.js';
import { renderHtml } from './describe/render-html.js';
import { renderMarkdown } from './describe/render-markdown.js';

export type { DescribeLoopsOptions } from './describe/describe-document.js';
export type { Block, ChecklistItem, DescribedDocument } from './describe/document.js';
export type { CheckReportSummary, IdempotencyCheck } from './describe/describe-context.js';
export type { LiveFigures } from './describe/live-figures.js';
export type { DescribableLoop } from './describe/loop-facts.js';
export type { CorrectionDoc, DocText, Language, LoopDocs } from './describe/loop-docs.js';
export { watchLoops } from './describe/watch-loops.js';
export type { ConvergenceFigures, LoopWatch, Percentiles, WatchableLoop, WatchLoopsOptions } from './describe/watch-loops.js';

/**
 * Renders the design document of reconcile loops as Markdown, in the shape and order of the
 * reconcile-loop design template: loops vs pipelines, the loop inventory, then per loop its model
 * (diagram), triggers (checklist), desired-state source (who may change it, an example generated from
 * its schema), how it observes, compares and corrects (the correction table), its convergence strategy
 * (timeouts, backoff delays, dead-letter); then the idempotency checklist and test table, failure
 * classes and the manual intervention path, key metrics and log lines, concurrency control and
 * conflict resolution.
 *
 * Use it to publish what a service's loops do without writing it by hand: every line comes from the
 * loop definitions (`loop.options`, with the `describe` declarations for what code cannot know —
 * "not declared" otherwise), from what the passes used (`loop.usage()`: a finalizer added inside
 * `reconcile` shows up), and — with `live` — from the loops' own measured figures, printed next to
 * the declared ones. `language: 'zh'` writes the template's Chinese headings and phrases. The output
 * is deterministic for given loops, usage and figures (no clock, no random ids); paths are relative
 * to the working directory. For a page, {@link describeLoopsHtml} gives the same document as safe
 * HTML, and {@link describeLoopsDocument} as data.
 *
 * ## Example
 * ```ts
 * import { createMemoryStore, defineLoop, describeLoops, watchLoops } from 'rx-reconcile';
 *
 * const loop = defineLoop({ name: 'todo', store: createMemoryStore(), kind: 'Todo', reconcile: () => undefined,
 *   describe: { owners: 'the todo API' } });
 * const watch = watchLoops([loop]);
 * // … the loop runs …
 * console.log(describeLoops([loop], { live: watch }));             // English
 * console.log(describeLoops([loop], { language: 'zh' }));          // 闭环设计 (Reconcile Loops) …
 * ```
 */
export function describeLoops(loops: readonly DescribableLoop[], options: DescribeLoopsOptions = {}): string {
  return renderMarkdown(describeLoopsDocument(loops, options));
}

/**
 * The document of {@link describeLoops} as an HTML fragment that is safe to serve: every text is
 * escaped (loop names, keys, error messages and declared texts included); the only markup made from
 * texts is `<code>`, `<strong>` and `<a>` for `http(s)` or relative links. No `<html>`/`<body>`: put it
 * in your page (e.g. an admin page, under its content security policy).
 *
 * ## Example
 * ```ts
 * import { createServer } from 'node:http';
 * import { describeLoopsHtml } from 'rx-reconcile';
 * import type { Loop } from 'rx-reconcile';
 *
 * declare const loops: Loop[];
 * createServer((_request, response) => {
 *   response.setHeader('content-type', 'text/html; charset=utf-8');
 *   response.end(`<!doctype html><title>Loops</title>${describeLoopsHtml(loops, { live: true, adminUrl: '/' })}`);
 * }).listen(8080, '127.0.0.1');
 * ```
 */
export function describeLoopsHtml(loops: readonly DescribableLoop[], options: DescribeLoopsOptions = {}): string {
  return renderHtml(describeLoopsDocument(loops, options));
}

/**
 * The document of {@link describeLoops} as data: a list of blocks (headings, paragraphs, lists,
 * checklists, tables, code) whose texts are inline Markdown. Plain JSON: send it to a page that
 * renders it with `textContent`, or print it with your own renderer.
 *
 * ## Example
 * ```ts
 * import { describeLoopsDocument } from 'rx-reconcile';
 * import type { Loop } from 'rx-reconcile';
 *
 * declare const loops: Loop[];
 * const blocks = describeLoopsDocument(loops, { language: 'zh' });
 * blocks.filter((b) => b.type === 'heading').map((b) => b.text); // ['闭环设计 (Reconcile Loops)', '闭环 vs 流程', …]
 * ```
 */
export function describeLoopsDocument(loops: readonly DescribableLoop[], options: DescribeLoopsOptions = {}): DescribedDocument {
  checkDescribeOptions('describeLoops', options);
  return describeDocument(loops, options);
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
 * import { callerSource } from 'rx-reconcile/operators';
 *
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
