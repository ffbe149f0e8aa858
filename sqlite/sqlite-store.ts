/**
 * The durable embedded desired-state store: {@link createSqliteStore}.
 *
 * A `Store` kept in one SQLite file (better-sqlite3), with the memory store's rules (the shared
 * `store-rules` of the kernel): compare-and-set `update` on `metadata.version`, `generation` bumped on
 * spec changes only, `updateStatus` writing nothing when the status is equal, finalizer-aware
 * `delete`, the kind's zod schema output stored, bad input refused with typed errors, a size limit.
 *
 * ## Guarantees
 * - Durable: with `synchronous: 'FULL'` (the default) a write's Promise resolves only after its
 *   transaction is on disk (WAL, synced): it survives `kill -9` and power loss.
 * - Every write takes the next store-wide revision (a row of the `changes` table, never reused); a
 *   resource carries the revision of its last write and `version` is that number as a string.
 * - `watch(kind)` replays the list, a `synced` event, then every change in revision order; with
 *   `sinceRevision` it replays the kept changes after it (`CompactedError` when they are gone).
 * - Writes of other connections (processes, the `sqlite3` tool through the `desired` view, another
 *   store on the same file) reach running watches within `pollInterval` ms.
 *
 * ## Expected flow
 * Writes called in the same tick are applied in call order in one transaction (each in its own
 * savepoint, so one refused write never undoes another) and committed together: concurrent writers
 * share one disk sync. Reads first commit writes called before them, then read the file.
 *
 * ## Caveats
 * - better-sqlite3 is synchronous: a commit (a disk sync) and a write waiting for another
 *   connection's lock (`busyTimeout`) block the thread.
 * - A watch keeps a poll timer (and so the process) alive; unsubscribe or `close()` to stop it.
 * - Records written around the store and the `desired` view that are not resources are skipped by
 *   `list`/`watch` and reported to `logger` as `MalformedResourceError`s; `get` rejects with one.
 *
 * @module
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { Observable, asyncScheduler } from 'rxjs';
import type { Subscriber } from 'rxjs';
import type { ZodType } from 'zod';
import {
  AlreadyExistsError,
  CompactedError,
  InvalidArgumentError,
  MalformedResourceError,
  NotFoundError,
  StoreClosedError,
  TransientError,
} from '../src/errors.js';
import { isoTime } from '../src/iso-time.js';
import { keyOf } from '../src/key.js';
import { noopLogger } from '../src/ports.js';
import type { KindOptions } from '../src/store.js';
import type { Key, ListOptions, NewResource, Resource, ResourceEvent, Store, WatchEvent, WatchOptions } from '../src/types.js';
import {
  checkKey,
  checkKind,
  checkKindOptions,
  listFilter,
  checkSinceRevision,
  checkVersion,
  compareKeys,
  createdResource,
  deletedResource,
  detachInput,
  matchesList,
  newResourceKey,
  statusUpdated,
  targetKey,
  updatedResource,
} from '../src/store-rules.js';
import type { WriteRules, Written } from '../src/store-rules.js';
import { ChangeFeed } from './change-feed.js';
import type { ChangeRow } from './change-feed.js';
import { resolveOptions } from './options.js';
import type { SqliteStoreOptions } from './options.js';
import { decodeResource } from './rows.js';
import { lockedOut, openDatabase } from './schema.js';

/** A {@link Store} in a SQLite file, plus kind registration, its revision and `close()`. */
export interface SqliteStore extends Store {
  /** Registers (or replaces) the options of a kind, e.g. its spec schema. */
  registerKind<S>(kind: string, options: KindOptions<S>): void;
  /** The revision of the last write to the file, by any connection (0 before any). */
  readonly revision: number;
  /** The database file. */
  readonly path: string;
  /**
   * Commits writes already called, completes running watches (stop loops first), stops the poll
   * timer and closes the file. Every later call rejects with `StoreClosedError` (a later watch fails
   * with it). Idempotent.
   */
  close(): Promise<void>;
}

