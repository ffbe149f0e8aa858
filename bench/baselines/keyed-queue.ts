/**
 * Baseline 1: a hand-written keyed work queue with client-go semantics, no RxJS. This is the
 * practical floor the library is measured against.
 *
 * - one `Map<key, bits>`: DIRTY (an event is pending) and PROCESSING (a worker holds the key);
 *   a key absent from the map is idle and costs nothing;
 * - an `add` of a dirty key is a no-op (coalescing); an `add` of a processing key only marks it
 *   dirty, and `done` puts it back in the FIFO (one trailing pass, never two at once);
 * - a FIFO array read through a head index; slots are cleared as the head moves, and the array is
 *   compacted when head ≥ 4096 and head·2 ≥ length (no `shift()`);
 * - N async worker loops; an idle worker parks on a promise and `add` hands it the key directly.
 *
 * `DelayingKeyedQueue` adds `addAfter` / `addRateLimited` over ONE binary heap and ONE timer.
 */

const DIRTY = 1;
const PROCESSING = 2;

export type BaselineWork = (key: string) => PromiseLike<unknown> | unknown;

export class KeyedQueue {
  protected readonly state = new Map<string, number>();
  private fifo: (string | undefined)[] = [];
  private head = 0;
  private readonly parked: ((key: string | undefined) => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private readonly work: BaselineWork;
  private processing = 0;
  private stopped = false;
  readonly workers: number;

  constructor(work: BaselineWork, workers: number) {
    this.work = work;
    this.workers = workers;
    for (let i = 0; i < workers; i++) void this.worker();
  }

  /** An event for `key`. */
  add(key: string): void {
    if (this.stopped) return;
    const bits = this.state.get(key);
    if (bits === undefined) {
      const worker = this.parked.pop();
      if (worker !== undefined) {
        this.state.set(key, PROCESSING);
        this.processing++;
        worker(key);
      } else {
        this.state.set(key, DIRTY);
        this.fifo.push(key);
      }
    } else if ((bits & DIRTY) === 0) {
      // Processing: remember the event; `done` queues exactly one trailing pass.
      this.state.set(key, bits | DIRTY);
    }
  }

  /** Keys waiting in the FIFO. */
  get depth(): number {
    return this.fifo.length - this.head;
  }

  get running(): number {
    return this.processing;
  }

  /** Resolves when nothing is queued, running or delayed. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops everything at once: O(1) per key (Map and array are released whole). */
  stop(): void {
    this.stopped = true;
    this.state.clear();
    this.fifo = [];
    this.head = 0;
    for (const worker of this.parked.splice(0)) worker(undefined);
  }

  protected isIdle(): boolean {
    return this.processing === 0 && this.head === this.fifo.length;
  }

  protected checkIdle(): void {
    if (this.idleWaiters.length > 0 && this.isIdle()) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private take(): string | undefined {
    if (this.head === this.fifo.length) return undefined;
    const key = this.fifo[this.head]!;
    this.fifo[this.head++] = undefined;
    if (this.head === this.fifo.length) {
      this.fifo.length = 0;
      this.head = 0;
    } else if (this.head >= 4096 && this.head * 2 >= this.fifo.length) {
      this.fifo.copyWithin(0, this.head);
      this.fifo.length -= this.head;
      this.head = 0;
    }
    this.state.set(key, PROCESSING);
    this.processing++;
    return key;
  }

  private done(key: string): void {
    this.processing--;
    if (this.stopped) return;
    const bits = this.state.get(key);
    if (bits !== undefined && (bits & DIRTY) !== 0) {
      this.state.set(key, DIRTY);
      this.fifo.push(key);
    } else {
      this.state.delete(key);
    }
    if (this.processing === 0) this.checkIdle();
  }

  private async worker(): Promise<void> {
    for (;;) {
      let key = this.take();
      if (key === undefined) {
        if (this.stopped) return;
        key = await new Promise<string | undefined>((resolve) => this.parked.push(resolve));
        if (key === undefined) return;
      }
      try {
        await this.work(key);
      } catch {
        // A failing pass ends like any other (the delaying variant retries through addRateLimited).
      }
      this.done(key);
    }
  }
}

/**
 * The keyed queue plus delayed adds: ONE binary min-heap of (due, key) and ONE re-armed timer.
 * Of two delayed adds of the same key the earlier wins (later entries are dropped lazily).
 */
export class DelayingKeyedQueue extends KeyedQueue {
  private readonly due: number[] = [];
  private readonly heapKeys: string[] = [];
  /** key → due time of its live heap entry. */
  private readonly delayed = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(work: BaselineWork, workers: number, backoff: { baseMs: number; maxMs: number } = { baseMs: 5, maxMs: 1_000_000 }) {
    super(work, workers);
    this.baseDelayMs = backoff.baseMs;
    this.maxDelayMs = backoff.maxMs;
  }

  get delayedCount(): number {
    return this.delayed.size;
  }

  addAfter(key: string, ms: number): void {
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const due = performance.now() + ms;
    const current = this.delayed.get(key);
    if (current !== undefined && current <= due) return;
    this.delayed.set(key, due);
    this.heapPush(due, key);
    if (due < this.armedFor) this.arm(due);
  }

  /** Per-key exponential backoff (base·2^failures, capped), as client-go's item limiter. */
  addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.addAfter(key, Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** n));
  }

  /** Clears the failure history of a key (after a success). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  override stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.delayed.clear();
    this.failures.clear();
    this.due.length = 0;
    this.heapKeys.length = 0;
    super.stop();
  }

  protected override isIdle(): boolean {
    return this.delayed.size === 0 && super.isIdle();
  }

  private arm(due: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armedFor = due;
    this.timer = setTimeout(this.fire, Math.max(0, due - performance.now()));
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = performance.now();
    while (this.due.length > 0 && this.due[0]! <= now) {
      const due = this.due[0]!;
      const key = this.heapPop();
      if (this.delayed.get(key) === due) {
        this.delayed.delete(key);
        this.add(key);
      }
    }
    if (this.due.length > 0) this.arm(this.due[0]!);
    else this.checkIdle();
  };

  private heapPush(due: number, key: string): void {
    const d = this.due;
    const k = this.heapKeys;
    let i = d.length;
    d.push(due);
    k.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (d[parent]! <= due) break;
      d[i] = d[parent]!;
      k[i] = k[parent]!;
      i = parent;
    }
    d[i] = due;
    k[i] = key;
  }

  private heapPop(): string {
    const d = this.due;
    const k = this.heapKeys;
    const top = k[0]!;
    const lastDue = d.pop()!;
    const lastKey = k.pop()!;
    const n = d.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && d[r]! < d[l]! ? r : l;
        if (d[c]! >= lastDue) break;
        d[i] = d[c]!;
        k[i] = k[c]!;
        i = c;
      }
      d[i] = lastDue;
      k[i] = lastKey;
    }
    return top;
  }
}
