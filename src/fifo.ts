/**
 * A FIFO with a head index: O(1) push and shift, slots cleared as the head moves, compacted when the
 * consumed prefix dominates. Never `Array.prototype.shift` on a large array (O(n) per call in V8).
 *
 * @module
 */

/** First in, first out, O(1) per operation, bounded by live entries. */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  /** Live entries. */
  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** Removes and returns the oldest entry. */
  shift(): T | undefined {
    const items = this.items;
    if (this.head >= items.length) return undefined;
    const item = items[this.head];
    items[this.head] = undefined;
    this.head++;
    if (this.head === items.length) {
      items.length = 0;
      this.head = 0;
    } else if (this.head >= 4096 && this.head * 2 >= items.length) {
      this.items = items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Drops everything in O(1). */
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
