/**
 * Ports: what the kernel needs from the outside world, injected so the kernel stays free of any
 * particular logging or metrics library.
 *
 * @module
 */

import type { QueueHooks, QueueStats } from './queue.js';

/** Structured log fields. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * A pino-compatible logger: `logger.info({ key }, 'Reconciling')`. A pino instance fits as it is.
 */
export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
  child(bindings: LogFields): Logger;
}

/** A logger that drops everything (the default). */
export const noopLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return noopLogger;
  },
});

/** What a metrics adapter can read from a loop (for gauges computed at scrape time). */
export interface LoopProbe {
  readonly name: string;
  /** Cheap gauges of the loop's queue; undefined before it starts or after it stops. */
  stats(): QueueStats | undefined;
}

/**
 * The metrics port: given a loop, returns the queue hooks that record its metrics. Adapters (e.g.
 * `prometheusMetrics`) implement it; the default records nothing.
 */
export interface Metrics {
  forLoop(probe: LoopProbe): QueueHooks;
}

/** Metrics that record nothing (the default). */
export const noopMetrics: Metrics = Object.freeze({
  forLoop: () => ({}),
});
