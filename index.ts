/**
 * `rx-reconcile`: the kernel (values, store, queue engine, ports) plus the easy-mode builder
 * `defineLoop`, which is composed only of the public operators of `rx-reconcile/operators`.
 *
 * @module
 */
export * from './src/index.js';
export { defineLoop } from './operators/define-loop.js';
export type * from './operators/define-loop.js';
export { describeLoops, describeLoopsDocument, describeLoopsHtml, watchLoops } from './operators/describe-loops.js';
export type { CheckReportSummary, ConvergenceFigures, CorrectionDoc, DescribableLoop, DescribedDocument, DescribeLoopsOptions, DocText, IdempotencyCheck, Language, LiveFigures, LoopDocs, LoopWatch, Percentiles, WatchableLoop, WatchLoopsOptions } from './operators/describe-loops.js';
export { InvalidSpecError } from './operators/with-schema.js';
export type { SpecSchema } from './operators/with-schema.js';
