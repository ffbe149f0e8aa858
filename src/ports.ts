/**
 * Ports: what the kernel needs from the outside world, injected so the kernel stays free of any
 * particular logging or metrics library.
 *
 * @module
 */

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
