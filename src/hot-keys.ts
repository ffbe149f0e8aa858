/**
 * Hot keys: keys that run again at once, again and again, without a desired change (G15).
 *
 * A key that ends with `requeueAfter(0)`, retries a conflict at once, or is triggered by its own write
 * while it runs, runs again "at once" — and so does one that asks to come back sooner than the spacing
 * below (`requeueAfter(1)`, `waiting(dependency, 0)`): a short delay does not get around the limit. Such reruns are counted per key (in the record's bits) from the
 * start of the streak (kept here, only for keys in a streak). When a streak is longer than `after`
 * and faster than `perSecond` passes a second, the key is hot: it is reported once, and from then on
 * its immediate reruns are spaced `1000 / perSecond` ms apart, until the streak ends (the key settles,
 * waits for real, or its desired state changes).
 *
 * @module
 */
import type { KeyState } from './key-state.js';
import type { HotKey } from './queue-types.js';

const MAX_STREAK = 63;

/** The streaks of one queue. */
export class HotKeys {
  /** Start of the current streak of immediate reruns, for keys in one. */
  private readonly starts = new Map<KeyState, number>();
  private readonly after: number;
  private readonly perSecond: number;
  private readonly onHot: (st: KeyState, perSecond: number) => void;

  /** The ms between two reruns of a hot key; a key coming back sooner than this is in a streak. */
  readonly spacing: number;

  constructor(after: number, perSecond: number, onHot: (st: KeyState, perSecond: number) => void) {
    this.after = after;
    this.perSecond = perSecond;
    this.onHot = onHot;
    this.spacing = Math.ceil(1000 / perSecond);
  }

  /** Counts one immediate rerun of `st` at `now`; returns the delay to space it by (0 = at once). */
  rerun(st: KeyState, now: number): number {
    let streak = st.streak + 1;
    if (streak === 1) this.starts.set(st, now);
    else if (streak > MAX_STREAK && !st.hot) {
      // A long, slow streak: start a new window so that a later speed-up is still noticed.
      streak = 1;
      this.starts.set(st, now);
    }
    st.streak = streak;
    if (!st.hot && streak >= this.after) {
      const since = this.starts.get(st) ?? now;
      const perSecond = (streak * 1000) / Math.max(1, now - since);
      if (perSecond > this.perSecond) {
        st.hot = true;
        this.onHot(st, Math.round(perSecond));
      }
    }
    return st.hot ? this.spacing : 0;
  }

  /** Ends the key's streak (it settled, waits for real, changed, or is forgotten). */
  end(st: KeyState): void {
    if (st.streak === 0 && !st.hot) return;
    st.streak = 0;
    st.hot = false;
    this.starts.delete(st);
  }

  /** The keys that are hot now. */
  list(): HotKey[] {
    const hot: HotKey[] = [];
    for (const [st, since] of this.starts) if (st.hot) hot.push({ key: st.key, since, reruns: st.streak });
    return hot;
  }

  clear(): void {
    this.starts.clear();
  }
}
