/**
 * The kinds of children a loop made with `ctx.ensureChildren`, remembered in its ledger store, so that
 * a restarted loop still cascades: without them, an owner deleted after a restart (or while the loop
 * was down) would leave its children behind unless the loop listed them in `owns`.
 *
 * One record per loop, of the `ReconcileChildKinds` kind, named by the hash of the loop's name: its
 * spec is `{ loop, kinds }`. It is written the first time a process sees a kind (compare-and-set, so
 * two replicas adding different kinds both stay), and read once when the loop starts.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { AlreadyExistsError, ConflictError, keyOf, toError } from '../../src/index.js';
import type { Key, Logger, Resource, Store } from '../../src/index.js';

/** The kind of the records. */
export const CHILD_KINDS_KIND = 'ReconcileChildKinds';

/** Tries of a read-modify-write that meets a concurrent writer before giving up (the pass is retried). */
const TRIES = 8;

/**
 * The record's name for a loop: a hash, as any text may be a loop name. Of the name as JSON, which
 * keeps lone surrogates apart (hashed raw, every one becomes the same U+FFFD).
 */
export function childKindsName(loop: string): string {
  return createHash('sha256').update(JSON.stringify(loop)).digest('hex');
}

/** The kinds a record holds: its `spec.kinds`, without what is not a non-empty string (foreign data is read, never trusted). */
function kindsOf(record: Resource | undefined): string[] {
  const kinds = (record?.spec as { kinds?: unknown } | null | undefined)?.kinds;
  return Array.isArray(kinds) ? kinds.filter((k): k is string => typeof k === 'string' && k !== '') : [];
}

/** The child kinds `loop` remembered in `store` (none when it never made children). */
export async function recallChildKinds(store: Store, loop: string): Promise<string[]> {
  return kindsOf(await store.get(CHILD_KINDS_KIND, childKindsName(loop)));
}

/**
 * Records that `loop` makes children of `kind` in `store`; a no-op when recorded. Rejects with the
 * store's error, or a `ConflictError` after {@link TRIES} concurrent writers in a row.
 */
export async function rememberChildKind(store: Store, loop: string, kind: string): Promise<void> {
  const name = childKindsName(loop);
  for (let attempt = 0; attempt < TRIES; attempt++) {
    const found = await store.get(CHILD_KINDS_KIND, name);
    const kinds = kindsOf(found);
    if (kinds.includes(kind)) return;
    const spec = { loop, kinds: [...kinds, kind].sort() };
    try {
      if (found === undefined) await store.create(CHILD_KINDS_KIND, { metadata: { name }, spec });
      else await store.update({ ...found, spec });
      return;
    } catch (error) {
      if (!(error instanceof AlreadyExistsError || error instanceof ConflictError)) throw error;
    }
  }
  throw new ConflictError(CHILD_KINDS_KIND, name, undefined, undefined, `The child kinds of loop ${JSON.stringify(loop)} kept changing under ${TRIES} tries: the pass is retried`);
}

/**
 * Keys of owners of `ownerKind` that are gone while children of `kinds` still name them (as a
 * controller or not): a cascade the loop missed (the owner was deleted while it was down). A pass of
 * each such key finds its resource absent and runs the cascade.
 */
export async function goneOwners(store: Store, ownerKind: string, kinds: readonly string[], logger: Logger): Promise<Key[]> {
  const named = new Set<Key>();
  for (const kind of kinds) {
    let children: Resource[];
    try {
      children = await store.list(kind);
    } catch (error) {
      // One kind the store cannot list (a record written by hand, a kind no longer registered) does not hide the others.
      logger.warn({ kind, err: toError(error) }, 'Child kind not listed: owners gone while the loop was down are not swept for it');
      continue;
    }
    for (const child of children) {
      for (const reference of child.metadata.ownerReferences) {
        // The owner's key as `triggerOwners` reads it (a reference without a namespace names an owner without one).
        if (reference.kind === ownerKind) named.add(keyOf({ metadata: reference }));
      }
    }
  }
  if (named.size === 0) return [];
  const present = new Set((await store.list(ownerKind)).map(keyOf));
  return [...named].filter((key) => !present.has(key));
}
