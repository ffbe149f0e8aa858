/**
 * The watch of one kind on etcd: `watchKind`. A list at one revision, a `synced` marker, then every
 * change from the next revision on; or, given `sinceRevision`, every change after it.
 *
 * @module
 */
import { Observable } from 'rxjs';
import type { Subscription } from 'rxjs';
import type { IKeyValue, IWatchResponse, Watcher } from 'etcd3';
import { CompactedError, MalformedResourceError, TransientError } from '../src/errors.js';
import type { Resource, ResourceEvent, WatchEvent } from '../src/types.js';
import { deadline, etcdCall, isCompacted, isExhausted } from './etcd-call.js';
import { decodeResource, kindPrefix, removed, reportMalformed } from './etcd-layout.js';
import { listKind } from './list-kind.js';
import type { KindList, ListContext } from './list-kind.js';

/** What {@link watchKind} needs. */
export interface WatchKindContext extends ListContext {
  readonly kind: string;
  /** The store's key prefix (the kind's keys are under `kindPrefix(storePrefix, kind)`). */
  readonly storePrefix: string;
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
 * - A watch far behind never needs an answer larger than the client accepts: it asks etcd to split
 *   its catch-up batches (`fragment`, each part under etcd's `--max-request-bytes`; a resume in the
 *   middle of a split revision skips the part already delivered), and only a `sinceRevision` watch
 *   asks for previous values (a list-started one knows them). An answer too large all the same
 *   (gRPC `RESOURCE_EXHAUSTED`: one value larger than the client's `grpc.max_receive_message_length`)
 *   never stalls it silently: a list-started watch re-lists (`Watch answer too large for this client;
 *   listing again`, `warn`), a `sinceRevision` one fails with a `TransientError` saying what to do.
 * - A watch started with a list re-lists when etcd cancels it for any reason (etcd3 reports a
 *   compacted revision as a cancel with an empty reason): it logs `Watch cancelled; listing again`
 *   and emits what changed meanwhile as ordinary `added` / `modified` / `deleted` events (the deleted
 *   ones with the list's revision), then streams from the new list's revision.
 * - A watch started with `sinceRevision` has no list to compare with: a cancel fails it with
 *   `CompactedError` when the revision is gone (the caller lists again), and resumes otherwise.
 * - A value that is not a resource of its key (written around the store) is skipped and logged
 *   (`Malformed resource skipped`, with a `MalformedResourceError`): never an error of the stream.
 * - `modified` events carry `old` (the last state delivered, or etcd's previous key-value); `deleted`
 *   events carry the last state without finalizers and the revision of the removal.
 *
 * ## Caveats
 * - A list failing at the start fails the stream (the caller restarts it); a re-list failing later
 *   is tried again with backoff, logged at `warn`.
 */
export function watchKind(context: WatchKindContext, since: number | undefined): Observable<WatchEvent> {
  const { client, scheduler, logger, kind, storePrefix, timeoutMs } = context;
  const prefix = kindPrefix(storePrefix, kind);
  return new Observable<WatchEvent>((subscriber) => {
    let watcher: Watcher | undefined;
    let timer: Subscription | undefined;
    /** The revision of the last change delivered (or of the list). */
    let last = since ?? 0;
    /** How many events of revision `last` were handled (delivered or skipped). */
    let atLast = 0;
    /** The last answer was a fragment: revision `last` may have more events to come. */
    let partial = false;
    /** Events of revision `last` to pass over after resuming in the middle of it (handled already). */
    let skip = 0;
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
    const decode = (kv: IKeyValue): Resource | undefined => {
      const resource = decodeResource(kv, storePrefix, kind);
      if (!(resource instanceof MalformedResourceError)) return resource;
      reportMalformed(logger, resource);
      return undefined;
    };
    const decodeOld = (kv: IKeyValue | null | undefined): Resource | undefined => {
      if (kv === undefined || kv === null) return undefined; // etcd3 gives null when there is none
      const resource = decodeResource(kv, storePrefix, kind);
      return resource instanceof MalformedResourceError ? undefined : resource;
    };

    const onData = (response: IWatchResponse): void => {
      for (const change of response.events) {
        const revision = Number(change.kv.mod_revision);
        if (revision < last) continue;
        if (revision > last) {
          last = revision;
          atLast = 0;
          skip = 0;
        } else if (skip > 0) {
          skip--; // delivered before the connection was lost in the middle of this revision
          continue;
        }
        atLast++;
        const path = change.kv.key.toString('utf8');
        if (change.type === 'Put') {
          const object = decode(change.kv);
          if (object === undefined) continue;
          const old = known?.get(path) ?? decodeOld(change.prev_kv);
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
          const lastState = known?.get(path) ?? decodeOld(change.prev_kv);
          known?.delete(path);
          if (lastState === undefined) {
            logger.warn({ kind, key: path, revision }, 'Skipped a deletion whose last state is unknown');
            continue;
          }
          emit(Object.freeze({ type: 'deleted' as const, object: removed(lastState, revision), initial: false }));
        }
      }
      if (response.events.length > 0) partial = response.fragment === true;
    };

    const open = (from: number): void => {
      partial = false;
      skip = 0;
      let builder = client.watch().prefix(prefix).startRevision(String(from));
      // A list-started watch knows every previous value: asking etcd for them would double the answers.
      if (known === undefined) builder = builder.withPreviousKV();
      const w = builder.watcher();
      // Catch-up batches (up to 1000 revisions) split into answers under etcd's request limit.
      (w.request as { fragment?: boolean }).fragment = true;
      watcher = w;
      // etcd3 resumes a reconnected watch after the last *header* revision it saw; make it resume
      // after the last change delivered instead (these listeners run after etcd3's own), or at that
      // change's revision when its answer was cut in fragments and more of it may follow.
      const resumeAfterLast = (): void => {
        const handled = Math.max(last, from - 1);
        (w.request as { start_revision?: string }).start_revision = String(partial ? handled : handled + 1);
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
        if (watcher !== w) return;
        if (isExhausted(error)) {
          // etcd3 would ask for the same answer again, forever: give it up here.
          stop();
          void tooLarge(error);
          return;
        }
        skip = partial ? atLast : 0;
        logger.debug({ kind, revision: last, error: error.message }, 'Watch disconnected; etcd3 reconnects');
      });
      w.on('error', (error: Error) => {
        if (watcher !== w) return;
        // etcd cancelled it already: cancelling again would make etcd answer for a watcher etcd3 has
        // forgotten, and etcd3 throws on that answer ("Failed to find watcher"), breaking the stream.
        watcher = undefined;
        void onCancel(error);
      });
    };

    /** An answer larger than the client accepts: a list-started watch lists again, a `since` one fails. */
    const tooLarge = async (error: Error): Promise<void> => {
      if (known !== undefined) {
        await relist(error.message, 'Watch answer too large for this client; listing again');
        return;
      }
      fail(
        new TransientError(
          `etcd's answer to the watch of ${kind} after revision ${last} is larger than this etcd3 client accepts (${error.message}). ` +
            'List the kind again (watch without sinceRevision), or raise "grpc.max_receive_message_length" in the client\'s grpcOptions.',
          { cause: error },
        ),
      );
    };

    /** A list-started watch: list again, emit the differences, watch from the new list. */
    const relist = async (reason: string, message = 'Watch cancelled; listing again'): Promise<void> => {
      logger.warn({ kind, revision: last, reason }, message);
      for (let attempt = 0; !subscriber.closed; attempt++) {
        try {
          const list = await listKind(context, storePrefix, kind);
          if (subscriber.closed) return;
          diff(list);
          last = list.revision;
          open(list.revision + 1);
          return;
        } catch (error) {
          logger.warn({ kind, error: (error as Error).message, attempt }, 'Watch re-list failed; trying again');
          await wait(Math.min(MAX_RETRY_MS, 100 * 2 ** attempt));
        }
      }
    };

    const diff = ({ entries, revision }: KindList): void => {
      const seen = known as Map<string, Resource>;
      const now = new Map<string, Resource>();
      for (const { path, resource } of entries) now.set(path, resource);
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
      listKind(context, storePrefix, kind)
        .then((list) => {
          if (subscriber.closed) return;
          for (const { path, resource: object } of list.entries) {
            known?.set(path, object);
            emit(Object.freeze({ type: 'added' as const, object, initial: true }) as ResourceEvent);
          }
          emit(Object.freeze({ type: 'synced' as const, revision: list.revision, initial: true as const }));
          last = list.revision;
          open(list.revision + 1);
        })
        .catch((error: unknown) => fail(error));
    } else open(since + 1);

    return () => {
      timer?.unsubscribe();
      stop();
    };
  });
}
