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
  // Each wrapper calls its hook inside its own try (no closure per call: these run on every pass).
  if (onAdd)
    contained.onAdd = (key, reason, revision) => {
      try {
        onAdd.call(hooks, key, reason, revision);
      } catch (thrown) {
        report(thrown, 'hooks.onAdd');
      }
    };
  if (onStart)
    contained.onStart = (key, request, ms, pass) => {
      try {
        onStart.call(hooks, key, request, ms, pass);
      } catch (thrown) {
        report(thrown, 'hooks.onStart');
      }
    };
  if (onFinish)
    contained.onFinish = (result) => {
      try {
        onFinish.call(hooks, result);
      } catch (thrown) {
        report(thrown, 'hooks.onFinish');
      }
    };
  if (onRelease)
    contained.onRelease = (key, by) => {
      try {
        onRelease.call(hooks, key, by);
      } catch (thrown) {
        report(thrown, 'hooks.onRelease');
      }
    };
  if (onOverdue)
    contained.onOverdue = (key, since, rev) => {
      try {
        onOverdue.call(hooks, key, since, rev);
      } catch (thrown) {
        report(thrown, 'hooks.onOverdue');
      }
    };
  if (onHot)
    contained.onHot = (key, perSecond) => {
      try {
        onHot.call(hooks, key, perSecond);
      } catch (thrown) {
        report(thrown, 'hooks.onHot');
      }
    };
  if (onCallbackError)
    contained.onCallbackError = (error, where) => {
      try {
        onCallbackError.call(hooks, error, where);
      } catch {
        // The reporter failed: nothing left to tell.
      }
    };
  return contained;
}
