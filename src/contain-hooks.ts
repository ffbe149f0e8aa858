/**
 * Hooks that cannot break a queue: each hook of a {@link QueueHooks} object wrapped so that a throw is
 * counted and reported through `onCallbackError`, never thrown into the queue (G14).
 *
 * @module
 */
import { toError } from './errors.js';
import type { QueueHooks } from './queue-types.js';

/**
 * The hooks, each contained: a hook that throws is counted in `counts.callbackErrors` and reported to
 * `hooks.onCallbackError` (itself contained). `undefined` when there are no hooks.
 */
export function containHooks(hooks: QueueHooks | undefined, counts: { callbackErrors: number }): QueueHooks | undefined {
  if (hooks === undefined) return undefined;
  const report = (thrown: unknown, where: string): void => {
    counts.callbackErrors++;
    try {
      hooks.onCallbackError?.(toError(thrown), where);
    } catch {
      // The reporter failed too: nothing left to tell.
    }
  };
  const contained: { -readonly [K in keyof QueueHooks]: QueueHooks[K] } = {};
  const { onAdd, onStart, onFinish, onRelease, onOverdue, onHot, onCallbackError } = hooks;
  if (onAdd) contained.onAdd = (key, reason, revision) => guard(report, 'hooks.onAdd', () => onAdd.call(hooks, key, reason, revision));
  if (onStart) contained.onStart = (key, request, ms, pass) => guard(report, 'hooks.onStart', () => onStart.call(hooks, key, request, ms, pass));
  if (onFinish) contained.onFinish = (result) => guard(report, 'hooks.onFinish', () => onFinish.call(hooks, result));
  if (onRelease) contained.onRelease = (key, by) => guard(report, 'hooks.onRelease', () => onRelease.call(hooks, key, by));
  if (onOverdue) contained.onOverdue = (key, since, rev) => guard(report, 'hooks.onOverdue', () => onOverdue.call(hooks, key, since, rev));
  if (onHot) contained.onHot = (key, perSecond) => guard(report, 'hooks.onHot', () => onHot.call(hooks, key, perSecond));
  if (onCallbackError) contained.onCallbackError = (error, where) => guard(() => undefined, where, () => onCallbackError.call(hooks, error, where));
  return contained;
}

function guard(report: (thrown: unknown, where: string) => void, where: string, call: () => void): void {
  try {
    call();
  } catch (thrown) {
    report(thrown, where);
  }
}
