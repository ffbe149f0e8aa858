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
import { deepEqual as equal } from './equal.js';
import {
  AlreadyExistsError,
  CompactedError,
  ConflictError,
  InvalidArgumentError,
  NotFoundError,
  ResourceTooLargeError,
  ValidationError,
} from './errors.js';
import { keyOf } from './key.js';
import { metadataIssues } from './metadata-schema.js';
import { BudgetExceeded, copyPlain, deepFreeze } from './plain-data.js';
import type { SizeBudget } from './plain-data.js';
import type { Key, ListOptions, Metadata, NewResource, Resource, ResourceEvent, Store, WatchEvent, WatchOptions } from './types.js';

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
type Writable<T> = { -readonly [P in keyof T]: T[P] };

/** Creates an empty in-memory store. Kinds need no registration unless they have a schema. */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const scheduler = options.scheduler ?? asyncScheduler;
  const maxBytes = checkCount('maxResourceBytes', options.maxResourceBytes, defaultMaxResourceBytes, 64);
  const historySize = checkCount('history', options.history, 1000, 0);
  const schemas = new Map<string, ZodType<unknown> | undefined>();
  const kinds = new Map<string, Map<Key, Resource>>();
  const listeners = new Map<string, Set<Listener>>();
  /** The last `historySize` changes, oldest first (a ring from `historyStart`). */
  const history: ResourceEvent[] = [];
  let historyStart = 0;
  const outbox: (() => void)[] = [];
  let delivering = false;
  let revision = 0;
  let size = 0;

  const now = (): string => new Date(scheduler.now()).toISOString();
  const bucket = (kind: string): Map<Key, Resource> => {
    let found = kinds.get(kind);
    if (found === undefined) kinds.set(kind, (found = new Map()));
    return found;
  };

  /**
   * Runs watcher deliveries one at a time, in order. A write made by a watcher while it is being told
   * about an earlier write is queued, so every watcher sees every change in write order.
   */
  function deliver(task: () => void): void {
    outbox.push(task);
    if (delivering) return;
    delivering = true;
    try {
      for (let i = 0; i < outbox.length; i++) outbox[i]?.();
    } finally {
      outbox.length = 0;
      delivering = false;
    }
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
    if (watchers !== undefined && watchers.size > 0) {
      const targets = [...watchers];
      deliver(() => targets.forEach((listener) => listener(event)));
    }
    return object;
  }

  /** A new frozen snapshot of `stored` with a fresh revision. */
  function rewrite(stored: Resource, metadata: Partial<Writable<Metadata>>, spec: unknown, status: unknown): Resource {
    revision += 1;
    return deepFreeze({
      kind: stored.kind,
      metadata: { ...stored.metadata, ...metadata, version: String(revision), revision },
      spec,
      ...(status === undefined ? {} : { status }),
    });
  }

  /** The kind's schema output for `spec` (itself without a schema); throws `ValidationError`. */
  function validate(kind: string, name: string, spec: unknown): unknown {
    const schema = schemas.get(kind);
    if (schema === undefined) return spec;
    const result = schema.safeParse(spec);
    if (!result.success) {
      const issues = result.error.issues.map((issue) => ({
        path: ['spec', ...issue.path.map(String)].join('.'),
        message: issue.message,
      }));
      throw new ValidationError(kind, name, issues);
    }
    return result.data === spec ? spec : copyPlain(result.data, `${kind} "${name}" spec (as parsed by its schema)`);
  }

  function checkShape(kind: string, key: Key, metadata: object): void {
    const issues = metadataIssues(metadata);
    if (issues.length > 0) throw new ValidationError(kind, key, issues);
  }

  /** Copies caller data for `kind "key"`, counting it against the resource's size budget. */
  function copyIn<T>(value: T, kind: string, key: Key, what: string, budget: SizeBudget): T {
    try {
      return copyPlain(value, `${kind} "${key}" ${what}`, budget);
    } catch (error) {
      if (error instanceof BudgetExceeded) throw new ResourceTooLargeError(kind, key, maxBytes, error.path);
      throw error;
    }
  }

  /** The JSON size of the parts of `stored` a write keeps as they are. */
  function sizeOf(resource: Resource, skip: ReadonlySet<string>): number {
    const m = resource.metadata;
    let total = 200 + m.name.length + (m.namespace?.length ?? 0);
    const parts: [string, unknown][] = [
      ['labels', m.labels],
      ['annotations', m.annotations],
      ['finalizers', m.finalizers],
      ['ownerReferences', m.ownerReferences],
      ['spec', resource.spec],
      ['status', resource.status],
    ];
    for (const [name, value] of parts) if (!skip.has(name) && value !== undefined) total += JSON.stringify(value).length;
    return total;
  }

  /** Finds the stored resource an update targets; checks its existence and version. */
  function target(resource: Resource): Resource {
    if (!isObject(resource)) throw new InvalidArgumentError('update needs a resource object ({ kind, metadata, spec }).');
    checkKind(resource.kind);
    const key = keyOf({ metadata: checkMetadata(resource.metadata) });
    const stored = kinds.get(resource.kind)?.get(key);
    if (stored === undefined) throw new NotFoundError(resource.kind, key);
    if (resource.metadata.version !== stored.metadata.version) {
      throw new ConflictError(resource.kind, key, resource.metadata.version, stored.metadata.version);
    }
    return stored;
  }

  function registerKind<S>(kind: string, kindOptions: KindOptions<S>): void {
    checkKind(kind);
    schemas.set(kind, kindOptions.schema);
  }
  for (const [kind, kindOptions] of Object.entries(options.kinds ?? {})) registerKind(kind, kindOptions);

  return {
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

    async list<Spec, Status>(kind: string, listOptions: ListOptions = {}): Promise<Resource<Spec, Status>[]> {
      checkKind(kind);
      const { namespace, labels = {} } = listOptions;
      const wanted = Object.entries(labels);
      return sorted(kinds.get(kind)).filter(
        (r) =>
          (namespace === undefined || (r.metadata.namespace ?? '') === namespace) &&
          wanted.every(([label, value]) => hasOwn(r.metadata.labels, label) && r.metadata.labels[label] === value),
      ) as Resource<Spec, Status>[];
    },

    async create<Spec, Status>(kind: string, resource: NewResource<Spec, Status>): Promise<Resource<Spec, Status>> {
      checkKind(kind);
      if (!isObject(resource)) throw new InvalidArgumentError('create needs a resource object ({ metadata, spec }).');
      const { name, namespace } = checkMetadata(resource.metadata);
      const key = keyOf({ metadata: { name, ...(namespace === undefined ? {} : { namespace }) } });
      if (bucket(kind).has(key)) throw new AlreadyExistsError(kind, key);
      const m = resource.metadata;
      checkShape(kind, key, m);
      const budget: SizeBudget = { used: 200 + key.length, limit: maxBytes };
      const before = budget.used;
      const given = copyIn(resource.spec, kind, key, 'spec', budget);
      const parsed = validate(kind, key, given);
      let spec: unknown = given;
      if (parsed !== given) {
        budget.used = before; // count what is stored: the schema's output
        spec = copyIn(parsed, kind, key, 'spec', budget);
      }
      const metadata = {
        labels: copyIn(m.labels ?? {}, kind, key, 'labels', budget),
        annotations: copyIn(m.annotations ?? {}, kind, key, 'annotations', budget),
        finalizers: copyIn(m.finalizers ?? [], kind, key, 'finalizers', budget),
        ownerReferences: copyIn(m.ownerReferences ?? [], kind, key, 'ownerReferences', budget),
      };
      const status = resource.status === undefined ? undefined : copyIn(resource.status, kind, key, 'status', budget);
      revision += 1;
      const created: Resource = deepFreeze({
        kind,
        metadata: {
          name,
          ...(namespace === undefined ? {} : { namespace }),
          version: String(revision),
          revision,
          generation: 1,
          uid: newUid(),
          creationTimestamp: now(),
          ...metadata,
        },
        spec: spec as Spec,
        ...(status === undefined ? {} : { status }),
      });
      return commit('added', created) as Resource<Spec, Status>;
    },

    async update<Spec, Status>(resource: Resource<Spec, Status>): Promise<Resource<Spec, Status>> {
      const stored = target(resource);
      const { kind, metadata: old } = stored;
      const key = keyOf(stored);
      const m = resource.metadata;
      checkShape(kind, key, m);
      const given = new Set<string>();
      const budget: SizeBudget = { used: 0, limit: maxBytes };
      // Each field: the stored value when omitted or equal (structural sharing), else a copy.
      const keep = <T>(value: T | undefined, current: T, what: string): T => {
        if (value === undefined || equal(value, current)) return current;
        given.add(what);
        return copyIn(value, kind, key, what, budget);
      };
      const finalizers = keep(m.finalizers, old.finalizers, 'finalizers');
      const deleting = old.deletionTimestamp !== undefined;
      const added = finalizers.filter((f) => !old.finalizers.includes(f));
      if (deleting && added.length > 0) {
        throw new InvalidArgumentError(
          `${kind} "${key}" is being deleted, so finalizer(s) ${added.join(', ')} cannot be added: ` +
            'only remove finalizers now, and create the resource again once it is gone.',
        );
      }
      let spec = keep(resource.spec as unknown, stored.spec, 'spec');
      if (spec !== stored.spec) {
        const parsed = validate(kind, key, spec);
        spec = equal(parsed, stored.spec) ? stored.spec : parsed;
      }
      const metadata = {
        labels: keep(m.labels, old.labels, 'labels'),
        annotations: keep(m.annotations, old.annotations, 'annotations'),
        finalizers,
        ownerReferences: keep(m.ownerReferences, old.ownerReferences, 'ownerReferences'),
      };
      const changed = spec !== stored.spec || Object.entries(metadata).some(([field, v]) => v !== old[field as keyof Metadata]);
      if (!changed) return stored as Resource<Spec, Status>;
      if (budget.used + sizeOf(stored, given) > maxBytes) throw new ResourceTooLargeError(kind, key, maxBytes, 'the whole resource');
      const generation = old.generation + (spec === stored.spec ? 0 : 1);
      const next = rewrite(stored, { ...metadata, generation }, spec, stored.status);
      return (deleting && finalizers.length === 0 ? commit('deleted', next) : commit('modified', next, stored)) as Resource<Spec, Status>;
    },

    async updateStatus<Spec, Status>(resource: Resource<Spec, Status>): Promise<Resource<Spec, Status>> {
      const stored = target(resource);
      if (equal(resource.status, stored.status)) return stored as Resource<Spec, Status>;
      const key = keyOf(stored);
      const budget: SizeBudget = { used: sizeOf(stored, new Set(['status'])), limit: maxBytes };
      const status = copyIn(resource.status, stored.kind, key, 'status', budget);
      return commit('modified', rewrite(stored, {}, stored.spec, status), stored) as Resource<Spec, Status>;
    },

    async delete(kind: string, key: Key): Promise<Resource | undefined> {
      checkKind(kind);
      checkKey(key);
      const stored = kinds.get(kind)?.get(key);
      if (stored === undefined) throw new NotFoundError(kind, key);
      if (stored.metadata.finalizers.length === 0) {
        commit('deleted', rewrite(stored, {}, stored.spec, stored.status));
        return undefined;
      }
      if (stored.metadata.deletionTimestamp !== undefined) return stored;
      return commit('modified', rewrite(stored, { deletionTimestamp: now() }, stored.spec, stored.status), stored);
    },

    watch<Spec, Status>(kind: string, watchOptions: WatchOptions = {}): Observable<WatchEvent<Spec, Status>> {
      checkKind(kind);
      const since = watchOptions.sinceRevision;
      if (since !== undefined && (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0)) {
        throw new InvalidArgumentError(`watch: sinceRevision must be a revision (an integer ≥ 0), got ${show(since)}`);
      }
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
        const watchers = listeners.get(kind) ?? new Set<Listener>();
        listeners.set(kind, watchers.add(listener));
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
        return () => void watchers.delete(listener);
      });
    },
  };
}

