/**
 * The change feed's first poll. Regression: a watch started on an idle feed recorded `PRAGMA
 * data_version` after its list snapshot, so a commit by another connection between the snapshot
 * and that read was never noticed (until some later commit changed the version again). The source
 * here is scripted: it stands for a database in which that commit already happened.
 */
import { Observable, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ResourceEvent, WatchEvent } from 'rx-reconcile';
import { ChangeFeed, type ChangeRow, type FeedSource } from '../../sqlite/change-feed.js';

function committedElsewhere(): FeedSource & { reads: number[] } {
  const row: ChangeRow = { revision: 8, kind: 'Todo', key: 'milk', type: 'added', doc: '{}', old: null, old_revision: null };
  const reads: number[] = [];
  return {
    reads,
    // The other connection's commit (revision 8) is already counted in the version the feed reads first.
    dataVersion: () => 5,
    readAfter: (after) => {
      reads.push(after);
      return { rows: after < 8 ? [row] : [], revision: 8, oldest: 0 };
    },
    decode: (r) => ({ type: 'added', initial: false, object: { kind: r.kind, metadata: { name: r.key, revision: r.revision } } }) as unknown as ResourceEvent,
  };
}

describe('ChangeFeed', () => {
  it('a commit made by another connection between a watch’s list snapshot and its start reaches the watch on the first poll', async () => {
    const scheduler = new VirtualTimeScheduler(VirtualAction, 25); // polls every 10 ms: run the first two
    const source = committedElsewhere();
    const feed = new ChangeFeed(source, scheduler, 10);
    const seen: WatchEvent[] = [];
    // The replay was read at revision 7; revision 8 was committed by someone else right after.
    const watch = new Observable<WatchEvent>((subscriber) => feed.add('Todo', 7, subscriber, [{ type: 'synced', revision: 7, initial: true }]));
    const subscription = watch.subscribe((e) => seen.push(e));
    scheduler.flush();
    await Promise.resolve(); // deliveries run in a microtask
    subscription.unsubscribe();
    expect(source.reads[0]).toBe(7);
    expect(seen.map((e) => e.type)).toEqual(['synced', 'added']);
  });
});
