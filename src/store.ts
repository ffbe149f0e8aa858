/**
 * The embedded in-memory desired-state store: {@link createMemoryStore}.
 *
 * It behaves like a remote engine: every method returns a Promise, every object handed out is a
 * deep-frozen snapshot, and writes are compare-and-set on an opaque `version`. Every write takes the
 * next store-wide `revision` (the version is that number as a string). Each write is done
 * synchronously before its Promise resolves, and watchers are told inside the write, so watch events
 * arrive in write order.
 *
 * Choices worth knowing:
 * - Specs are checked with the kind's zod schema and the schema's **parsed output** is stored
 *   (coercions, defaults and unknown-key stripping apply), so `z.infer` of the schema is what readers
 *   get. `update` checks the spec only when it changed, so a spec stored before a stricter schema was
 *   registered never blocks a label or finalizer write.
 * - Removing a resource is a write too: the `deleted` event's object carries a fresh version and
 *   revision, so the revisions of a watch stream (after its initial list) strictly increase.
 * - Values must be plain JSON data; inputs are copied, never kept or mutated. Keys are data
 *   (`__proto__`, `constructor` stay own properties), cycles and non-JSON values are refused naming
 *   the path, metadata of the wrong shape is a `ValidationError`, and a resource larger than
 *   `maxResourceBytes` a `ResourceTooLargeError`: nothing is stored in any of these cases.
 * - `update` keeps stored labels, annotations, finalizers or owner references the caller omits.
 * - The last `history` changes are kept so that `watch(kind, { sinceRevision })` can resume; an older
 *   revision fails with `CompactedError` (list again).
 *
 * @module
 */
import { Observable, asyncScheduler } from 'rxjs';
import type { SchedulerLike } from 'rxjs';
import type { ZodType } from 'zod';
import { AlreadyExistsError, CompactedError, InvalidArgumentError, NotFoundError } from './errors.js';
import { isoTime } from './iso-time.js';
import { keyOf } from './key.js';
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
  matchesList,
  newResourceKey,
  seededUid,
  show,
  statusUpdated,
  targetKey,
  updatedResource,
} from './store-rules.js';
import type { WriteRules } from './store-rules.js';
import { withPeek } from './peek.js';
import type { Key, ListOptions, NewResource, Resource, ResourceEvent, Store, WatchEvent, WatchOptions } from './types.js';

/** Per-kind options: an optional zod schema that every written `spec` must pass. */
export interface KindOptions<S> {
  /**
   * Checked with `safeParse` on create and on every spec change; failures store nothing. The parsed
   * output (with coercions and defaults) is what the store keeps.
   */
  readonly schema?: ZodType<S>;
}

/** The default largest resource: 1.5 MiB of JSON, etcd's default request limit. */
export const defaultMaxResourceBytes = 1_572_864;

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** Kinds to register up front (same as calling `registerKind` for each). */
  readonly kinds?: Readonly<Record<string, KindOptions<unknown>>>;
  /** Clock for `creationTimestamp` / `deletionTimestamp` (only `now()` is used). Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /**
   * Largest resource accepted, in characters of its JSON (metadata, spec and status together).
   * Default 1.5 MiB (etcd's request limit), so data that fits here fits the etcd store too.
   */
  readonly maxResourceBytes?: number;
  /**
   * How many recent changes (all kinds together) are kept for `watch(kind, { sinceRevision })`.
   * Default 1000; 0 keeps none (every resume fails with `CompactedError` and lists again).
   */
  readonly history?: number;
  /**
   * Where the uids' randomness comes from, a function answering numbers in [0, 1) like
   * `Math.random`. Default: the platform's cryptographic source. The testing kit passes its seeded
   * random, so a replay creates the same uids; uids never repeat within a store either way.
   */
  readonly random?: () => number;
}

/** The embedded {@link Store}, plus kind registration and a resource count. */
export interface MemoryStore extends Store {
  /** Registers (or replaces) the options of a kind, e.g. its spec schema. */
  registerKind<S>(kind: string, options: KindOptions<S>): void;
  /** Total number of stored resources, all kinds together. */
  readonly size: number;
  /** The revision of the last write (0 before any). */
  readonly revision: number;
}

type Listener = (event: WatchEvent) => void;

