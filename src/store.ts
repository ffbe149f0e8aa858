/**
 * The embedded in-memory desired-state store: {@link createMemoryStore}.
 *
 * It behaves like a remote engine: every method returns a Promise, every object handed out is a
 * deep-frozen snapshot, and writes are compare-and-set on an opaque `version` taken from one
 * store-wide counter. Each write is done synchronously before its Promise resolves, and watchers are
 * told inside the write, so watch events arrive in write order.
 *
 * Choices worth knowing:
 * - Specs are checked with the kind's zod schema, but the caller's spec is stored as given, not the
 *   schema's parsed output: unknown-key stripping, defaults or transforms never change data behind
 *   the caller's back. `update` checks the spec only when it changed, so a spec stored before a
 *   stricter schema was registered never blocks a label or finalizer write.
 * - Removing a resource is a write too: the `deleted` event's object carries a fresh version, so the
 *   versions of a watch stream (after its initial list) strictly increase.
 * - Values must be plain data (structured-cloneable); inputs are copied, never kept or mutated.
 * - `update` keeps stored labels, annotations, finalizers or owner references the caller omits.
 *
 * @module
 */
import { Observable, asyncScheduler } from 'rxjs';
import type { SchedulerLike } from 'rxjs';
import type { ZodType } from 'zod';
import { deepEqual as equal } from './equal.js';
import { AlreadyExistsError, ConflictError, InvalidArgumentError, NotFoundError, ValidationError } from './errors.js';
import { keyOf } from './key.js';
import type { Key, ListOptions, Metadata, NewResource, Resource, Store, WatchEvent } from './types.js';

/** Per-kind options: an optional zod schema that every written `spec` must pass. */
export interface KindOptions<S> {
  /** Checked with `safeParse` on create and on every spec change; failures store nothing. */
  readonly schema?: ZodType<S>;
}

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** Kinds to register up front (same as calling `registerKind` for each). */
  readonly kinds?: Readonly<Record<string, KindOptions<unknown>>>;
  /** Clock for `creationTimestamp` / `deletionTimestamp` (only `now()` is used). Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/** The embedded {@link Store}, plus kind registration and a resource count. */
export interface MemoryStore extends Store {
  /** Registers (or replaces) the options of a kind, e.g. its spec schema. */
  registerKind<S>(kind: string, options: KindOptions<S>): void;
  /** Total number of stored resources, all kinds together. */
  readonly size: number;
}

type Listener = (event: WatchEvent) => void;
type Writable<T> = { -readonly [P in keyof T]: T[P] };

