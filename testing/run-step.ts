/**
 * Carries out one {@link Step} against a simulation's true store and world.
 *
 * @module
 */
import { ConflictError, keyOf, toError } from '../src/index.js';
import type { Key, NewResource, Resource, Store } from '../src/index.js';
import type { DesiredResource } from './definition.js';
import { show } from './format.js';
import { json, resolveTarget } from './steps.js';
import type { Step, StepContext } from './steps.js';
import type { World } from './world.js';

/** What a step needs from the simulation it changes. */
export interface StepHost<V> {
  readonly kind: string;
  /** The true store (no faults). */
  trueStore(): Store;
  /** The true world (no faults). */
  readonly world: World<V>;
  now(): number;
  /** Whether the loop has finished a converged pass of `key` since the resource was created. */
  convergedOn(key: Key): boolean;
  /** Runs one of the step's store writes for `key` (so its change event is known as the step's). */
  storeWrite<R>(key: Key, call: () => Promise<R>): Promise<R>;
  /** Records the spec a desired change stored for `key` (the loop must not undo it). */
  desiredSpec(key: Key, resource: Resource | undefined): void;
  /** Sets or removes a world item behind the loop's back. */
  setWorldItem(target: string, value: V | undefined): Promise<void>;
  /**
   * Why someone else adding `target` would not be a fair test (undefined when it is): `expected`,
   * given the item, neither keeps it (a foreign item) nor has a resource call for it — so no loop
   * could know whether to remove it.
   */
  unfairAdd(target: string, value: V): Promise<string | undefined>;
  restart(): Promise<void>;
}

/** What a step did (one line per change), or why it did nothing. */
export interface StepEffect {
  readonly did: string[];
  note: string | undefined;
}

/** The key a new resource will have. */
export function newKey(resource: NewResource<unknown, unknown>): Key {
  const m = resource?.metadata;
  return m?.namespace ? `${m.namespace}/${m.name}` : (m?.name ?? '?');
}