/**
 * Creates an empty in-memory store. Kinds need no registration unless they have a schema.
 *
 * The embedded desired-state store for tests, demos and state rebuilt at start: the same `Store`
 * contract as the durable stores (compare-and-set on `metadata.version`, generations, finalizer-aware
 * delete, watch with resume by revision), gone with the process.
 *
 * ## Example
 * ```ts
 * import { z } from 'zod';
 * import { ConflictError, createMemoryStore } from 'rx-reconcile';
 *
 * const store = createMemoryStore({ kinds: { Todo: { schema: z.object({ title: z.string().min(1) }) } } });
 * const todo = await store.create('Todo', { metadata: { name: 'milk' }, spec: { title: 'buy milk' } });
 * await store.update({ ...todo, spec: { title: 'buy oat milk' } });            // generation 2
 * await store.update({ ...todo, spec: { title: 'x' } }).catch((e: unknown) => {
 *   if (e instanceof ConflictError) console.log('stale version: read again');   // compare-and-set
 * });
 * store.watch('Todo').subscribe((event) => console.log(event.type));            // the list, 'synced', then changes
 * ```
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const scheduler = options.scheduler ?? asyncScheduler;
  const maxBytes = checkCount('maxResourceBytes', options.maxResourceBytes, defaultMaxResourceBytes, 64);
  const historySize = checkCount('history', options.history, 1000, 0);
  const random = options.random;
  if (random !== undefined && typeof random !== 'function') {
    throw new InvalidArgumentError(`createMemoryStore: random must be a function answering numbers in [0, 1) such as Math.random (got ${show(random)}); leave it out for cryptographic uids.`);
  }
  const schemas = new Map<string, ZodType<unknown> | undefined>();
  const kinds = new Map<string, Map<Key, Resource>>();
  /** Each kind's watchers, replaced (never changed in place) on subscribe and unsubscribe: a write takes the current array as is. */
  const listeners = new Map<string, readonly Listener[]>();
  /** The last `historySize` changes, oldest first (a ring from `historyStart`). */
  const history: ResourceEvent[] = [];
  let historyStart = 0;
  /** Deliveries waiting for the one under way: pairs of (watchers, event) or (task, undefined). */
  const outbox: (readonly Listener[] | (() => void) | WatchEvent | undefined)[] = [];
  let delivering = false;
  let revision = 0;
  let size = 0;

  const now = (): string => isoTime(scheduler.now());
  const bucket = (kind: string): Map<Key, Resource> => {
    let found = kinds.get(kind);
    if (found === undefined) kinds.set(kind, (found = new Map()));
    return found;
  };

  /**
   * Runs watcher deliveries one at a time, in order. A write made by a watcher while it is being told
   * about an earlier write is queued, so every watcher sees every change in write order. `task` is
   * either the watchers to tell `event`, or a function (a new watch's replay).
   */
  function deliver(task: readonly Listener[] | (() => void), event?: WatchEvent): void {
    if (delivering) {
      outbox.push(task, event);
      return;
    }
    delivering = true;
    try {
      run(task, event);
      for (let i = 0; i < outbox.length; i += 2) run(outbox[i] as readonly Listener[] | (() => void), outbox[i + 1] as WatchEvent | undefined);
    } finally {
      outbox.length = 0;
      delivering = false;
    }
  }

  function run(task: readonly Listener[] | (() => void), event: WatchEvent | undefined): void {
    if (typeof task === 'function') task();
    else for (let i = 0; i < task.length; i++) (task[i] as Listener)(event as WatchEvent);
  }

  function remember(event: ResourceEvent): void {
    if (historySize === 0) return;
    if (history.length < historySize) history.push(event);
    else {
      history[historyStart] = event;
      historyStart = (historyStart + 1) % historySize;
    }
  }

  /** The oldest revision a watch can resume after. */
  function oldestResumable(): number {
    const oldest = history[historyStart];
    return oldest === undefined ? revision : oldest.object.metadata.revision - 1;
  }

  /** Changes of `kind` after `since`, oldest first; undefined when the history no longer reaches back. */
  function changesSince(kind: string, since: number): ResourceEvent[] | undefined {
    if (since >= revision) return [];
    // Every revision after `since` must still be in the history (revisions are consecutive).
    if (since < oldestResumable()) return undefined;
    const found: ResourceEvent[] = [];
    for (let i = 0; i < history.length; i++) {
      const event = history[(historyStart + i) % history.length] as ResourceEvent;
      if (event.object.metadata.revision > since && event.object.kind === kind) found.push(event);
    }
    return found;
  }

  /** Stores (or removes) a built snapshot, records the change and tells the kind's current watchers. */
  function commit(type: ResourceEvent['type'], object: Resource, old?: Resource): Resource {
    const key = keyOf(object);
    const resources = bucket(object.kind);
    if (type === 'deleted') size -= resources.delete(key) ? 1 : 0;
    else {
      if (!resources.has(key)) size += 1;
      resources.set(key, object);
    }
    const event: ResourceEvent = Object.freeze(
      type === 'modified' && old !== undefined ? { type, object, old, initial: false } : { type, object, initial: false },
    );
    remember(event);
    const watchers = listeners.get(object.kind);
    if (watchers !== undefined && watchers.length > 0) deliver(watchers, event);
    return object;
  }

  const rules: WriteRules = { maxBytes, schemaOf: (kind) => schemas.get(kind), now, uid: random === undefined ? undefined : (revision) => seededUid(random, revision) };

  /** The stored resource an update targets: it exists and has the caller's version. */
  function target(resource: Resource): Resource {
    const { kind, key } = targetKey(resource);
    return checkVersion(kind, key, kinds.get(kind)?.get(key), resource.metadata.version);
  }

  function registerKind<S>(kind: string, kindOptions: KindOptions<S>): void {
    checkKind(kind);
    schemas.set(kind, checkKindOptions(kind, kindOptions));
  }
  for (const [kind, kindOptions] of Object.entries(options.kinds ?? {})) registerKind(kind, kindOptions);

  const memoryStore: MemoryStore = {
    registerKind,

    get size(): number {
      return size;
    },

    get revision(): number {
      return revision;
    },

    async get<Spec, Status>(kind: string, key: Key): Promise<Resource<Spec, Status> | undefined> {
      checkKind(kind);
      checkKey(key);
      return kinds.get(kind)?.get(key) as Resource<Spec, Status> | undefined;
    },

    async list<Spec, Status>(kind: string, listOptions?: ListOptions): Promise<Resource<Spec, Status>[]> {
      checkKind(kind);
      const { namespace, wanted } = listFilter(listOptions);
      return sorted(kinds.get(kind)).filter((r) => matchesList(r, namespace, wanted)) as Resource<Spec, Status>[];
    },

    async create<Spec, Status>(kind: string, resource: NewResource<Spec, Status>): Promise<Resource<Spec, Status>> {
      const { key } = newResourceKey(kind, resource);
      if (bucket(kind).has(key)) throw new AlreadyExistsError(kind, key);
      const created = createdResource(rules, kind, resource, revision + 1);
      revision += 1;
      return commit('added', created) as Resource<Spec, Status>;
    },

    async update<Spec, Status>(resource: Resource<Spec, Status>): Promise<Resource<Spec, Status>> {
      const stored = target(resource);
      const written = updatedResource(rules, stored, resource, revision + 1);
      if (written === undefined) return stored as Resource<Spec, Status>;
      revision += 1;
      return commit(written.type, written.object, stored) as Resource<Spec, Status>;
    },

    async updateStatus<Spec, Status>(resource: Resource<Spec, Status>): Promise<Resource<Spec, Status>> {
      const stored = target(resource);
      const next = statusUpdated(rules, stored, resource, revision + 1);
      if (next === undefined) return stored as Resource<Spec, Status>;
      revision += 1;
      return commit('modified', next, stored) as Resource<Spec, Status>;
    },

    async delete(kind: string, key: Key): Promise<Resource | undefined> {
      checkKind(kind);
      checkKey(key);
      const stored = kinds.get(kind)?.get(key);
      if (stored === undefined) throw new NotFoundError(kind, key);
      const written = deletedResource(rules, stored, revision + 1);
      if (written === undefined) return stored;
      revision += 1;
      const object = commit(written.type, written.object, stored);
      return written.type === 'deleted' ? undefined : object;
    },

    watch<Spec, Status>(kind: string, watchOptions: WatchOptions = {}): Observable<WatchEvent<Spec, Status>> {
      checkKind(kind);
      const since = watchOptions.sinceRevision;
      checkSinceRevision(since);
      return new Observable<WatchEvent<Spec, Status>>((subscriber) => {
        // Snapshot and listener in the same synchronous step: nothing lost, nothing twice.
        const listener: Listener = (event) => subscriber.next(event as WatchEvent<Spec, Status>);
        let replay: readonly WatchEvent[] | undefined;
        if (since === undefined) {
          const at = revision;
          replay = [
            ...sorted(kinds.get(kind)).map((object): WatchEvent => Object.freeze({ type: 'added' as const, object, initial: true })),
            Object.freeze({ type: 'synced' as const, revision: at, initial: true as const }),
          ];
        } else {
          replay = changesSince(kind, since);
          if (replay === undefined) {
            subscriber.error(new CompactedError(kind, since, oldestResumable()));
            return undefined;
          }
        }
        listeners.set(kind, [...(listeners.get(kind) ?? []), listener]);
        deliver(() => {
          const events = replay ?? [];
          // The replay must not outlive its delivery: the listener's closure would keep every replaced
          // snapshot reachable for as long as the watch lives.
          replay = undefined;
          for (const event of events) {
            if (subscriber.closed) return;
            listener(event);
          }
        });
        return () => {
          const watchers = (listeners.get(kind) ?? []).filter((l) => l !== listener);
          if (watchers.length > 0) listeners.set(kind, watchers);
          else listeners.delete(kind);
        };
      });
    },
  };
  // What `get` resolves to, without a promise (a loop's pass takes its snapshot with it).
  return withPeek(memoryStore, (kind, key) => kinds.get(kind)?.get(key));
}

function sorted(resources: Map<Key, Resource> | undefined): Resource[] {
  return [...(resources ?? [])].sort(([a], [b]) => compareKeys(a, b)).map(([, r]) => r);
}

function checkCount(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidArgumentError(
      `createMemoryStore: ${name} must be an integer ≥ ${min} (got ${show(value)}); leave it out for ${fallback}.`,
    );
  }
  return value;
}