/** Creates an empty in-memory store. Kinds need no registration unless they have a schema. */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const scheduler = options.scheduler ?? asyncScheduler;
  const schemas = new Map<string, ZodType<unknown> | undefined>();
  const kinds = new Map<string, Map<Key, Resource>>();
  const listeners = new Map<string, Set<Listener>>();
  const outbox: (() => void)[] = [];
  let delivering = false;
  let revision = 0;
  let size = 0;

  const now = (): string => new Date(scheduler.now()).toISOString();
  const nextVersion = (): string => String(++revision);
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

  /** Stores (or removes) a built snapshot and tells the kind's current watchers. */
  function commit(type: WatchEvent['type'], object: Resource): Resource {
    const key = keyOf(object);
    const resources = bucket(object.kind);
    if (type === 'deleted') size -= resources.delete(key) ? 1 : 0;
    else {
      if (!resources.has(key)) size += 1;
      resources.set(key, object);
    }
    const targets = [...(listeners.get(object.kind) ?? [])];
    if (targets.length > 0) {
      const event: WatchEvent = Object.freeze({ type, object, initial: false });
      deliver(() => targets.forEach((listener) => listener(event)));
    }
    return object;
  }

  /** A new frozen snapshot of `stored` with a fresh version. */
  function rewrite(stored: Resource, metadata: Partial<Writable<Metadata>>, spec: unknown, status: unknown): Resource {
    return deepFreeze({
      kind: stored.kind,
      metadata: { ...stored.metadata, ...metadata, version: nextVersion() },
      spec,
      ...(status === undefined ? {} : { status }),
    });
  }

  function validate(kind: string, name: string, spec: unknown): void {
    const result = schemas.get(kind)?.safeParse(spec);
    if (result === undefined || result.success) return;
    const issues = result.error.issues.map((issue) => ({
      path: ['spec', ...issue.path.map(String)].join('.'),
      message: issue.message,
    }));
    throw new ValidationError(kind, name, issues);
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

    async get<Spec, Status>(kind: string, key: Key): Promise<Resource<Spec, Status> | undefined> {
      checkKind(kind);
      checkKey(key);
      return kinds.get(kind)?.get(key) as Resource<Spec, Status> | undefined;
    },

    async list<Spec, Status>(kind: string, listOptions: ListOptions = {}): Promise<Resource<Spec, Status>[]> {
      checkKind(kind);
      const { namespace, labels = {} } = listOptions;
      return sorted(kinds.get(kind)).filter(
        (r) =>
          (namespace === undefined || (r.metadata.namespace ?? '') === namespace) &&
          Object.entries(labels).every(([label, value]) => r.metadata.labels[label] === value),
      ) as Resource<Spec, Status>[];
    },

    async create<Spec, Status>(kind: string, resource: NewResource<Spec, Status>): Promise<Resource<Spec, Status>> {
      checkKind(kind);
      if (!isObject(resource)) throw new InvalidArgumentError('create needs a resource object ({ metadata, spec }).');
      const { name, namespace } = checkMetadata(resource.metadata);
      const key = keyOf({ metadata: { name, ...(namespace === undefined ? {} : { namespace }) } });
      if (bucket(kind).has(key)) throw new AlreadyExistsError(kind, key);
      const spec = copy(resource.spec, `${kind} "${key}" spec`);
      validate(kind, key, spec);
      const m = resource.metadata;
      const created = deepFreeze({
        kind,
        metadata: {
          name,
          ...(namespace === undefined ? {} : { namespace }),
          version: nextVersion(),
          generation: 1,
          uid: newUid(),
          creationTimestamp: now(),
          labels: copy(m.labels ?? {}, `${kind} "${key}" labels`),
          annotations: copy(m.annotations ?? {}, `${kind} "${key}" annotations`),
          finalizers: copy(m.finalizers ?? [], `${kind} "${key}" finalizers`),
          ownerReferences: copy(m.ownerReferences ?? [], `${kind} "${key}" ownerReferences`),
        },
        spec,
        ...(resource.status === undefined ? {} : { status: copy(resource.status, `${kind} "${key}" status`) }),
      });
      return commit('added', created) as Resource<Spec, Status>;
    },

    async update<Spec, Status>(resource: Resource<Spec, Status>): Promise<Resource<Spec, Status>> {
      const stored = target(resource);
      const { kind, metadata: old } = stored;
      const key = keyOf(stored);
      const m = resource.metadata;
      // Each field: the stored value when omitted or equal (structural sharing), else a copy.
      const keep = <T>(given: T | undefined, current: T, what: string): T =>
        given === undefined || equal(given, current) ? current : copy(given, `${kind} "${key}" ${what}`);
      const finalizers = keep(m.finalizers, old.finalizers, 'finalizers');
      const deleting = old.deletionTimestamp !== undefined;
      const added = finalizers.filter((f) => !old.finalizers.includes(f));
      if (deleting && added.length > 0) {
        throw new InvalidArgumentError(
          `${kind} "${key}" is being deleted, so finalizer(s) ${added.join(', ')} cannot be added: ` +
            'only remove finalizers now, and create the resource again once it is gone.',
        );
      }
      const spec = keep(resource.spec as unknown, stored.spec, 'spec');
      if (spec !== stored.spec) validate(kind, key, spec);
      const metadata = {
        labels: keep(m.labels, old.labels, 'labels'),
        annotations: keep(m.annotations, old.annotations, 'annotations'),
        finalizers,
        ownerReferences: keep(m.ownerReferences, old.ownerReferences, 'ownerReferences'),
      };
      const changed = spec !== stored.spec || Object.entries(metadata).some(([field, v]) => v !== old[field as keyof Metadata]);
      if (!changed) return stored as Resource<Spec, Status>;
      const generation = old.generation + (spec === stored.spec ? 0 : 1);
      const next = rewrite(stored, { ...metadata, generation }, spec, stored.status);
      return commit(deleting && finalizers.length === 0 ? 'deleted' : 'modified', next) as Resource<Spec, Status>;
    },

    async updateStatus<Spec, Status>(resource: Resource<Spec, Status>): Promise<Resource<Spec, Status>> {
      const stored = target(resource);
      if (equal(resource.status, stored.status)) return stored as Resource<Spec, Status>;
      const status = copy(resource.status, `${stored.kind} "${keyOf(stored)}" status`);
      return commit('modified', rewrite(stored, {}, stored.spec, status)) as Resource<Spec, Status>;
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
      return commit('modified', rewrite(stored, { deletionTimestamp: now() }, stored.spec, stored.status));
    },

    watch<Spec, Status>(kind: string): Observable<WatchEvent<Spec, Status>> {
      checkKind(kind);
      return new Observable<WatchEvent<Spec, Status>>((subscriber) => {
        // Snapshot and listener in the same synchronous step: nothing lost, nothing twice.
        const listener: Listener = (event) => subscriber.next(event as WatchEvent<Spec, Status>);
        let initial: Resource[] | undefined = sorted(kinds.get(kind));
        const watchers = listeners.get(kind) ?? new Set<Listener>();
        listeners.set(kind, watchers.add(listener));
        deliver(() => {
          const list = initial ?? [];
          // The list must not outlive its replay: the listener's closure would keep every replaced
          // snapshot reachable for as long as the watch lives.
          initial = undefined;
          for (const object of list) {
            if (subscriber.closed) return;
            listener(Object.freeze({ type: 'added' as const, object, initial: true }));
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

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
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

/** A deep copy of caller data, so the store never keeps or mutates the caller's objects. */
/**
 * Copies plain data (objects, arrays, strings, numbers, booleans, null) into fresh objects, so the
 * store never keeps a caller's object. Four times faster than `structuredClone` here and about a
 * third smaller on the heap (BENCHMARKS.md #12). `undefined` properties are dropped, as in JSON.
 * Anything else (functions, symbols, bigints, Dates, Maps, class instances) is refused with an
 * error naming the path, so stored resources are always JSON data.
 */
function copy<T>(value: T, what: string): T {
  return plainCopy(value, what) as T;
}

function plainCopy(value: unknown, path: string): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw notPlain(path, String(value));
      return value;
    case 'object':
      break;
    default:
      throw notPlain(path, `a ${typeof value}`);
  }
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = plainCopy(value[i], `${path}[${i}]`);
    return out;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'an object with a prototype';
    throw notPlain(path, `a ${name}`);
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    if (child !== undefined) out[key] = plainCopy(child, `${path}.${key}`);
  }
  return out;
}

function notPlain(path: string, found: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `${path} must be plain JSON data (objects, arrays, strings, finite numbers, booleans, null), but holds ${found}: ` +
      'store a string (e.g. an ISO date) or a plain object instead.',
  );
}

/** Freezes a value and everything reachable from it (skips already-frozen parts). */
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

function deepFreeze<T>(value: T): T {
  if (isObject(value) && !Object.isFrozen(value) && !ArrayBuffer.isView(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
