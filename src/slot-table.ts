/**
 * The work queue's key → record table, split so that the hottest check needs no record.
 *
 * `slots` maps a key to a small integer, `records[slot]` is its record, and `hot[slot]` is 1 while
 * the key waits in the high lane. A repeated trigger for a queued key (the common case of a burst or
 * a resync storm) is then one `Map.get` and one byte read, like a hand-written queue's
 * `Map<key, bits>`, instead of a read of a record object scattered in the heap.
 *
 * Slots are reused. The tables shrink: they are dropped whole when no key is left (idle keys hold
 * nothing), and compacted when few of their slots are live, so one long-lived key
 * does not keep the tables of a past burst (issue 10, item 8).
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

/** Key → slot → record, with a byte per slot for "waiting in the high lane". */
export class SlotTable {
  slots = new Map<Key, number>();
  records: (KeyState | undefined)[] = [];
  hot = new Uint8Array(MIN_SIZE);
  private free: number[] = [];

  /** Number of keys holding a record. */
  get size(): number {
    return this.slots.size;
  }

  /** The record of `key`, if it has one. */
  get(key: Key): KeyState | undefined {
    const slot = this.slots.get(key);
    return slot === undefined ? undefined : this.records[slot];
  }

  /** A new record for `key`, in a free slot. */
  add(key: Key, reason: TriggerReason, generation: number | undefined): KeyState {
    let slot = this.free.pop();
    if (slot === undefined) {
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
    return st;
  }

  /** Forgets a record; drops or compacts the tables when they are mostly empty. */
  remove(st: KeyState): void {
    this.slots.delete(st.key);
    const live = this.slots.size;
    if (live === 0) {
      this.clear();
      return;
    }
    this.records[st.slot] = undefined;
    this.hot[st.slot] = 0;
    this.free.push(st.slot);
    if (this.records.length > MIN_SIZE && live * COMPACT_RATIO < this.records.length) this.compact();
  }

  /** Drops everything. */
  clear(): void {
    if (this.slots.size > 0) this.slots = new Map();
    this.records = [];
    this.hot = new Uint8Array(MIN_SIZE);
    this.free = [];
  }

  /**
   * Renumbers the live records into a table sized for them (O(slots); amortised O(1) per removal,
   * since it runs only after all but 1/COMPACT_RATIO of the slots were freed). The map is updated in place:
   * V8's hash tables shrink by themselves as entries are deleted.
   */
  private compact(): void {
    const old = this.records;
    const records: KeyState[] = [];
    let size = MIN_SIZE;
    while (size < this.slots.size * 2) size *= 2;
    const hot = new Uint8Array(size);
    const slots = this.slots;
    for (let slot = 0; slot < old.length; slot++) {
      const st = old[slot];
      if (st === undefined) continue;
      const next = records.length;
      hot[next] = this.hot[slot] ?? 0;
      st.slot = next;
      records.push(st);
      slots.set(st.key, next);
    }
    this.records = records;
    this.hot = hot;
    this.free = [];
  }
}
