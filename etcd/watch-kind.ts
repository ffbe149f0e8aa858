/**
 * The watch of one kind on etcd: `watchKind`. A list at one revision, a `synced` marker, then every
 * change from the next revision on; or, given `sinceRevision`, every change after it.
 *
 * @module
 */
import { Observable } from 'rxjs';
import type { Subscription } from 'rxjs';
import type { IWatchResponse, Watcher } from 'etcd3';
import { CompactedError, TransientError } from '../src/errors.js';
import type { Resource, ResourceEvent, WatchEvent } from '../src/types.js';
import { deadline, etcdCall, isCompacted } from './etcd-call.js';
import { decodeResource, removed } from './etcd-layout.js';
import { listKind } from './list-kind.js';
import type { ListContext } from './list-kind.js';

/** What {@link watchKind} needs. */
export interface WatchKindContext extends ListContext {
  readonly kind: string;
  /** The kind's key prefix. */
  readonly prefix: string;
  /** The etcd key of a resource of the kind. */
  pathOf(resource: Resource): string;
}

/** Re-list attempts back off up to this long between tries. */
const MAX_RETRY_MS = 5_000;
/** A watch resumed from a revision that keeps being cancelled (not compacted) fails after this many tries. */
const RESUME_ATTEMPTS = 5;

/**
 * Watches `context.kind`: without `since`, the list (`initial` events), a `synced` event at the list's
 * revision, then the changes after it; with `since`, the changes after that revision, or a
 * `CompactedError` when etcd no longer has them.
 *
 * ## Guarantees
 * - Across a lost connection (etcd restarted, a member lost) the watch resumes from the revision after
 *   the last change it delivered: no change is missed or delivered twice (etcd3 alone resumes from
 *   the last *header* revision, which can skip changes of a watch still catching up).
 * - A watch started with a list re-lists when etcd cancels it for any reason (etcd3 reports a
 *   compacted revision as a cancel with an empty reason): it logs `Watch cancelled; listing again`
 *   and emits what changed meanwhile as ordinary `added` / `modified` / `deleted` events (the deleted
 *   ones with the list's revision), then streams from the new list's revision.
 * - A watch started with `sinceRevision` has no list to compare with: a cancel fails it with
 *   `CompactedError` when the revision is gone (the caller lists again), and resumes otherwise.
 * - `modified` events carry `old` (etcd's previous key-value, or the listed state); `deleted` events
 *   carry the last state without finalizers and the revision of the removal.
 *
 * ## Caveats
 * - A list failing at the start fails the stream (the caller restarts it); a re-list failing later
 *   is tried again with backoff, logged at `warn`.
 */
