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

/**
 * A logger that never throws: each call of `logger` is made in a `try`, and a failure is dropped (a
 * logger that cannot log cannot report its own failure either). Children are safe too. Loops wrap the
 * logger they are given with it, so a broken logger never stops a loop or rejects `stop()` (G14).
 *
 * ## Example
 * ```ts
 * import pino from 'pino';
 * import { safeLogger } from 'rx-reconcile';
 *
 * const logger = safeLogger(pino()); // same lines, but a failing transport never throws into the loop
 * ```
 */
export function safeLogger(logger: Logger): Logger {
  if (SAFE.has(logger)) return logger;
  const call = (level: 'debug' | 'info' | 'warn' | 'error', fields: LogFields, message: string): void => {
    try {
      logger[level](fields, message);
    } catch {
      // dropped: there is nowhere left to report it
    }
  };
  const safe: Logger = {
    debug: (fields, message) => call('debug', fields, message),
    info: (fields, message) => call('info', fields, message),
    warn: (fields, message) => call('warn', fields, message),
    error: (fields, message) => call('error', fields, message),
    child(bindings) {
      try {
        return safeLogger(logger.child(bindings));
      } catch {
        return safe;
      }
    },
  };
  SAFE.add(safe);
  return safe;
}

const SAFE = new WeakSet<Logger>([noopLogger]);

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
