/**
 * The world a loop acts on, as the checkers see it: a set of named items (files, processes, rows,
 * cloud objects…) that can be read, corrected and snapshotted. {@link memoryWorld} is the
 * in-memory implementation; wrap a real system in the same three methods to check a loop against it.
 *
 * @module
 */
import equal from 'fast-deep-equal';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '../src/index.js';
import type { Correction } from '../src/index.js';

/**
 * The state of a world: items by target name (a file name, a process name, a row id…).
 *
 * ## Example
 * ```ts
 * const files: Items<string> = { 'a.md': '# a' };
 * ```
 */
export type Items<V> = Readonly<Record<string, V>>;

/**
 * What a loop changes outside its store, reduced to what a checker needs: read the current state
 * (what `observe` sees), apply one correction (what `correct` does), and take a snapshot of the true
 * state (what the checker compares).
 *
 * A loop under test gets its world from the loop env (`env.world`): under `checkConvergence` that
 * world lies (stale reads) and fails (errors, conflicts, lost acknowledgements) on purpose, while
 * `snapshot()` always tells the truth. Map your own port onto it: a file port's `write(name, text)`
 * is `apply({ action: 'update', target: name, value: text, idempotencyKey })`.
 *
 * ## Example
 * ```ts
 * const world = memoryWorld<number>({ web: 1 });
 * await world.apply({ action: 'update', target: 'web', value: 3, idempotencyKey: 'web:3' });
 * world.snapshot(); // { web: 3 }
 * ```
 */
export interface World<V> {
  /** Reads every item, as the loop sees them (may be stale under faults). */
  read(): Promise<Items<V>>;
  /** Reads one item, as the loop sees it (`undefined` when absent). */
  get(target: string): Promise<V | undefined>;
  /** Applies one correction: `create`, `update`, `delete` or `custom`. */
  apply(correction: Correction<V>): Promise<void>;
  /** The true current state, as a copy (never stale, never faulty). */
  snapshot(): Items<V>;
}

/**
 * Options of {@link memoryWorld}: how strict its operations are, like the API it stands for.
 *
 * ## Example
 * ```ts
 * memoryWorld<string>({}, { onUpdateMissing: 'create', onDeleteMissing: 'ignore' }); // a folder of files
 * ```
 */
export interface MemoryWorldOptions<V> {
  /**
   * A `create` of an existing target: `'fail'` (`AlreadyExistsError`, like a named resource; default),
   * `'replace'` (an upsert), or `'duplicate'`: a new item `target#2`, `target#3`… (like APIs that assign
   * ids, where a retried create makes a second thing).
   */
  readonly onCreateExisting?: 'fail' | 'replace' | 'duplicate';
  /** An `update` of a missing target: `'fail'` (`NotFoundError`; default) or `'create'` (an upsert, like writing a file). */
  readonly onUpdateMissing?: 'fail' | 'create';
  /** A `delete` of a missing target: `'fail'` (`NotFoundError`; default) or `'ignore'` (like `rm -f`). */
  readonly onDeleteMissing?: 'fail' | 'ignore';
  /**
   * Honour idempotency keys (default true): a correction whose key was applied before by a correction
   * of the same action, whose effect still holds, does nothing — so a retry after a lost
   * acknowledgement is harmless. A create's effect holds while its target exists. A correction
   * without a key — `''`, `undefined` or no `idempotencyKey` at all (anything but a non-empty
   * string) — is never deduplicated: two keyless corrections are two operations.
   */
  readonly idempotency?: boolean;
  /** Applies a `custom` correction: returns the new items. Default: `custom` is refused. */
  readonly custom?: (items: Items<V>, correction: Correction<V>) => Items<V>;
}

/**
 * A {@link World} held in memory, with a count of what it did.
 *
 * ## Example
 * ```ts
 * const world = memoryWorld<number>();
 * await world.apply({ action: 'create', target: 'a', value: 1, idempotencyKey: 'k' });
 * world.stats.applied; // 1
 * ```
 */
export interface MemoryWorld<V> extends World<V> {
  /** Corrections that changed something, and corrections dropped as duplicates of an earlier key. */
  readonly stats: { readonly applied: number; readonly deduplicated: number };
}