/** Most writes committed in one transaction. */
const MAX_BATCH = 1000;

interface StoredRow {
  readonly revision: number;
  readonly doc: string;
}

/** A write waiting for the next commit. */
interface PendingWrite {
  /** Applies the write inside the batch transaction; returns the result and its change, if any. */
  readonly apply: (revision: number) => { readonly result: unknown; readonly change?: Written; readonly old?: Resource };
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Opens (or creates) a SQLite store at `options.path`.
 *
 * ## Example
 * ```ts
 * import { z } from 'zod';
 * import { Outcome, defineLoop } from 'rx-reconcile';
 * import { createSqliteStore } from 'rx-reconcile/sqlite';
 *
 * const TodoSpec = z.object({ title: z.string().min(1) });
 * const store = createSqliteStore({ path: './todos.db', kinds: { Todo: { schema: TodoSpec } } });
 * await store.create('Todo', { metadata: { name: 'buy-milk' }, spec: { title: 'buy milk' } });
 * const loop = defineLoop({ name: 'todo', store, kind: 'Todo', reconcile: () => Outcome.converged() });
 * // … later
 * await loop.stop();
 * await store.close();
 * ```
 */
export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const o = resolveOptions(options);
  const scheduler = o.scheduler ?? asyncScheduler;
  const logger = o.logger ?? noopLogger;
  const db = openDatabase(loadDriver(), o);
  const schemas = new Map<string, ZodType<unknown> | undefined>();
  const now = (): string => isoTime(scheduler.now());
  const rules: WriteRules = { maxBytes: o.maxResourceBytes, schemaOf: (kind) => schemas.get(kind), now };

