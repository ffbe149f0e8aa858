/**
 * Event matchers for a loop's `filter`, as Halo's controller builder has them (`onAddMatcher`,
 * `onUpdateMatcher(old, new)`, `onDeleteMatcher`), and `generationChanged`, the usual update matcher:
 * react to spec changes, not to status or metadata writes.
 *
 * A matcher of one event type lets the other types through, so matchers combine by listing them:
 * `filter: [onUpdate(generationChanged), onDelete(isMine)]` keeps every add, the updates that changed
 * the spec, and the deletes of resources that are mine.
 *
 * @module
 */
import type { Resource, ResourceEvent } from './types.js';

/** A watch event filter: true keeps the event. */
export type EventFilter<Spec = unknown, Status = unknown> = (event: ResourceEvent<Spec, Status>) => boolean;

/**
 * True for every add and delete, and for an update that changed the spec (a new `generation`) or
 * started a deletion (`deletionTimestamp` set). False for status, label or finalizer writes. An update
 * without its `old` object (a store that does not say) counts as changed.
 *
 * Works as a filter of its own (`filter: generationChanged`, given the event) and as an update
 * matcher (`onUpdate(generationChanged)`, given the old and the new resource).
 *
 * ## Example
 * ```ts
 * import { createMemoryStore, defineLoop, generationChanged, onUpdate } from 'rx-reconcile';
 *
 * // One pass per spec change: status, label and finalizer writes do not trigger (resync still visits).
 * defineLoop({ name: 'todo', store: createMemoryStore(), kind: 'Todo', filter: generationChanged, reconcile: () => undefined });
 * defineLoop({ name: 'todo2', store: createMemoryStore(), kind: 'Todo', filter: [onUpdate(generationChanged)], reconcile: () => undefined });
 * ```
 */
export function generationChanged(event: ResourceEvent): boolean;
export function generationChanged(old: Resource | undefined, resource: Resource): boolean;
export function generationChanged(...args: [ResourceEvent] | [Resource | undefined, Resource]): boolean {
  if (args.length === 2) return specMoved(args[0], args[1]);
  const event = args[0];
  if (event.type !== 'modified') return true;
  return specMoved(event.old, event.object);
}

/** An update (from `old`, when known, to `resource`) that changed the spec or started a deletion. */
function specMoved(old: Resource | undefined, resource: Resource): boolean {
  if (old === undefined) return true;
  const now = resource.metadata;
  return now.generation !== old.metadata.generation || (now.deletionTimestamp !== undefined) !== (old.metadata.deletionTimestamp !== undefined);
}

/**
 * Keeps the adds that `match` accepts (all adds without `match`); lets updates and deletes through.
 *
 * ## Example
 * ```ts
 * import { createMemoryStore, defineLoop, onAdd } from 'rx-reconcile';
 *
 * defineLoop<{ title: string }>({
 *   name: 'todo', store: createMemoryStore(), kind: 'Todo',
 *   filter: onAdd((todo) => todo.metadata.labels['team'] === 'core'), // adds of other teams are skipped
 *   reconcile: () => undefined,
 * });
 * ```
 */
export function onAdd<Spec = unknown, Status = unknown>(match: (resource: Resource<Spec, Status>) => boolean = () => true): EventFilter<Spec, Status> {
  return (event) => event.type !== 'added' || match(event.object);
}

/**
 * Keeps the updates that `match(old, new)` accepts; lets adds and deletes through. Without `old` (a
 * store that does not say), `old` is `undefined`.
 *
 * ## Example
 * ```ts
 * import { createMemoryStore, defineLoop, onUpdate } from 'rx-reconcile';
 *
 * defineLoop<{ title: string }>({
 *   name: 'todo', store: createMemoryStore(), kind: 'Todo',
 *   filter: onUpdate<{ title: string }>((old, todo) => old?.spec.title !== todo.spec.title), // only title changes wake it
 *   reconcile: () => undefined,
 * });
 * ```
 */
export function onUpdate<Spec = unknown, Status = unknown>(
  match: (old: Resource<Spec, Status> | undefined, resource: Resource<Spec, Status>) => boolean,
): EventFilter<Spec, Status> {
  return (event) => event.type !== 'modified' || match(event.old, event.object);
}

/**
 * Keeps the deletes that `match` accepts (all deletes without `match`); lets adds and updates through.
 *
 * ## Example
 * ```ts
 * import { createMemoryStore, defineLoop, onDelete } from 'rx-reconcile';
 *
 * // A loop whose resources clean up by finalizer only: the delete event itself needs no pass.
 * defineLoop({ name: 'todo', store: createMemoryStore(), kind: 'Todo', filter: onDelete(() => false), reconcile: () => undefined });
 * ```
 */
export function onDelete<Spec = unknown, Status = unknown>(match: (resource: Resource<Spec, Status>) => boolean = () => true): EventFilter<Spec, Status> {
  return (event) => event.type !== 'deleted' || match(event.object);
}