/**
 * An in-memory world of named items: the default world of the checkers, and a stand-in for files,
 * processes or a remote API in your own tests.
 *
 * Reads and writes are Promises that settle in microtasks, so simulations stay deterministic. Items
 * are copied in and out (`structuredClone`): the loop can never change the world behind its back.
 * Choose the options to match the API the world stands for (strict by default).
 *
 * ## Example
 * ```ts
 * import { memoryWorld } from 'rx-reconcile/testing';
 *
 * const vms = memoryWorld<{ size: string }>({}, { onCreateExisting: 'duplicate' });
 * await vms.apply({ action: 'create', target: 'web', value: { size: 's' }, idempotencyKey: 'k1' });
 * await vms.apply({ action: 'create', target: 'web', value: { size: 's' }, idempotencyKey: 'k1' }); // deduplicated
 * vms.snapshot(); // { web: { size: 's' } }
 * ```
 */
export function memoryWorld<V>(initial: Items<V> = {}, options: MemoryWorldOptions<V> = {}): MemoryWorld<V> {
  let items: Record<string, V> = structuredClone({ ...initial }) as Record<string, V>;
  const applied = new Map<string, Correction<V>>();
  const stats = { applied: 0, deduplicated: 0 };
  const dedupe = options.idempotency !== false;

  /**
   * True when an earlier correction with this key still shows in the world: a delete, while the
   * target is absent; an update, while the target holds its value; a create, while the target exists
   * (like an API's client token: a retried create returns the thing it made, even if someone changed
   * it since).
   */
  const stillHolds = (c: Correction<V>): boolean => {
    switch (c.action) {
      case 'delete':
        return !Object.hasOwn(items, c.target);
      case 'create':
        return Object.hasOwn(items, c.target);
      case 'update':
        return Object.hasOwn(items, c.target) && equal(items[c.target], c.value);
      case 'custom':
        return true;
    }
  };

  /** The correction's idempotency key, or undefined when it has none (not a non-empty string). */
  const keyOf = (c: Correction<V>): string | undefined =>
    typeof c.idempotencyKey === 'string' && c.idempotencyKey !== '' ? c.idempotencyKey : undefined;

  const run = (c: Correction<V>): void => {
    if (typeof c !== 'object' || c === null || typeof c.target !== 'string' || c.target === '') {
      throw new InvalidArgumentError(`world: a correction needs a non-empty string target (got ${JSON.stringify(c)})`);
    }
    const key = keyOf(c);
    const earlier = key === undefined ? undefined : applied.get(key);
    if (dedupe && earlier !== undefined && earlier.action === c.action && stillHolds(earlier)) {
      stats.deduplicated++;
      return;
    }
    const exists = Object.hasOwn(items, c.target);
    const next = { ...items };
    switch (c.action) {
      case 'create': {
        let target = c.target;
        if (exists) {
          const mode = options.onCreateExisting ?? 'fail';
          if (mode === 'fail') throw new AlreadyExistsError('World', c.target);
          if (mode === 'duplicate') {
            let n = 2;
            while (Object.hasOwn(next, `${c.target}#${n}`)) n++;
            target = `${c.target}#${n}`;
          }
        }
        next[target] = structuredClone(c.value) as V;
        break;
      }
      case 'update':
        if (!exists && (options.onUpdateMissing ?? 'fail') === 'fail') throw new NotFoundError('World', c.target);
        next[c.target] = structuredClone(c.value) as V;
        break;
      case 'delete':
        if (!exists) {
          if ((options.onDeleteMissing ?? 'fail') === 'fail') throw new NotFoundError('World', c.target);
          break;
        }
        delete next[c.target];
        break;
      case 'custom': {
        if (options.custom === undefined) {
          throw new InvalidArgumentError(`world: custom correction "${c.name ?? ''}" on ${c.target} needs memoryWorld({ custom })`);
        }
        items = structuredClone({ ...options.custom(items, c) }) as Record<string, V>;
        stats.applied++;
        if (key !== undefined) applied.set(key, c);
        return;
      }
      default:
        throw new InvalidArgumentError(`world: unknown correction action ${JSON.stringify((c as { action?: unknown }).action)}`);
    }
    items = next;
    stats.applied++;
    if (key !== undefined) applied.set(key, c);
  };

  return {
    stats,
    read: async () => structuredClone(items),
    get: async (target) => (Object.hasOwn(items, target) ? structuredClone(items[target]) : undefined),
    apply: async (correction) => run(correction),
    snapshot: () => structuredClone(items),
  };
}