  const sql = {
    get: db.prepare<[string, string], StoredRow>('SELECT revision, doc FROM resources WHERE kind = ? AND key = ?'),
    list: db.prepare<[string], { key: string; revision: number; doc: string }>('SELECT key, revision, doc FROM resources WHERE kind = ? ORDER BY key'),
    revision: db.prepare<[], number>("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").pluck(),
    oldest: db.prepare<[], number | null>('SELECT min(revision) FROM changes').pluck(),
    insertChange: db.prepare<[number, string, string, string, string, string | null, number | null]>(
      'INSERT INTO changes (revision, kind, key, type, doc, old, old_revision) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    insertResource: db.prepare<[string, string, number, string]>('INSERT INTO resources (kind, key, revision, doc) VALUES (?, ?, ?, ?)'),
    updateResource: db.prepare<[number, string, string, string]>('UPDATE resources SET revision = ?, doc = ? WHERE kind = ? AND key = ?'),
    deleteResource: db.prepare<[string, string]>('DELETE FROM resources WHERE kind = ? AND key = ?'),
    compact: db.prepare<[number]>('DELETE FROM changes WHERE revision <= ?'),
    changesAfter: db.prepare<[number], ChangeRow>('SELECT revision, kind, key, type, doc, old, old_revision FROM changes WHERE revision > ? ORDER BY revision'),
    kindChangesAfter: db.prepare<[number, string], ChangeRow>(
      'SELECT revision, kind, key, type, doc, old, old_revision FROM changes WHERE revision > ? AND kind = ? ORDER BY revision',
    ),
    dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
  };

  const currentRevision = (): number => sql.revision.get() ?? 0;
  /** The oldest revision a watch can resume after: just before the oldest kept change. */
  const oldestResumable = (): number => {
    const oldest = sql.oldest.get();
    return oldest === null || oldest === undefined ? currentRevision() : oldest - 1;
  };

  function report(error: MalformedResourceError): void {
    try {
      logger.warn({ err: error, kind: error.kind, name: error.resourceName, location: error.location }, 'Malformed resource skipped');
    } catch {
      // A throwing logger must not break a list or a watch.
    }
  }

  function decodeChange(row: ChangeRow): ResourceEvent | undefined {
    const object = decodeResource(row.kind, row.key, row.revision, row.doc, `changes row ${row.revision}`);
    if (object instanceof MalformedResourceError) return void report(object);
    if (row.type !== 'added' && row.type !== 'modified' && row.type !== 'deleted') {
      return void report(new MalformedResourceError(row.kind, row.key, `changes row ${row.revision}`, [`type "${row.type}" is not added, modified or deleted`]));
    }
    if (row.type === 'modified' && row.old !== null && row.old_revision !== null) {
      const old = decodeResource(row.kind, row.key, row.old_revision, row.old, `changes row ${row.revision} (old)`);
      if (!(old instanceof MalformedResourceError)) return Object.freeze({ type: row.type, object, old, initial: false });
      report(old);
    }
    return Object.freeze({ type: row.type, object, initial: false });
  }

  const feed = new ChangeFeed(
    {
      dataVersion: () => sql.dataVersion.get() ?? 0,
      readAfter: db.transaction((after: number) => ({ rows: sql.changesAfter.all(after), revision: currentRevision(), oldest: oldestResumable() })),
      decode: decodeChange,
    },
    scheduler,
    o.pollInterval,
  );

  // ---- writes: queued in call order, committed together -------------------------------------

  const pending: PendingWrite[] = [];
  let flushQueued = false;
  let closed = false;

  /** Each write in its own savepoint: a refused write undoes only itself. */
  const applyOne = db.transaction((write: PendingWrite, revision: number) => write.apply(revision));
  const applyBatch = db.transaction((writes: readonly PendingWrite[]) => {
    // Changes other connections committed since the feed's cursor come before ours.
    if (feed.active && currentRevision() > feed.position) feed.catchUp();
    const first = currentRevision();
    let revision = first;
    const outcomes: ({ ok: true; value: ReturnType<PendingWrite['apply']>; revision: number } | { ok: false; error: unknown })[] = [];
    for (const write of writes) {
      try {
        const value = applyOne(write, revision + 1);
        if (value.change !== undefined) revision += 1;
        outcomes.push({ ok: true, value, revision });
      } catch (error) {
        outcomes.push({ ok: false, error });
      }
    }
    if (revision > first) sql.compact.run(revision - o.history);
    return outcomes;
  });

  function flush(): void {
    flushQueued = false;
    while (pending.length > 0) {
      const writes = pending.splice(0, MAX_BATCH);
      let outcomes;
      try {
        outcomes = applyBatch.immediate(writes);
      } catch (error) {
        const failure = lockedOut(error)
          ? new TransientError(
              `the SQLite file ${o.path} stayed locked by another connection for longer than busyTimeout (${o.busyTimeout} ms); ` +
                'nothing of this write was stored: retry it (a loop does, with backoff), and look for a process that holds the file and is stopped or stuck',
              { cause: error },
            )
          : error;
        for (const write of writes) write.reject(failure); // nothing of the batch was committed
        continue;
      }
      outcomes.forEach((outcome, i) => {
        const write = writes[i] as PendingWrite;
        if (outcome.ok) write.resolve(outcome.value.result);
        else write.reject(outcome.error);
      });
      // After the Promises resolved: the feed delivers in a microtask queued after their reactions.
      for (const outcome of outcomes) {
        if (!outcome.ok || outcome.value.change === undefined) continue;
        const { change, old } = outcome.value;
        const { object } = change;
        const event: ResourceEvent = Object.freeze(
          change.type === 'modified' && old !== undefined ? { type: change.type, object, old, initial: false } : { type: change.type, object, initial: false },
        );
        feed.publish(outcome.revision, object.kind, event);
      }
    }
  }

  function enqueue<T>(prepare: () => PendingWrite['apply']): Promise<T> {
    if (closed) return Promise.reject(new StoreClosedError('this SQLite store'));
    let apply: PendingWrite['apply'];
    try {
      apply = prepare();
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<T>((resolve, reject) => {
      pending.push({ apply, resolve: resolve as (value: unknown) => void, reject });
      if (!flushQueued) {
        flushQueued = true;
        queueMicrotask(flush);
      }
    });
  }

  /** Commits the writes called so far (reads see them), then checks the store is open. */
  function beforeRead(): void {
    if (closed) throw new StoreClosedError('this SQLite store');
    if (pending.length > 0) flush();
  }

  /** The stored resource of kind/key, `undefined` when absent; throws `MalformedResourceError`. */
  function readStored(kind: string, key: Key): { resource: Resource; row: StoredRow } | undefined {
    const row = sql.get.get(kind, key);
    if (row === undefined) return undefined;
    const resource = decodeResource(kind, key, row.revision, row.doc, `resources row ${kind}/${key}`);
    if (resource instanceof MalformedResourceError) throw resource;
    return { resource, row };
  }

  /** Writes `change` (at `revision`) to the tables; `old` is the stored row it replaces. */
  function writeRows(change: Written, revision: number, old: StoredRow | undefined): void {
    const { object } = change;
    const kind = object.kind;
    const key = keyOf(object);
    const doc = JSON.stringify(object);
    const modified = change.type === 'modified' && old !== undefined;
    sql.insertChange.run(revision, kind, key, change.type, doc, modified ? old.doc : null, modified ? old.revision : null);
    if (change.type === 'added') sql.insertResource.run(kind, key, revision, doc);
    else if (change.type === 'modified') sql.updateResource.run(revision, doc, kind, key);
    else sql.deleteResource.run(kind, key);
  }

  function listResources(kind: string): Resource[] {
    const out: Resource[] = [];
    for (const row of sql.list.all(kind)) {
      const resource = decodeResource(kind, row.key, row.revision, row.doc, `resources row ${kind}/${row.key}`);
      if (resource instanceof MalformedResourceError) report(resource);
      else out.push(resource);
    }
    // SQLite orders by UTF-8 bytes; JavaScript's order differs only past U+FFFF (nearly sorted: cheap).
    return out.sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  }

  const readList = db.transaction((kind: string) => ({ resources: listResources(kind), revision: currentRevision() }));
  const readSince = db.transaction((kind: string, since: number) => {
    const revision = currentRevision();
    if (since >= revision) return { events: [] as ResourceEvent[], revision };
    if (since < oldestResumable()) return { compacted: oldestResumable(), revision };
    const events: ResourceEvent[] = [];
    for (const row of sql.kindChangesAfter.all(since, kind)) {
      const event = decodeChange(row);
      if (event !== undefined) events.push(event);
    }
    return { events, revision };
  });

  function registerKind<S>(kind: string, kindOptions: KindOptions<S>): void {
    checkKind(kind);
    schemas.set(kind, checkKindOptions(kind, kindOptions));
  }
  for (const [kind, kindOptions] of Object.entries(o.kinds)) registerKind(kind, kindOptions);

  return {
    registerKind,

    get path(): string {
      return o.path;
    },

    get revision(): number {
      beforeRead();
      return currentRevision();
    },

    async get<Spec, Status>(kind: string, key: Key): Promise<Resource<Spec, Status> | undefined> {
      checkKind(kind);
      checkKey(key);
      beforeRead();
      return readStored(kind, key)?.resource as Resource<Spec, Status> | undefined;
    },

    async list<Spec, Status>(kind: string, listOptions?: ListOptions): Promise<Resource<Spec, Status>[]> {
      checkKind(kind);
      const { namespace, wanted } = listFilter(listOptions);
      beforeRead();
      return listResources(kind).filter((r) => matchesList(r, namespace, wanted)) as Resource<Spec, Status>[];
    },

    create<Spec, Status>(kind: string, resource: NewResource<Spec, Status>): Promise<Resource<Spec, Status>> {
      return enqueue(() => {
        const { key } = newResourceKey(kind, resource);
        const input = detachInput(resource, kind, key);
        return (revision) => {
          if (sql.get.get(kind, key) !== undefined) throw new AlreadyExistsError(kind, key);
          const object = createdResource(rules, kind, input as NewResource, revision);
          const change: Written = { type: 'added', object };
          writeRows(change, revision, undefined);
          return { result: object, change };
        };
      });
    },

    update<Spec, Status>(resource: Resource<Spec, Status>): Promise<Resource<Spec, Status>> {
      return enqueue(() => {
        const { kind, key } = targetKey(resource);
        const input = detachInput(resource, kind, key);
        return (revision) => {
          const found = readStored(kind, key);
          const stored = checkVersion(kind, key, found?.resource, input.metadata.version);
          const change = updatedResource(rules, stored, input as Resource, revision);
          if (change === undefined) return { result: stored };
          writeRows(change, revision, found?.row);
          return { result: change.object, change, old: stored };
        };
      });
    },

    updateStatus<Spec, Status>(resource: Resource<Spec, Status>): Promise<Resource<Spec, Status>> {
      return enqueue(() => {
        const { kind, key } = targetKey(resource);
        const input = detachInput(resource, kind, key);
        return (revision) => {
          const found = readStored(kind, key);
          const stored = checkVersion(kind, key, found?.resource, input.metadata.version);
          const object = statusUpdated(rules, stored, input as Resource, revision);
          if (object === undefined) return { result: stored };
          const change: Written = { type: 'modified', object };
          writeRows(change, revision, found?.row);
          return { result: object, change, old: stored };
        };
      });
    },

    delete(kind: string, key: Key): Promise<Resource | undefined> {
      return enqueue(() => {
        checkKind(kind);
        checkKey(key);
        return (revision) => {
          const found = readStored(kind, key);
          if (found === undefined) throw new NotFoundError(kind, key);
          const change = deletedResource(rules, found.resource, revision);
          if (change === undefined) return { result: found.resource };
          writeRows(change, revision, found.row);
          return { result: change.type === 'deleted' ? undefined : change.object, change, old: found.resource };
        };
      });
    },

    watch<Spec, Status>(kind: string, watchOptions: WatchOptions = {}): Observable<WatchEvent<Spec, Status>> {
      checkKind(kind);
      const since = watchOptions.sinceRevision;
      checkSinceRevision(since);
      return new Observable<WatchEvent>((subscriber: Subscriber<WatchEvent>) => {
        try {
          beforeRead();
        } catch (error) {
          subscriber.error(error);
          return undefined;
        }
        let replay: WatchEvent[];
        let at: number;
        if (since === undefined) {
          const { resources, revision } = readList(kind);
          at = revision;
          replay = resources.map((object): WatchEvent => Object.freeze({ type: 'added' as const, object, initial: true }));
          replay.push(Object.freeze({ type: 'synced' as const, revision, initial: true as const }));
        } else {
          const found = readSince(kind, since);
          if ('compacted' in found) {
            subscriber.error(new CompactedError(kind, since, found.compacted));
            return undefined;
          }
          at = found.revision;
          replay = found.events;
        }
        return feed.add(kind, at, subscriber, replay);
      }) as Observable<WatchEvent<Spec, Status>>;
    },

    async close(): Promise<void> {
      if (closed) return;
      if (pending.length > 0) flush();
      closed = true;
      feed.complete();
      db.close();
    },
  };
}

/** better-sqlite3, loaded when the first store is made, with a clear error when it is not installed. */
function loadDriver(): typeof BetterSqlite3 {
  try {
    return createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  } catch (error) {
    throw new InvalidArgumentError(
      `rx-reconcile/sqlite needs the better-sqlite3 package (an optional peer dependency): run \`npm install better-sqlite3\` ` +
        `(${(error as Error).message.split('\n')[0] ?? ''}).`,
    );
  }
}
