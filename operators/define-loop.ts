import { callerSource } from './describe-loops.js';
import { checkLoopOptions } from './loop/loop-options.js';
import type { LoopOptions, ResolvedLoopOptions } from './loop/loop-options.js';
import type { SpecSchema } from './with-schema.js';
import type { Loop } from './loop/loop.js';
import { storeLoop } from './loop/store-loop.js';
import { streamLoop } from './loop/stream-loop.js';
import { checkStreamOptions } from './loop/stream-options.js';
import type { StreamLoopOptions } from './loop/stream-options.js';

export type { Keyed, KeyedChange } from './loop/keyed-state.js';
export type { LoopContext, LoopUsage } from './loop/loop-context.js';
export type { LoopHealth, LoopState, SourceHealth } from './loop/loop-health.js';
export type {
  Dependency,
  LoopFinalizer,
  LoopOptions,
  LoopOptionsBase,
  LoopQueueOptions,
  PhaseLoopOptions,
  ReconcileLoopOptions,
} from './loop/loop-options.js';
export type { Loop, LoopDescription } from './loop/loop.js';
export type { StreamContext, StreamLoopBase, StreamLoopOptions, StreamPhaseOptions, StreamReconcileOptions } from './loop/stream-options.js';

/**
 * Defines and starts a reconcile loop — the easy mode — over one kind of a store, or over `desired$`
 * (and `current$`) streams.
 *
 * Two styles: Halo's `reconcile(request, ctx)` returning an `Outcome` (or nothing = converged), or
 * the four phases `observe` / `compare` / `correct` / `verify`.
 *
 * **Store loops** (`store`, `kind`): triggers are the store's watch of the
 * kind (the list first, at low priority), an optional periodic `resync`, `dependencies` (child kinds
 * through owner references or a mapping), external `triggers`, and `loop.trigger(key)`.
 *
 * It is a thin composition of the public operators:
 * `merge(watchRequests, resync, watchEvents → triggerOwners / triggerWith, triggers)` → `workQueue(pass)`,
 * where the pass is `withConditions(withSchema(withFinalizer(reconcile or observe → compare → correct
 * → verify)))`, each wrapper present only when its option is, and every source is supervised
 * (`retryWithBackoff`). The loop's own condition and finalizer writes go through `ignoreOwnWrites`, so
 * they do not come back as triggers. The first pass starts on the scheduler's next tick, so subscribe
 * to `results$` right away. Options are checked (zod) before anything starts: a loop that cannot run
 * is refused, naming the option and what to do.
 *
 * **Stream loops** (`desired$`, optionally `current$`): each stream emits keyed snapshots (a `Map` or
 * plain object of key → value) or lists of keyed changes; the loop triggers exactly the keys whose
 * value changed or disappeared in either, passes read the latest values (`ctx.desired()`,
 * `ctx.current()`), `resync` re-runs every known key, `worldKeys` sweeps orphans. See
 * `examples/streams.ts`.
 *
 * ## Example
 * ```ts
 * import { rm, writeFile } from 'node:fs/promises';
 * import { Outcome, createMemoryStore, defineLoop } from 'rx-reconcile';
 *
 * const store = createMemoryStore();
 * const loop = defineLoop<{ title: string }, { phase?: string }>({
 *   name: 'todo', store, kind: 'Todo', workers: 2,
 *   finalizer: { name: 'todo.example.com/file', cleanup: (todo) => rm(`${todo.metadata.name}.md`, { force: true }) },
 *   async reconcile(_request, ctx) {
 *     const todo = await ctx.get(); // live: never deleting, the finalizer is in place
 *     if (!todo) return Outcome.converged();
 *     await writeFile(`${todo.metadata.name}.md`, `# ${todo.spec.title}\n`);
 *     return Outcome.converged(); // Ready=True is written to its status
 *   },
 * });
 * loop.results$.subscribe((r) => console.log(r.key, r.outcome.type));
 * ```
 *
 * ## Expected flow
 * 1. The watch replays the kind's list: each key is queued (low lane) and reconciled once; once the
 *    list is complete the loop is `ready`.
 * 2. Each change queues its key (high lane); a change during a pass gives one more pass after it.
 * 3. An `Outcome` decides what comes next: forget, requeue later, back off, park, or wait; the
 *    conditions on the resource's status say which.
 * 4. A source that fails (the watch, a resync listing, a dependency, a user trigger source) is logged
 *    and restarted with the loop's backoff; the watch resumes where it stopped.
 * 5. `stop()` lets passes finish (or aborts them at the deadline), then `results$` completes.
 *
 * ## Guarantees
 * G1–G4 of the work queue; a throwing pass never stops the loop (it becomes `retry`); failure classes,
 * backoff, quarantine and release (G6, G11, G12), quarantine visible on status even when the pass timed
 * out; finalizers (G8); status conditions written only when they change (G9); bad specs are parked and
 * reported, never retried, and lose nothing (G13); sources and user callbacks (filter, dependency
 * maps, classify, logger, metrics, hooks) never end the loop (G14); the process is never starved (G15).
 * A loop that ends for any other reason logs why at `error`, says so in `health()`, and completes
 * `results$`.
 *
 * ## Caveats
 * - A write through `ctx.store` or `ctx.updateStatus` is a watch event like any other: it causes one
 *   more pass, which writes nothing and converges. Filter events with `filter` if that pass is costly.
 * - With `conditions` (the default), each pass reads the resource once more at its end.
 */
export function defineLoop<D, C = unknown, T = unknown>(options: StreamLoopOptions<D, C, T>): Loop;
export function defineLoop<Spec = unknown, Status = unknown, C = unknown, T = unknown>(options: LoopOptions<Spec, Status, C, T>): Loop;
export function defineLoop(options: LoopOptions<unknown, unknown> | StreamLoopOptions<unknown>): Loop {
  const source = (options as { source?: string } | undefined)?.source ?? callerSource();
  if (typeof options === 'object' && options !== null && 'desired$' in options) {
    checkStreamOptions(options);
    return streamLoop(options, source);
  }
  checkLoopOptions(options);
  return storeLoop(withKindName(options as LoopOptions<unknown, unknown>), source);
}

/**
 * A loop given a typed kind (`defineKind`) runs on its name: the store registers the kind's schema
 * (when it can), and the schema checks the specs the loop reads unless `schema` says otherwise.
 */
function withKindName<Spec, Status>(options: LoopOptions<Spec, Status>): ResolvedLoopOptions<Spec, Status> {
  const kind = options.kind;
  if (typeof kind === 'string') return options as ResolvedLoopOptions<Spec, Status>;
  const store = options.store as { registerKind?: (name: string, kindOptions: { schema: unknown }) => void };
  if (typeof store.registerKind === 'function') store.registerKind(kind.name, { schema: kind.spec });
  return { ...options, kind: kind.name, schema: options.schema ?? (kind.spec as unknown as SpecSchema<Spec>) };
}
