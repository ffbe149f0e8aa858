/**
 * Which running loops write which status conditions, per store and kind: two loops of one process
 * that write the same condition types on the same resources overwrite each other's (one says
 * `Ready=True` while the other fails), so the second one is told at start, with the fix.
 *
 * @module
 */
import type { Store } from '../../src/index.js';

/** Per store: per kind and condition prefix, the names of the running loops writing them (a loop once per start). */
const writers = new WeakMap<Store, Map<string, string[]>>();

/**
 * Records that `loop` writes the conditions of `prefix` on `kind` in `store`. Answers the other loops
 * (by name, another name than `loop`'s) already writing them, and the release to call when the loop
 * stops.
 */
export function claimConditions(store: Store, kind: string, prefix: string, loop: string): { readonly others: readonly string[]; readonly release: () => void } {
  let byKind = writers.get(store);
  if (byKind === undefined) writers.set(store, (byKind = new Map()));
  const slot = `${kind}\u0000${prefix}`;
  const names = byKind.get(slot) ?? [];
  const others = [...new Set(names.filter((name) => name !== loop))];
  names.push(loop);
  byKind.set(slot, names);
  let released = false;
  return {
    others,
    release: () => {
      if (released) return;
      released = true;
      const at = names.indexOf(loop);
      if (at >= 0) names.splice(at, 1);
      if (names.length === 0) byKind.delete(slot);
    },
  };
}
