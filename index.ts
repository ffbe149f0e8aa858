/**
 * `rx-reconcile`: the kernel (values, store, queue engine, ports) plus the easy-mode builder
 * `defineLoop`, which is composed only of the public operators of `rx-reconcile/operators`.
 *
 * @module
 */
export * from './src/index.js';
export { defineLoop } from './operators/define-loop.js';
export type * from './operators/define-loop.js';
export { describeLoops } from './operators/describe-loops.js';
export type { DescribableLoop, DescribeLoopsOptions } from './operators/describe-loops.js';
export { InvalidSpecError } from './operators/with-schema.js';
export type { SpecSchema } from './operators/with-schema.js';
