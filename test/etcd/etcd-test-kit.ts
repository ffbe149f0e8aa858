/**
 * Small helpers the etcd regression tests share: wait for a condition, and a logger that records
 * every line (level, message, fields) for assertions.
 */
import type { Logger } from 'rx-reconcile';
import type { LogFields } from '../../src/ports.js';

/** One recorded log line. */
export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: LogFields;
}

/** Resolves once `check()` holds; fails naming `what` after `ms`. */
export async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A logger that appends every line (its children's too) to `lines`. */
export function recordingLogger(lines: LogLine[], bindings: LogFields = {}): Logger {
  const at =
    (level: LogLine['level']) =>
    (fields: LogFields, message: string): void => {
      lines.push({ level, message, fields: { ...bindings, ...fields } });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (more) => recordingLogger(lines, { ...bindings, ...more }) };
}