function sorted(resources: Map<Key, Resource> | undefined): Resource[] {
  return [...(resources ?? [])].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
}

const hasOwn = (value: object, key: string): boolean => Object.prototype.hasOwnProperty.call(value, key);

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
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

function checkKind(kind: unknown): asserts kind is string {
  if (typeof kind !== 'string' || kind === '') {
    throw new InvalidArgumentError(`kind must be a non-empty string such as "Post" (got ${show(kind)}).`);
  }
}

function checkKey(key: unknown): asserts key is Key {
  if (typeof key !== 'string' || key === '') {
    throw new InvalidArgumentError(`key must be "name" or "namespace/name" (got ${show(key)}).`);
  }
}

/** Checks name and namespace; an empty namespace means none. */
function checkMetadata(metadata: unknown): { name: string; namespace?: string } {
  if (!isObject(metadata)) throw new InvalidArgumentError('metadata is missing: pass { metadata: { name }, spec }.');
  const { name, namespace } = metadata as { name?: unknown; namespace?: unknown };
  if (typeof name !== 'string' || name === '' || name.includes('/')) {
    throw new InvalidArgumentError(
      `metadata.name must be a non-empty string without "/" (got ${show(name)}); ` +
        'put a namespace in metadata.namespace, not in the name.',
    );
  }
  if (namespace === undefined || namespace === '') return { name };
  if (typeof namespace !== 'string' || namespace.includes('/')) {
    throw new InvalidArgumentError(`metadata.namespace must be a string without "/" (got ${show(namespace)}).`);
  }
  return { name, namespace };
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * A fresh random uid as one flat string. Node builds `crypto.randomUUID()` by concatenation, and V8
 * keeps the result as a rope of ~20 pieces (~500 bytes per uid, held as long as the resource);
 * decoding its bytes again gives one 36-character string (~70 bytes). BENCHMARKS.md #12.
 */
function newUid(): string {
  return utf8Decoder.decode(utf8Encoder.encode(globalThis.crypto.randomUUID()));
}
