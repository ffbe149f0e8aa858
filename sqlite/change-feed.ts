/**
 * The change feed of a SQLite store: who watches which kind from which revision, the store-wide
 * cursor of changes read so far, delivery in write order, and the poll that notices commits of other
 * connections.
 *
 * - Own writes are handed over by the store right after they commit (no read-back).
 * - Commits of other connections (another process, the `sqlite3` tool through the `desired` view, a
 *   second store on the same file) are noticed with `PRAGMA data_version`, checked every
 *   `pollInterval` ms through the injected scheduler, and only while something is watched: an idle
 *   store runs no timer. A change is then read from the `changes` table.
 * - A new watch gets its replay (list or kept changes) at once, inside `subscribe`.
 * - Change events are delivered in a microtask queued after the write's Promise resolved, so a writer
 *   awaiting its write knows the new version before its own event arrives (`ignoreOwnWrites` relies
 *   on it), and watchers see every change once, in revision order.
 * - When the `changes` table no longer holds a change the feed has not read (compacted by another
 *   connection), the watches end with `CompactedError`: the caller lists again. Nothing is skipped
 *   silently.
 *
 * @module
 */
import type { SchedulerAction, SchedulerLike, Subscriber, Subscription } from 'rxjs';
import { CompactedError } from '../src/errors.js';
import type { ResourceEvent, WatchEvent } from '../src/types.js';

/** One row of the `changes` table. */
export interface ChangeRow {
  readonly revision: number;
  readonly kind: string;
  readonly key: string;
  readonly type: string;
  readonly doc: string;
  readonly old: string | null;
  readonly old_revision: number | null;
}

/** What the feed reads from the database. */
export interface FeedSource {
  /** `PRAGMA data_version`: changes when another connection commits. */
  dataVersion(): number;
  /** The changes after `after` in revision order, the store's revision and oldest resumable revision, in one snapshot. */
  readAfter(after: number): { readonly rows: readonly ChangeRow[]; readonly revision: number; readonly oldest: number };
  /** The event of a row, or `undefined` when it cannot be read (the source reports why). */
  decode(row: ChangeRow): ResourceEvent | undefined;
}

interface Watcher {
  readonly kind: string;
  /** The revision this watcher has been given everything up to. */
  position: number;
  readonly subscriber: Subscriber<WatchEvent>;
}

/** Watchers, cursor, ordered delivery and the poll of a SQLite store. */
export class ChangeFeed {
  private readonly watchers = new Map<string, Set<Watcher>>();
  private count = 0;
  /** The store-wide revision read so far (meaningful while something is watched). */
  private cursor = 0;
  private lastDataVersion = 0;
  private timer: Subscription | undefined;
  private readonly outbox: (() => void)[] = [];
  private drainQueued = false;

  private readonly source: FeedSource;
  private readonly scheduler: SchedulerLike;
  private readonly pollInterval: number;

  constructor(source: FeedSource, scheduler: SchedulerLike, pollInterval: number) {
    this.source = source;
    this.scheduler = scheduler;
    this.pollInterval = pollInterval;
  }

  /** True while something watches: only then must writes be read and published. */
  get active(): boolean {
    return this.count > 0;
  }

  /** True when a watcher of `kind` exists (decode its changes; others are only counted). */
  wants(kind: string): boolean {
    return (this.watchers.get(kind)?.size ?? 0) > 0;
  }

  /**
   * Adds a watcher of `kind` that is up to date as of revision `at` (the snapshot its `replay` was
   * read at); the replay is delivered at once, then every change after `at`. Returns the removal.
   */
  add(kind: string, at: number, subscriber: Subscriber<WatchEvent>, replay: readonly WatchEvent[]): () => void {
    if (this.count === 0) {
      this.cursor = at;
      // Not `dataVersion()` now: another connection may have committed between the replay's snapshot
      // (at `at`) and this call, and reading the version now would hide that commit until the next
      // one. The first poll always reads what came after `at`.
      this.lastDataVersion = Number.NaN;
    }
    const watcher: Watcher = { kind, position: at, subscriber };
    const set = this.watchers.get(kind) ?? new Set<Watcher>();
    this.watchers.set(kind, set.add(watcher));
    this.count += 1;
    this.startPolling();
    // The replay now, inside subscribe (as the memory store does): changes after `at` reach this
    // watcher only through the outbox, after it. A loop's `whenIdle()` sees the listed keys queued.
    for (const event of replay) {
      if (subscriber.closed) break;
      subscriber.next(event);
    }
    return () => this.remove(watcher);
  }

