/**
 * One binary min-heap of delayed entries, ordered by due time: the single timer structure behind
 * every delayed key of a work queue (requeue, backoff, dependency waits).
 *
 * Entries carry their own `heapIndex`, so an entry can be moved earlier or removed in O(log n)
 * without a search. Memory is one array slot per delayed entry; nothing per idle key.
 *
 * @module
 */

/** What the heap stores: anything with a due time and a slot for its position. */
export interface HeapEntry {
  dueAt: number;
  /** Position in the heap, or -1 when not in it. Owned by the heap. */
  heapIndex: number;
}

/** A min-heap on `dueAt` with O(log n) insert, remove and decrease-key. */
export class DelayHeap<E extends HeapEntry> {
  private items: E[] = [];

  /** Number of entries. */
  get size(): number {
    return this.items.length;
  }

  /** The entry due first, if any. */
  peek(): E | undefined {
    return this.items[0];
  }

  /** Adds `entry` at `dueAt`; if it is already in the heap, the earlier of the two times wins. */
  schedule(entry: E, dueAt: number): void {
    if (entry.heapIndex >= 0) {
      if (dueAt < entry.dueAt) {
        entry.dueAt = dueAt;
        this.up(entry.heapIndex);
      }
      return;
    }
    entry.dueAt = dueAt;
    entry.heapIndex = this.items.length;
    this.items.push(entry);
    this.up(entry.heapIndex);
  }

  /** Removes and returns the first entry. */
  pop(): E | undefined {
    const items = this.items;
    const top = items[0];
    if (top === undefined) return undefined;
    this.removeAt(0);
    return top;
  }

  /** Removes `entry` if present. */
  remove(entry: E): void {
    if (entry.heapIndex >= 0) this.removeAt(entry.heapIndex);
  }

  /** Drops every entry in O(1) (entries keep a stale index; callers discard them too). */
  clear(): void {
    this.items = [];
  }

  /** Entries in heap order (not sorted); for snapshots. */
  entries(): readonly E[] {
    return this.items;
  }

  private removeAt(index: number): void {
    const items = this.items;
    const removed = items[index] as E;
    const last = items.pop() as E;
    removed.heapIndex = -1;
    if (index < items.length) {
      items[index] = last;
      last.heapIndex = index;
      this.down(index);
      this.up(last.heapIndex);
    }
  }

  private up(index: number): void {
    const items = this.items;
    const entry = items[index] as E;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex] as E;
      if (parent.dueAt <= entry.dueAt) break;
      items[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    items[index] = entry;
    entry.heapIndex = index;
  }

  private down(index: number): void {
    const items = this.items;
    const n = items.length;
    const entry = items[index] as E;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && (items[right] as E).dueAt < (items[left] as E).dueAt) child = right;
      const c = items[child] as E;
      if (c.dueAt >= entry.dueAt) break;
      items[index] = c;
      c.heapIndex = index;
      index = child;
    }
    items[index] = entry;
    entry.heapIndex = index;
  }
}
