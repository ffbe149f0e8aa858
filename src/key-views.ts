/**
 * Typed views of the work queue's records for snapshots: the delayed keys (requeue, backoff, waiting)
 * and the parked ones (terminal, quarantined), with their last error, class and attempts.
 *
 * @module
 */
import { DELAYED, HOLD_BACKOFF, HOLD_WAITING, PARKED, PARK_QUARANTINED } from './key-state.js';
import type { KeyState } from './key-state.js';
import type { DelayedKey, ParkedKey } from './queue-types.js';
import type { SlotTable } from './slot-table.js';

/** The delayed keys (soonest first) and the parked keys of `table`; O(keys with a record). */
export function listKeys(table: SlotTable, isOverdue: (st: KeyState) => boolean): { delayed: DelayedKey[]; parked: ParkedKey[] } {
  const delayed: DelayedKey[] = [];
  const parked: ParkedKey[] = [];
  table.forEach((st) => {
    const lastError = st.lastError?.message;
    if (st.status === DELAYED) {
      delayed.push({
        key: st.key,
        nextAttemptAt: st.dueAt,
        failures: st.failures,
        why: st.hold === HOLD_BACKOFF ? 'backoff' : st.hold === HOLD_WAITING ? 'waiting' : 'requeue',
        lastError,
        failureClass: st.lastClass,
        overdue: isOverdue(st),
      });
    } else if (st.status === PARKED) {
      parked.push({
        key: st.key,
        reason: st.hold === PARK_QUARANTINED ? 'quarantined' : 'terminal',
        failures: st.failures,
        lastError,
        failureClass: st.lastClass,
        since: st.dueAt,
        overdue: isOverdue(st),
      });
    }
  });
  delayed.sort((a, b) => a.nextAttemptAt - b.nextAttemptAt);
  return { delayed, parked };
}