/** Carries out `step` on `host`; never throws for a refused change (it is noted instead). */
export async function runStep<Spec, Status, V>(host: StepHost<V>, step: Step<Spec, Status, V>): Promise<StepEffect> {
  const effect: StepEffect = { did: [], note: undefined };
  const note = (text: string) => {
    effect.note = effect.note === undefined ? text : `${effect.note}; ${text}`;
  };
  const { kind } = host;
  const store = host.trueStore();

  const create = async (resource: DesiredResource<Spec, Status>) => {
    const { deleted, ...fields } = resource;
    const key = newKey(fields);
    const created = await host.storeWrite(key, () => store.create<Spec, Status>(kind, fields));
    host.desiredSpec(key, created as Resource);
    effect.did.push(`create ${kind}/${key} ${json(created.spec)}`);
    if (deleted === true) await remove(key);
  };
  const update = async (key: Key, spec: Spec) => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const stored = await store.get<Spec, Status>(kind, key);
      if (stored === undefined) return note(`no ${kind}/${key} to update`);
      if (stored.metadata.deletionTimestamp !== undefined) return note(`${kind}/${key} is being deleted, not updated`);
      if (json(stored.spec) === json(spec)) return note(`${kind}/${key} already has that spec`);
      try {
        const written = await host.storeWrite(key, () => store.update<Spec, Status>({ ...stored, spec }));
        host.desiredSpec(key, written as Resource);
        if (written.metadata.version !== stored.metadata.version) effect.did.push(`update ${kind}/${key} spec ${json(spec)}`);
        else note(`${kind}/${key}: the store found nothing to change`);
        return;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    note(`${kind}/${key}: the update lost 10 conflicts in a row`);
  };
  const remove = async (key: Key) => {
    const stored = await store.get(kind, key);
    if (stored === undefined) return note(`no ${kind}/${key} to delete`);
    if (stored.metadata.deletionTimestamp !== undefined) return note(`${kind}/${key} is already being deleted`);
    await host.storeWrite(key, () => store.delete(kind, key));
    host.desiredSpec(key, undefined);
    effect.did.push(`delete ${kind}/${key}${stored.metadata.finalizers.length > 0 ? ` (finalizers: ${stored.metadata.finalizers.join(', ')})` : ' (no finalizer: gone at once)'}`);
  };

  try {
    switch (step.kind) {
      case 'desired': {
        const on = (part: 'create' | 'update' | 'delete') => step.only === undefined || step.only.includes(part);
        const existing = new Map((await store.list<Spec, Status>(kind)).map((r) => [keyOf(r), r] as const));
        const wanted = new Map<Key, DesiredResource<Spec, Status>>();
        for (const r of step.resources) if (!wanted.has(newKey(r))) wanted.set(newKey(r), r);
        for (const [key, r] of wanted) {
          const there = existing.get(key);
          if (there === undefined) {
            // A resource that is to be deleted at once is worth creating only when a finalizer keeps it.
            if (on('create') && (r.deleted !== true || (r.metadata.finalizers ?? []).length > 0)) await create(r);
          } else if (there.metadata.deletionTimestamp !== undefined) {
            if (r.deleted !== true) note(`${kind}/${key} is being deleted: not created again yet`);
          } else if (r.deleted === true) {
            if (on('delete')) await deleteConverged(key);
          } else if (on('update') && json(there.spec) !== json(r.spec)) {
            await update(key, r.spec);
          }
        }
        for (const [key, there] of existing) {
          if (!wanted.has(key) && there.metadata.deletionTimestamp === undefined && on('delete')) await deleteConverged(key);
        }
        break;
      }
      case 'create':
        if ((await store.get(kind, newKey(step.resource))) !== undefined) note(`${kind}/${newKey(step.resource)} exists`);
        else await create(step.resource);
        break;
      case 'update': {
        const key = resolveTarget(step.name, step.pick, (await store.list(kind)).filter(live).map(keyOf));
        if (key === undefined) note(`no ${kind} to update`);
        else await update(key, step.spec);
        break;
      }
      case 'delete': {
        const key = resolveTarget(step.name, step.pick, (await store.list(kind)).filter(live).map(keyOf));
        if (key === undefined) note(`no ${kind} to delete`);
        else await remove(key);
        break;
      }
      case 'change':
      case 'remove': {
        const items = host.world.snapshot();
        const target = resolveTarget(step.target, step.pick, Object.keys(items));
        if (target === undefined) {
          note('the world is empty');
        } else if (!Object.hasOwn(items, target)) {
          note(`the world has no "${target}"`);
        } else if (step.kind === 'remove') {
          await host.setWorldItem(target, undefined);
          effect.did.push(`remove ${JSON.stringify(target)} from the world (was ${show(items[target], 60)})`);
        } else if (json(items[target]) === json(step.value)) {
          note(`"${target}" already holds ${show(step.value, 60)}`);
        } else {
          await host.setWorldItem(target, step.value);
          effect.did.push(`change ${JSON.stringify(target)} in the world: ${show(items[target], 60)} → ${show(step.value, 60)}`);
        }
        break;
      }
      case 'add': {
        const unfair = Object.hasOwn(host.world.snapshot(), step.target) ? `the world already has "${step.target}"` : await host.unfairAdd(step.target, step.value);
        if (unfair !== undefined) {
          note(unfair);
        } else {
          await host.setWorldItem(step.target, step.value);
          effect.did.push(`add ${JSON.stringify(step.target)} = ${show(step.value, 60)} to the world`);
        }
        break;
      }
      case 'restart':
        await host.restart();
        effect.did.push('restart: the loop stopped (its calls under way never land), a new one started');
        break;
      case 'custom': {
        const context: StepContext<V> = { kind, world: host.world, now: () => host.now(), setWorldItem: (t, v) => host.setWorldItem(t, v) };
        await step.run(context);
        effect.did.push(`custom ${step.name}`);
        break;
      }
    }
  } catch (error) {
    // Whatever was thrown (an object without a prototype makes String throw): described, never rethrown.
    note(`failed: ${toError(error).message}`);
  }
  return effect;

  async function deleteConverged(key: Key): Promise<void> {
    if (host.convergedOn(key)) await remove(key);
    else note(`${kind}/${key} not deleted: the loop has not converged on it yet`);
  }
}

function live(resource: Resource): boolean {
  return resource.metadata.deletionTimestamp === undefined;
}