  /**
   * Reads and publishes the changes other connections committed since the cursor. Ends every watch
   * with `CompactedError` when some of them are no longer in the table.
   */
  catchUp(): void {
    if (this.count === 0) return;
    const { rows, revision, oldest } = this.source.readAfter(this.cursor);
    let expected = this.cursor + 1;
    for (const row of rows) {
      if (row.revision !== expected) break;
      this.publish(row.revision, row.kind, this.wants(row.kind) ? this.source.decode(row) : undefined);
      expected += 1;
    }
    if (this.cursor < revision) this.fail((kind) => new CompactedError(kind, this.cursor, oldest));
  }

  /** Publishes the change at `revision` (the next one after the cursor); `event` undefined when unreadable or unwatched. */
  publish(revision: number, kind: string, event: ResourceEvent | undefined): void {
    if (this.count === 0 || revision <= this.cursor) return;
    this.cursor = revision;
    if (event === undefined) return;
    const targets: Watcher[] = [];
    for (const watcher of this.watchers.get(kind) ?? []) {
      if (watcher.position < revision) {
        watcher.position = revision;
        targets.push(watcher);
      }
    }
    if (targets.length > 0) this.enqueue(() => targets.forEach((w) => w.subscriber.closed || w.subscriber.next(event)));
  }

  /** The store-wide revision read so far (valid while {@link active}). */
  get position(): number {
    return this.cursor;
  }

  /** Ends every watch with the error made for its kind (after the events already queued for it). */
  fail(errorOf: (kind: string) => Error): void {
    for (const watcher of this.removeAll()) {
      const error = errorOf(watcher.kind);
      this.enqueue(() => watcher.subscriber.closed || watcher.subscriber.error(error));
    }
  }

  /** Completes every watch (after the events already queued for it): the store is closing. */
  complete(): void {
    for (const watcher of this.removeAll()) this.enqueue(() => watcher.subscriber.closed || watcher.subscriber.complete());
  }

  private removeAll(): Watcher[] {
    const all = [...this.watchers.values()].flatMap((set) => [...set]);
    this.watchers.clear();
    this.count = 0;
    this.stopPolling();
    return all;
  }

  /** Queues a delivery; deliveries run in order in a microtask, after the writes' Promises resolved. */
  enqueue(task: () => void): void {
    this.outbox.push(task);
    if (this.drainQueued) return;
    this.drainQueued = true;
    queueMicrotask(() => this.drain());
  }

  private drain(): void {
    try {
      for (let i = 0; i < this.outbox.length; i++) this.outbox[i]?.();
    } finally {
      this.outbox.length = 0;
      this.drainQueued = false;
    }
  }

  private remove(watcher: Watcher): void {
    const set = this.watchers.get(watcher.kind);
    if (set === undefined || !set.delete(watcher)) return;
    if (set.size === 0) this.watchers.delete(watcher.kind);
    this.count -= 1;
    if (this.count === 0) this.stopPolling();
  }

  private startPolling(): void {
    if (this.timer !== undefined) return;
    const feed = this;
    this.timer = this.scheduler.schedule(function (this: SchedulerAction<unknown>) {
      if (feed.count === 0) return;
      try {
        const version = feed.source.dataVersion();
        if (version !== feed.lastDataVersion) {
          feed.lastDataVersion = version;
          feed.catchUp();
        }
      } catch (error) {
        feed.fail(() => (error instanceof Error ? error : new Error(String(error))));
        return;
      }
      if (feed.count > 0) this.schedule(undefined, feed.pollInterval);
    }, this.pollInterval);
  }

  private stopPolling(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
  }
}
