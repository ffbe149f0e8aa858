/**
 * Correctness counters, identical for every implementation under test: they wrap the reconcile
 * function, so the library, the hand-written queue and the naive RxJS shapes pay the same cost.
 *
 * - overlap: a pass of key k starts while another pass of k runs (G1);
 * - stale: the last event of k arrived after the last pass of k started (lost update, G2/G5);
 * - over limit: a pass starts while `workers` passes already run;
 * - per-key pass counts, for the exact coalescing rules (G3).
 */
import { noViolations, nowNs, type Violations } from './util.js';

/**
 * The index of a benchmark key: its trailing decimal number (`ns-7/obj-1234` → 1234). Cheaper than
 * a Map lookup, so the counters dilute the measured queue cost as little as possible.
 */
export function keyIndex(key: string): number {
  let n = 0;
  let scale = 1;
  for (let j = key.length - 1; j >= 0; j--) {
    const c = key.charCodeAt(j) - 48;
    if (c < 0 || c > 9) break;
    n += c * scale;
    scale *= 10;
  }
  return n;
}

export class Checker {
  readonly keys: readonly string[];
  /** Sequence number (1-based) of the last event of each key. */
  readonly lastEvent: Int32Array;
  /** Number of events pushed when the last pass of each key started. */
  readonly lastStart: Int32Array;
  readonly running: Uint8Array;
  readonly passesPerKey: Uint32Array;
  readonly workers: number;
  pushed = 0;
  passes = 0;
  inFlight = 0;
  maxInFlight = 0;
  overlaps = 0;
  overLimit = 0;

  constructor(keys: readonly string[], workers: number) {
    this.keys = keys;
    this.workers = workers;
    this.lastEvent = new Int32Array(keys.length);
    this.lastStart = new Int32Array(keys.length);
    this.running = new Uint8Array(keys.length);
    this.passesPerKey = new Uint32Array(keys.length);
  }

  /**
   * Clears every counter for a new round, so that one checker (and the one work function wrapping
   * it) serves a whole run: a new checker per round gives the queue a new work function each round,
   * and V8 throws away any optimised code that inlined the old one once it is collected.
   */
  reset(): void {
    this.lastEvent.fill(0);
    this.lastStart.fill(0);
    this.running.fill(0);
    this.passesPerKey.fill(0);
    this.pushed = 0;
    this.passes = 0;
    this.inFlight = 0;
    this.maxInFlight = 0;
    this.overlaps = 0;
    this.overLimit = 0;
  }

  /** Records that an event for key `i` is about to be pushed. */
  event(i: number): void {
    this.lastEvent[i] = ++this.pushed;
  }

  /** Called first thing in a pass; returns the key index for `end`. */
  begin(key: string): number {
    const i = keyIndex(key);
    if (i >= this.keys.length || this.keys[i] !== key) throw new Error(`unknown key ${key}`);
    if (this.running[i] === 1) this.overlaps++;
    this.running[i] = 1;
    if (++this.inFlight > this.maxInFlight) {
      this.maxInFlight = this.inFlight;
      if (this.inFlight > this.workers) this.overLimit++;
    }
    this.lastStart[i] = this.pushed;
    this.passesPerKey[i]!++;
    this.passes++;
    return i;
  }

  end(i: number): void {
    this.running[i] = 0;
    this.inFlight--;
  }

  /** Keys with an event newer than the start of their last pass. */
  stale(): number {
    let n = 0;
    for (let i = 0; i < this.keys.length; i++) if (this.lastEvent[i]! > this.lastStart[i]!) n++;
    return n;
  }

  /** Keys that got events but never ran. */
  neverRan(): number {
    let n = 0;
    for (let i = 0; i < this.keys.length; i++) if (this.lastEvent[i]! > 0 && this.passesPerKey[i] === 0) n++;
    return n;
  }

  violations(): Violations {
    const v = noViolations();
    v.overlaps = this.overlaps;
    v.stale = this.stale();
    v.overLimit = this.overLimit;
    return v;
  }

  /** Reconcile bodies used by the benchmarks, all wrapped in the counters. */
  noop(): (key: string) => Promise<void> {
    return async (key) => {
      const i = this.begin(key);
      await Promise.resolve();
      this.end(i);
    };
  }

  /** Yields one macrotask, like real I/O would (`rec=immediate`). */
  immediate(): (key: string) => Promise<void> {
    return (key) => {
      const i = this.begin(key);
      return new Promise<void>((resolve) =>
        setImmediate(() => {
          this.end(i);
          resolve();
        }),
      );
    };
  }

  /** Simulated I/O of `ms` milliseconds (a timer). */
  io(ms: number): (key: string) => Promise<void> {
    return (key) => {
      const i = this.begin(key);
      return new Promise<void>((resolve) =>
        setTimeout(() => {
          this.end(i);
          resolve();
        }, ms),
      );
    };
  }

  /** Blocks every pass until `gate.open()`. */
  gated(gate: Gate): (key: string) => Promise<void> {
    return async (key) => {
      const i = this.begin(key);
      await gate.promise;
      this.end(i);
    };
  }
}

/** A promise opened by hand. */
export class Gate {
  readonly promise: Promise<void>;
  private release!: () => void;
  constructor() {
    this.promise = new Promise((resolve) => {
      this.release = resolve;
    });
  }
  open(): void {
    this.release();
  }
}

/** Records, per pass start, the delay since the key first became pending (open-loop latency). */
export class LatencyProbe {
  /** ns timestamp at which each key became pending (0 = not pending). */
  readonly pendingSince: Float64Array;
  readonly samples: number[] = [];
  /** Start time of each sample's pending period (to split cold / warm). */
  readonly sampleAt: number[] = [];
  constructor(keys: number) {
    this.pendingSince = new Float64Array(keys);
  }
  event(i: number, now: number): void {
    if (this.pendingSince[i] === 0) this.pendingSince[i] = now;
  }
  start(i: number): void {
    const since = this.pendingSince[i]!;
    if (since === 0) return;
    this.pendingSince[i] = 0;
    const now = nowNs();
    this.samples.push(now - since);
    this.sampleAt.push(since);
  }
}
