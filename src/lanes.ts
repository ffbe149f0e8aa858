/**
 * The two lanes of ready keys (G4): a high lane for real changes and a low lane for resync and
 * start-up floods, FIFO within each, with aging — after `agingEvery` high-lane starts in a row, one
 * low-lane key starts — so real changes overtake a flood and the flood still drains.
 *
 * Entries are never removed from the middle: a key that left its lane (promoted to the high lane,
 * delayed, forgotten) is skipped when it reaches the head.
 *
 * @module
 */
import { Fifo } from './fifo.js';
import { LANE_HIGH, LANE_LOW, QUEUED } from './key-state.js';
import type { KeyState } from './key-state.js';

/** High and low lanes with aging. */
export class Lanes {
  private readonly high = new Fifo<KeyState>();
  private readonly low = new Fifo<KeyState>();
  private highStreak = 0;
  private readonly agingEvery: number;

  constructor(agingEvery: number) {
    this.agingEvery = agingEvery;
  }

  /** Appends a queued key to its lane (`st.lane`). */
  push(st: KeyState): void {
    (st.lane === LANE_HIGH ? this.high : this.low).push(st);
  }

  /** The next key to start: high lane first, one low-lane key after every `agingEvery` high starts. */
  next(): KeyState | undefined {
    const preferLow = this.highStreak >= this.agingEvery;
    for (;;) {
      let st: KeyState | undefined;
      let lane: number;
      if (preferLow && this.low.length > 0) {
        st = this.low.shift();
        lane = LANE_LOW;
      } else if (this.high.length > 0) {
        st = this.high.shift();
        lane = LANE_HIGH;
      } else if (this.low.length > 0) {
        st = this.low.shift();
        lane = LANE_LOW;
      } else return undefined;
      // Skip stale entries (a promoted key, or a key that left the lane).
      if (st === undefined || st.status !== QUEUED || st.lane !== lane) continue;
      this.highStreak = lane === LANE_HIGH && this.low.length > 0 ? this.highStreak + 1 : 0;
      return st;
    }
  }

  clear(): void {
    this.high.clear();
    this.low.clear();
    this.highStreak = 0;
  }
}
