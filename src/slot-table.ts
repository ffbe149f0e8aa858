/**
 * The work queue's key → record table, split so that the hottest check needs no record.
 *
 * `slots` maps a key to a small integer, `records[slot]` is its record, and `hot[slot]` is 1 while
 * the key waits in the high lane. A repeated trigger for a queued key (the common case of a burst or
 * a resync storm) is then one `Map.get` and one byte read, like a hand-written queue's
 * `Map<key, bits>`, instead of a read of a record object scattered in the heap.
 *
 * Slots are reused. A forgotten key is not deleted from the map at once (a `Map.delete` is the
 * costliest step of a drained key): its entry stays as a tombstone pointing at a free slot, and is
 * deleted when that slot is given to another key — so a map entry whose slot holds a record always
 * holds that key's record, and a tombstone's slot is free (`hot` 0, no record). A burst that drains
 * deletes nothing one by one. The tables shrink: they are dropped whole when no key is left (idle
 * keys hold nothing), and compacted (the map rebuilt without tombstones) when few of their slots
 * are live, so one long-lived key does not keep the tables of a past burst (issue 10, item 8); the
 * map alone is rebuilt once its tombstones outnumber the live keys 3 to 1 — when the next key takes a
 * slot, not while keys only leave: a draining burst usually empties the table, which then drops the
 * map whole, and a rebuild in the middle of the drain cost it ~70 ns per pass at 10k keys (benchmark
 * 32). The map never holds more entries than there are slots.
 *
 * @module
 */
import { KeyState } from './key-state.js';
import type { Key, TriggerReason } from './types.js';

const MIN_SIZE = 64;
/**
 * Compact once fewer than one slot in this many is live. A draining burst then renumbers about 1/15
 * of its keys in all (1/3 with a ratio of 4, which cost a drain ~10 % of its time), and a sparse
 * table holds at most this many slots per live key (a pointer, a byte and a free-list entry each).
 */
const COMPACT_RATIO = 16;
/**
 * Rebuild the map without its tombstones once they outnumber the live keys this many times: a map
 * full of tombstones would otherwise grow its hash table as new keys take the freed slots (benchmark
 * 11: +10 B per key in backoff), and a rebuild costs one `Map.set` per live key, ~1/3 of a set per
 * removal in a draining burst, against a `Map.delete` per removal without tombstones. The rebuild
 * waits for the next `add` (see the module comment).
 */
const TOMBSTONE_RATIO = 3;

/** Key → slot → record, with a byte per slot for "waiting in the high lane". */
export class SlotTable {
  /** Key → slot; an entry whose slot has no record is a tombstone (the key has no record). */
  slots = new Map<Key, number>();
  records: (KeyState | undefined)[] = [];
  hot = new Uint8Array(MIN_SIZE);
  private free: number[] = [];
  /** The key a free slot last held, whose tombstone may still point at it. */
  private gone: (Key | undefined)[] = [];
  private live = 0;
  /** Tombstones outnumber the live keys: the map is rebuilt before the next key takes a slot. */
  private tombstonesDue = false;

  /** Number of keys holding a record. */
  get size(): number {
    return this.live;
  }

  /** The record of `key`, if it has one. */
  get(key: Key): KeyState | undefined {
    const slot = this.slots.get(key);
    return slot === undefined ? undefined : this.records[slot];
  }

  /** A new record for `key`, in a free slot. */
  add(key: Key, reason: TriggerReason, generation: number | undefined): KeyState {
    if (this.tombstonesDue) this.dropTombstones();
    let slot = this.free.pop();
    if (slot !== undefined) {
      const before = this.gone[slot];
      if (before !== undefined) {
        this.gone[slot] = undefined;
        // Its tombstone, unless that key came back in another slot since.
        if (before !== key && this.slots.get(before) === slot) this.slots.delete(before);
      }
    } else {
      slot = this.records.length;
      if (slot >= this.hot.length) {
        const grown = new Uint8Array(this.hot.length * 2);
        grown.set(this.hot);
        this.hot = grown;
      }
    }
    const st = new KeyState(key, slot, reason, generation);
    this.records[slot] = st;
    this.slots.set(key, slot);
    this.live++;
    return st;
  }

  /** Forgets a record; drops or compacts the tables when they are mostly empty. */
  remove(st: KeyState): void {
    const live = --this.live;
    if (live === 0) {
      this.clear();
      return;
    }
    const slot = st.slot;
    this.records[slot] = undefined;
    this.hot[slot] = 0;
    this.gone[slot] = st.key;
    this.free.push(slot);
    if (this.records.length > MIN_SIZE && live * COMPACT_RATIO < this.records.length) this.compact();
    else if (this.slots.size - live > TOMBSTONE_RATIO * live + MIN_SIZE) this.tombstonesDue = true;
  }

  /** A map of the live keys only (same slots). */
  private dropTombstones(): void {
    const slots = new Map<Key, number>();
    const records = this.records;
    for (let slot = 0; slot < records.length; slot++) {
      const st = records[slot];
      if (st !== undefined) slots.set(st.key, slot);
    }
    this.slots = slots;
    this.gone = [];
    this.tombstonesDue = false;
  }

  /** Calls `visit` with each record, in slot order (an array walk: the map's tombstones are not visited). */
  forEach(visit: (st: KeyState) => void): void {
    const records = this.records;
    for (let slot = 0; slot < records.length; slot++) {
      const st = records[slot];
      if (st !== undefined) visit(st);
    }
  }

  /** Drops everything. */
  clear(): void {
    if (this.slots.size > 0) this.slots = new Map();
    this.records = [];
    this.hot = new Uint8Array(MIN_SIZE);
    this.free = [];
    this.gone = [];
    this.live = 0;
    this.tombstonesDue = false;
  }

  /**
   * Renumbers the live records into a table sized for them and a map without tombstones (O(slots);
   * amortised O(1) per removal, since it runs only after all but 1/COMPACT_RATIO of the slots were
   * freed).
   */
  private compact(): void {
    const old = this.records;
    const records: KeyState[] = [];
    let size = MIN_SIZE;
    while (size < this.live * 2) size *= 2;
    const hot = new Uint8Array(size);
    const slots = new Map<Key, number>();
    for (let slot = 0; slot < old.length; slot++) {
      const st = old[slot];
      if (st === undefined) continue;
      const next = records.length;
      hot[next] = this.hot[slot] ?? 0;
      st.slot = next;
      records.push(st);
      slots.set(st.key, next);
    }
    this.slots = slots;
    this.records = records;
    this.hot = hot;
    this.free = [];
    this.gone = [];
    this.tombstonesDue = false;
  }
}
