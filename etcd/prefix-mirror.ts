/**
 * A live copy of the keys under an etcd prefix: `mirrorPrefix`. The coordinator keeps its view of
 * members and shard owners with it.
 *
 * @module
 */
import type { Etcd3, IKeyValue, IWatchResponse, Watcher } from 'etcd3';
import type { SchedulerLike, Subscription } from 'rxjs';
import type { Logger } from '../src/ports.js';
import { deadline, etcdCall } from './etcd-call.js';

/** One key of the mirror. */
export interface MirrorEntry {
  readonly value: string;
  readonly createRevision: number;
  /** The lease the key is attached to (`'0'`: none). */
  readonly lease: string;
}

/** What {@link mirrorPrefix} needs. */
export interface MirrorContext {
  readonly client: Etcd3;
  readonly scheduler: SchedulerLike;
  readonly timeoutMs: number;
  readonly logger: Logger;
}

/** A running mirror; `close()` stops it. */
export interface PrefixMirror {
  readonly entries: ReadonlyMap<string, MirrorEntry>;
  /** The revision the mirror is up to date with (0 before the first list). */
  readonly revision: number;
  close(): void;
}

const entryOf = (kv: IKeyValue): MirrorEntry => ({
  value: kv.value.toString('utf8'),
  createRevision: Number(kv.create_revision),
  lease: String(kv.lease),
});

/**
 * Lists `prefix`, then follows its changes, calling `onChange` after the list and after each batch
 * of changes. A lost connection resumes after the last change (etcd3 reconnects); a cancelled watch
 * (compaction) and a failed list are retried with backoff by listing again.
 */
export function mirrorPrefix(context: MirrorContext, prefix: string, onChange: () => void): PrefixMirror {
  const { client, scheduler, timeoutMs, logger } = context;
  const entries = new Map<string, MirrorEntry>();
  let watcher: Watcher | undefined;
  let timer: Subscription | undefined;
  let closed = false;
  let last = 0;
  let failures = 0;
  const notify = (): void => {
    try {
      onChange();
    } catch (error) {
      logger.error({ prefix, error: (error as Error).message }, 'Coordination change handler failed');
    }
  };

  const list = async (): Promise<void> => {
    if (closed) return;
    try {
      const response = await etcdCall(`list ${prefix}`, timeoutMs, () => client.getAll().prefix(prefix).options(deadline(scheduler, timeoutMs)).exec());
      if (closed) return;
      failures = 0;
      entries.clear();
      for (const kv of response.kvs) entries.set(kv.key.toString('utf8'), entryOf(kv));
      last = Number(response.header.revision);
      follow(last + 1);
      notify();
    } catch (error) {
      failures++;
      logger.warn({ prefix, error: (error as Error).message }, 'Coordination list failed; trying again');
      timer = scheduler.schedule(() => void list(), Math.min(2000, 50 * 2 ** failures));
    }
  };

  const follow = (from: number): void => {
    const w = client.watch().prefix(prefix).startRevision(String(from)).watcher();
    watcher = w;
    const resumeAfterLast = (): void => {
      (w.request as { start_revision?: string }).start_revision = String(last + 1);
    };
    w.on('connected', () => {
      if (watcher === w) resumeAfterLast();
    });
    w.on('data', (response: IWatchResponse) => {
      if (watcher !== w || closed) return;
      for (const change of response.events) {
        const key = change.kv.key.toString('utf8');
        if (change.type === 'Put') entries.set(key, entryOf(change.kv));
        else entries.delete(key);
        last = Math.max(last, Number(change.kv.mod_revision));
      }
      resumeAfterLast();
      notify();
    });
    w.on('error', (error: Error) => {
      if (watcher !== w || closed) return;
      watcher = undefined; // cancelled by etcd: never cancel it again (etcd3 would throw on the answer)
      logger.warn({ prefix, revision: last, reason: error.message }, 'Coordination watch cancelled; listing again');
      void list();
    });
  };

  void list();
  return {
    entries,
    get revision() {
      return last;
    },
    close() {
      closed = true;
      timer?.unsubscribe();
      const w = watcher;
      watcher = undefined;
      w?.cancel().catch(() => undefined);
    },
  };
}