export function watchKind(context: WatchKindContext, since: number | undefined): Observable<WatchEvent> {
  const { client, scheduler, logger, kind, prefix, timeoutMs } = context;
  return new Observable<WatchEvent>((subscriber) => {
    let watcher: Watcher | undefined;
    let timer: Subscription | undefined;
    /** The revision of the last change delivered (or of the list). */
    let last = since ?? 0;
    /** With a list: the last state of every key, to diff a re-list against and to fill in `old`. */
    const known = since === undefined ? new Map<string, Resource>() : undefined;

    const emit = (event: WatchEvent): void => {
      if (!subscriber.closed) subscriber.next(event);
    };
    const stop = (): void => {
      const w = watcher;
      watcher = undefined;
      if (w !== undefined) w.cancel().catch(() => undefined);
    };
    const fail = (error: unknown): void => {
      stop();
      subscriber.error(error);
    };
    const wait = (ms: number): Promise<void> =>
      new Promise((resolve) => {
        timer = scheduler.schedule(() => resolve(), ms);
      });

    const onData = (response: IWatchResponse): void => {
      for (const change of response.events) {
        const revision = Number(change.kv.mod_revision);
        const path = change.kv.key.toString('utf8');
        last = Math.max(last, revision);
        if (change.type === 'Put') {
          const object = decodeResource(change.kv);
          if (object === undefined) {
            logger.warn({ kind, key: path, revision }, 'Skipped a value that is not a resource');
            continue;
          }
          const old = (change.prev_kv ? decodeResource(change.prev_kv) : undefined) ?? known?.get(path);
          known?.set(path, object);
          const first = change.kv.create_revision === change.kv.mod_revision;
          emit(
            Object.freeze(
              first || old === undefined
                ? ({ type: first ? 'added' : 'modified', object, initial: false } as const)
                : ({ type: 'modified', object, old, initial: false } as const),
            ),
          );
        } else {
          const lastState = (change.prev_kv ? decodeResource(change.prev_kv) : undefined) ?? known?.get(path);
          known?.delete(path);
          if (lastState === undefined) {
            logger.warn({ kind, key: path, revision }, 'Skipped a deletion whose last state is unknown');
            continue;
          }
          emit(Object.freeze({ type: 'deleted' as const, object: removed(lastState, revision), initial: false }));
        }
      }
    };

    const open = (from: number): void => {
      const w = client.watch().prefix(prefix).withPreviousKV().startRevision(String(from)).watcher();
      watcher = w;
      // etcd3 resumes a reconnected watch after the last *header* revision it saw; make it resume
      // after the last change delivered instead (these listeners run after etcd3's own).
      const resumeAfterLast = (): void => {
        (w.request as { start_revision?: string }).start_revision = String(Math.max(last, from - 1) + 1);
      };
      w.on('connected', () => {
        if (watcher === w) resumeAfterLast();
      });
      w.on('data', (response: IWatchResponse) => {
        if (watcher !== w) return;
        try {
          onData(response);
          resumeAfterLast();
        } catch (error) {
          fail(error);
        }
      });
      w.on('disconnected', (error: Error) => {
        if (watcher === w) logger.debug({ kind, revision: last, error: error.message }, 'Watch disconnected; etcd3 reconnects');
      });
      w.on('error', (error: Error) => {
        if (watcher !== w) return;
        // etcd cancelled it already: cancelling again would make etcd answer for a watcher etcd3 has
        // forgotten, and etcd3 throws on that answer ("Failed to find watcher"), breaking the stream.
        watcher = undefined;
        void onCancel(error);
      });
    };

    /** A list-started watch: list again, emit the differences, watch from the new list. */
    const relist = async (reason: string): Promise<void> => {
      logger.warn({ kind, revision: last, reason }, 'Watch cancelled; listing again');
      for (let attempt = 0; !subscriber.closed; attempt++) {
        try {
          const list = await listKind(context, prefix);
          if (subscriber.closed) return;
          diff(list.resources, list.revision);
          last = list.revision;
          open(list.revision + 1);
          return;
        } catch (error) {
          logger.warn({ kind, error: (error as Error).message, attempt }, 'Watch re-list failed; trying again');
          await wait(Math.min(MAX_RETRY_MS, 100 * 2 ** attempt));
        }
      }
    };

    const diff = (resources: readonly Resource[], revision: number): void => {
      const seen = known as Map<string, Resource>;
      const now = new Map<string, Resource>();
      for (const object of resources) now.set(context.pathOf(object), object);
      for (const [path, object] of seen) {
        if (!now.has(path)) emit(Object.freeze({ type: 'deleted' as const, object: removed(object, revision), initial: false }));
      }
      for (const [path, object] of now) {
        const old = seen.get(path);
        if (old === undefined) emit(Object.freeze({ type: 'added' as const, object, initial: false }));
        else if (old.metadata.revision !== object.metadata.revision) emit(Object.freeze({ type: 'modified' as const, object, old, initial: false }));
      }
      seen.clear();
      for (const [path, object] of now) seen.set(path, object);
    };

    /** A `since` watch: fail with `CompactedError` when the history is gone, else resume. */
    let resumes = 0;
    const resume = async (error: Error): Promise<void> => {
      const probe = await etcdCall(`read ${prefix} at revision ${last + 1}`, timeoutMs, () =>
        client.getAll().prefix(prefix).revision(last + 1).limit(1).options(deadline(scheduler, timeoutMs)).exec(),
      ).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      if (subscriber.closed) return;
      const cause = (probe as { cause?: unknown } | undefined)?.cause;
      if (isCompacted(error) || isCompacted(cause)) {
        fail(new CompactedError(kind, last, undefined));
        return;
      }
      if (++resumes > RESUME_ATTEMPTS) {
        fail(new TransientError(`etcd cancelled the watch of ${kind} ${resumes} times (${error.message}); watch again`, { cause: error }));
        return;
      }
      logger.warn({ kind, revision: last, reason: error.message }, 'Watch cancelled; resuming');
      await wait(Math.min(MAX_RETRY_MS, 100 * 2 ** resumes));
      if (!subscriber.closed) open(last + 1);
    };

    const onCancel = (error: Error): Promise<void> => (known === undefined ? resume(error) : relist(error.message || 'cancelled by etcd'));

    if (since === undefined) {
      listKind(context, prefix).then(
        (list) => {
          if (subscriber.closed) return;
          for (const object of list.resources) {
            known?.set(context.pathOf(object), object);
            emit(Object.freeze({ type: 'added' as const, object, initial: true }) as ResourceEvent);
          }
          emit(Object.freeze({ type: 'synced' as const, revision: list.revision, initial: true as const }));
          last = list.revision;
          open(list.revision + 1);
        },
        (error: unknown) => subscriber.error(error),
      );
    } else open(since + 1);

    return () => {
      timer?.unsubscribe();
      stop();
    };
  });
}
