/**
 * `rx-reconcile`: the kernel (values, store, queue engine, ports) plus the easy-mode builder.
 *
 * @module
 */
export * from './src/index.js';
