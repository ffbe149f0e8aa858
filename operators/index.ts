/**
 * `rx-reconcile/operators`: the DSL. One pipeable operator (or trigger source) per file.
 *
 * @module
 */
export { workQueue } from './work-queue.js';
export { createQueueControl, QueueControl } from '../src/index.js';
