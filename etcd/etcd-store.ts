/**
 * The `Store` on etcd v3: {@link createEtcdStore}.
 *
 * @module
 */
import { asyncScheduler } from 'rxjs';
import type { Observable, SchedulerLike } from 'rxjs';
import { CompareResult, CompareTarget } from 'etcd3';
import type { Etcd3, ICompare, IKeyValue, ITxnRequest, ITxnResponse } from 'etcd3';
import { z } from 'zod';
import type { ZodType } from 'zod';
import { checkOptions, int, schedulerLike, withMethods } from '../src/check-options.js';
import type { Fence } from '../src/coordinator.js';
import { AlreadyExistsError, ConflictError, FencedError, InvalidArgumentError, MalformedResourceError, NotFoundError, ResourceTooLargeError } from '../src/errors.js';
import { isoTime } from '../src/iso-time.js';
import { keyOf } from '../src/key.js';
import { noopLogger, safeLogger } from '../src/ports.js';
import type { Logger } from '../src/ports.js';
import { defaultMaxResourceBytes } from '../src/store.js';
import type { KindOptions } from '../src/store.js';
import {
  checkKey,
  checkKind,
  checkKindOptions,
  checkSinceRevision,
  checkVersion,
  createdResource,
  deletedResource,
  listFilter,
  matchesList,
  newResourceKey,
  statusUpdated,
  targetKey,
  updatedResource,
} from '../src/store-rules.js';
import type { WriteRules, Written } from '../src/store-rules.js';
import type { Key, ListOptions, NewResource, Resource, Store, WatchEvent, WatchOptions } from '../src/types.js';
import { deadline, etcdCall, isTooLarge } from './etcd-call.js';
import { decodeResource, encodeResource, resourcePath, stamp } from './etcd-layout.js';
import { listKind } from './list-kind.js';
import { watchKind } from './watch-kind.js';
import { WELL_FORMED_MESSAGE, isWellFormed } from '../src/well-formed.js';

/**
 * The etcd store's default largest resource: etcd's default request limit (1.5 MiB) less 8 KiB for
 * the key and the transaction around the value.
 */
export const defaultEtcdMaxResourceBytes = defaultMaxResourceBytes - 8192;

/** Options of {@link createEtcdStore}. */
export interface EtcdStoreOptions {
  /** An `etcd3` client (`new Etcd3({ hosts })`); the store never closes it. */
  readonly client: Etcd3;
  /** Key prefix of every resource, e.g. `/my-app`: resources live at `<prefix>/<kind>/<name>`. */
  readonly prefix: string;
  /** Kinds to register up front, e.g. with a spec schema (as `registerKind`). */
  readonly kinds?: Readonly<Record<string, KindOptions<unknown>>>;
  /**
   * Largest resource accepted, in bytes of its JSON. Default 1.5 MiB less 8 KiB
   * ({@link defaultEtcdMaxResourceBytes}); raising it needs etcd's `--max-request-bytes` raised too.
   */
  readonly maxResourceBytes?: number;
  /** Deadline of every etcd request, in ms (retries by etcd3 included). Default 5000. */
  readonly callTimeout?: number;
  /** Where watch re-lists and skipped values are logged (pino-compatible). Default: silent. */
  readonly logger?: Logger;
  /** Clock for timestamps and deadlines, timers of watch retries. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/** The etcd {@link Store}, with kind registration and fenced views. */
export interface EtcdStore extends Store {
  /** Registers (or replaces) the options of a kind, e.g. its spec schema. */
  registerKind<S>(kind: string, options: KindOptions<S>): void;
  /**
   * A view whose writes are applied only while `fence` (from `etcdCoordinator` on the same etcd) is
   * current: each write is one transaction that also compares the fence's lock key's create revision
   * with its token. A deposed owner's write fails with `FencedError` and writes nothing.
   */
  fenced(fence: Fence): Store;
  /** The key prefix, without a trailing `/`. */
  readonly prefix: string;
}

const optionsSchema = z.strictObject({
  client: withMethods<Etcd3>('an etcd3 client: new Etcd3({ hosts: "127.0.0.1:2379" })', 'if', 'get', 'getAll', 'watch'),
  prefix: z
    .string({ error: 'must be a key prefix such as "/my-app"' })
    .refine((p) => p.replace(/\/+$/, '') !== '', 'must be a key prefix such as "/my-app"')
    .refine(isWellFormed, WELL_FORMED_MESSAGE),
  kinds: z.record(z.string(), z.object({ schema: z.custom<ZodType<unknown>>().optional() })).optional(),
  maxResourceBytes: int(64, 2 ** 31 - 1).optional(),
  callTimeout: int(1, 2 ** 31 - 1).optional(),
  logger: withMethods<Logger>('a pino-compatible logger', 'debug', 'info', 'warn', 'error', 'child').optional(),
  scheduler: schedulerLike<SchedulerLike>().optional(),
});

/** Resources kept by version to spare the read before an update (a CAS on `mod_revision` still guards it). */
const CACHE_SIZE = 4096;
/** A `delete` is a read and a compare-and-set; it tries again this often when the resource changes meanwhile. */
const DELETE_ATTEMPTS = 5;

/**
 * Creates a {@link Store} on etcd v3 through the `etcd3` client: the desired state of several
 * replicas on several machines.
 *
 * Use it with `defineLoop({ store, coordinator: etcdCoordinator(...) })` so each replica reconciles
 * its share of the keys and every write of a pass is fenced. It behaves like the memory store (same
 * checks, errors, generations, no-op writes, finalizers, schema output stored, watch contract).
 *
 * ## Example
 * ```ts
 * import { Etcd3 } from 'etcd3';
 * import { createEtcdStore } from 'rx-reconcile/etcd';
 *
 * const client = new Etcd3({ hosts: '127.0.0.1:2379' });
 * const store = createEtcdStore({ client, prefix: '/todo-app' });
 * await store.create('Todo', { metadata: { name: 'milk' }, spec: { title: 'buy milk' } });
 * ```
 *
 * ## Guarantees
 * - A resource is JSON at `<prefix>/<kind>/<name>` (`<prefix>/<kind>/<namespace>/<name>`);
 *   `metadata.revision` is the key's `mod_revision` and `version` that number as a string.
 * - `create` is a transaction that writes only if the key is absent; `update`, `updateStatus` and
 *   `delete` are compare-and-set on `mod_revision`, so no write is lost and none applies twice, even
 *   when etcd3 retries a request whose answer was lost.
 * - Every request has a deadline (`callTimeout`); a request that misses it fails with a
 *   `TransientError` and is retried by the loop.
 * - The watch follows `watchKind`: resume after a lost connection without gaps, a logged re-list
 *   when etcd cancels it (compaction), `CompactedError` for a `sinceRevision` etcd no longer has; a
 *   watch far behind catches up in answers the client accepts (or re-lists, logged), never stalls.
 * - A value under the prefix that is not a resource of its key (written by another program: not
 *   JSON, another kind or name, a lone surrogate in a name, metadata of the wrong shape) is skipped
 *   by `list` and `watch` and logged (`Malformed resource skipped`, with the `MalformedResourceError`
 *   naming the etcd key and its problems); `get` rejects with that error.
 *
 * ## Caveats
 * - Revisions are etcd's: store-wide and increasing, but with gaps (other keys' writes count too).
 * - A `deleted` event carries the resource's last stored state (without finalizers); other fields
 *   changed by the update that removed the last finalizer are not in it.
 * - etcd3's default fault handling opens a circuit breaker for 5 s after three failed requests to a
 *   host; pass `faultHandling` to your client if that is too long for you.
 */
export function createEtcdStore(options: EtcdStoreOptions): EtcdStore {
  checkOptions('createEtcdStore', optionsSchema, options);
  const { client } = options;
  const prefix = options.prefix.replace(/\/+$/, '');
  const scheduler = options.scheduler ?? asyncScheduler;
  const logger = safeLogger(options.logger ?? noopLogger);
  const timeoutMs = options.callTimeout ?? 5000;
  const maxBytes = options.maxResourceBytes ?? defaultEtcdMaxResourceBytes;
  const schemas = new Map<string, ZodType<unknown> | undefined>();
  const rules: WriteRules = {
    schemaOf: (kind) => schemas.get(kind),
    maxBytes,
    now: () => isoTime(scheduler.now()),
  };
  const listContext = { client, scheduler, timeoutMs, logger };
  /** Recently read or written resources by etcd key, oldest first. */
  const cache = new Map<string, Resource>();

  const remember = (path: string, resource: Resource | undefined): void => {
    cache.delete(path);
    if (resource === undefined) return;
    cache.set(path, resource);
    if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  };

  async function read(kind: string, key: Key, path: string): Promise<Resource | undefined> {
    const response = await etcdCall(`get ${path}`, timeoutMs, () => client.get(path).options(deadline(scheduler, timeoutMs)).exec());
    const kv = response.kvs[0];
    const resource = kv === undefined ? undefined : decodeResource(kv, prefix, kind);
    if (resource instanceof MalformedResourceError) {
      remember(path, undefined);
      throw resource;
    }
    remember(path, resource);
    return resource;
  }

  /**
   * One write as one transaction: the key's `mod_revision` must be `expected` (0: the key is absent)
   * and, with a fence, the fence's lock key must still have been created at its token. Resolves to
   * the revision of the write; a failed compare becomes `FencedError`, `AlreadyExistsError`,
   * `NotFoundError` or `ConflictError`, in that order.
   */
  async function transact(kind: string, key: Key, path: string, expected: number, value: string | undefined, fence: Fence | undefined): Promise<number> {
    // One raw transaction (etcd3's builder resolves a Promise per part: a third of the client's CPU).
    const target = Buffer.from(path);
    const compare: ICompare[] = [
      expected === 0
        ? { key: target, result: CompareResult.Equal, target: CompareTarget.Create, create_revision: 0 }
        : { key: target, result: CompareResult.Equal, target: CompareTarget.Mod, mod_revision: expected },
    ];
    if (fence !== undefined) compare.push({ key: Buffer.from(fence.lock), result: CompareResult.Equal, target: CompareTarget.Create, create_revision: fence.token });
    const request: ITxnRequest = {
      compare,
      success: [value === undefined ? { request_delete_range: { key: target } } : { request_put: { key: target, value: Buffer.from(value) } }],
    };
    let response: ITxnResponse;
    try {
      response = await etcdCall(`write ${path}`, timeoutMs, () => client.kv.txn(request, deadline(scheduler, timeoutMs)));
    } catch (error) {
      if (isTooLarge((error as { cause?: unknown }).cause)) throw new ResourceTooLargeError(kind, key, maxBytes, 'the request etcd received');
      throw error;
    }
    if (response.succeeded) return Number(response.header.revision);
    // Why the compare failed: read both keys at the revision of the failed transaction (rare path,
    // kept out of the transaction so a successful write carries no read).
    cache.delete(path);
    const at = response.header.revision;
    const [current, lock] = await Promise.all([
      readKey(path, at),
      fence === undefined ? Promise.resolve(undefined) : readKey(fence.lock, at),
    ]);
    if (fence !== undefined && (lock === undefined || Number(lock.create_revision) !== fence.token)) throw new FencedError(key, String(fence.token));
    if (expected === 0) throw new AlreadyExistsError(kind, key);
    if (current === undefined) throw new NotFoundError(kind, key);
    throw new ConflictError(kind, key, String(expected), current.mod_revision);
  }

  async function readKey(path: string, revision: string): Promise<IKeyValue | undefined> {
    const response = await etcdCall(`get ${path}`, timeoutMs, () => client.get(path).revision(revision).options(deadline(scheduler, timeoutMs)).exec());
    return response.kvs[0];
  }

  /**
   * Commits what the write rules built for `stored` (stamped with a placeholder revision), or nothing
   * when they built nothing; resolves to what the store returns, stamped with the write's revision.
   */
  async function commit(stored: Resource, path: string, written: Written | undefined, fence: Fence | undefined): Promise<Resource> {
    if (written === undefined) return stored;
    const key = keyOf(stored);
    const value = written.type === 'deleted' ? undefined : encodeResource(written.object);
    if (value !== undefined) checkBytes(stored.kind, key, value);
    const revision = await transact(stored.kind, key, path, stored.metadata.revision, value, fence);
    const result = stamp(written.object, revision);
    remember(path, written.type === 'deleted' ? undefined : result);
    return result;
  }

  function checkBytes(kind: string, key: Key, value: string): void {
    if (Buffer.byteLength(value, 'utf8') > maxBytes) throw new ResourceTooLargeError(kind, key, maxBytes, 'the whole resource (bytes of JSON)');
  }

  /** The stored resource a versioned write targets: the cached copy when it is that version, else etcd's. */
  async function target(resource: Resource): Promise<{ stored: Resource; path: string }> {
    const { kind, key } = targetKey(resource);
    const path = resourcePath(prefix, kind, key);
    const version = (resource.metadata as { version?: unknown } | undefined)?.version;
    const cached = cache.get(path);
    const stored = checkVersion(kind, key, cached !== undefined && cached.metadata.version === version ? cached : await read(kind, key, path), version);
    return { stored, path };
  }

  function writer(fence: Fence | undefined): Pick<Store, 'create' | 'update' | 'updateStatus' | 'delete'> {
    return {
      async create<Spec, Status>(kind: string, resource: NewResource<Spec, Status>): Promise<Resource<Spec, Status>> {
        const { key } = newResourceKey(kind, resource);
        const planned = createdResource(rules, kind, resource as NewResource, 0);
        const path = resourcePath(prefix, kind, key);
        const value = encodeResource(planned);
        checkBytes(kind, key, value);
        const revision = await transact(kind, key, path, 0, value, fence);
        const created = stamp(planned, revision);
        remember(path, created);
        return created as Resource<Spec, Status>;
      },
      async update<Spec, Status>(resource: Resource<Spec, Status>): Promise<Resource<Spec, Status>> {
        const { stored, path } = await target(resource as Resource);
        return (await commit(stored, path, updatedResource(rules, stored, resource as Resource, 0), fence)) as Resource<Spec, Status>;
      },
      async updateStatus<Spec, Status>(resource: Resource<Spec, Status>): Promise<Resource<Spec, Status>> {
        const { stored, path } = await target(resource as Resource);
        const object = statusUpdated(rules, stored, resource as Resource, 0);
        return (await commit(stored, path, object === undefined ? undefined : { type: 'modified', object }, fence)) as Resource<Spec, Status>;
      },
      async delete(kind: string, key: Key): Promise<Resource | undefined> {
        checkKind(kind);
        checkKey(key);
        const path = resourcePath(prefix, kind, key);
        for (let attempt = 1; ; attempt++) {
          const stored = await read(kind, key, path);
          if (stored === undefined) throw new NotFoundError(kind, key);
          const written = deletedResource(rules, stored, 0);
          try {
            const result = await commit(stored, path, written, fence);
            return written?.type === 'deleted' ? undefined : result;
          } catch (error) {
            // Changed between the read and the write: read again (the caller gave no version).
            if (!(error instanceof ConflictError) || attempt >= DELETE_ATTEMPTS) throw error;
          }
        }
      },
    };
  }

  const reads: Pick<Store, 'get' | 'list' | 'watch'> = {
    async get<Spec, Status>(kind: string, key: Key): Promise<Resource<Spec, Status> | undefined> {
      checkKind(kind);
      checkKey(key);
      return (await read(kind, key, resourcePath(prefix, kind, key))) as Resource<Spec, Status> | undefined;
    },
    async list<Spec, Status>(kind: string, listOptions?: ListOptions): Promise<Resource<Spec, Status>[]> {
      checkKind(kind);
      const { namespace, wanted } = listFilter(listOptions);
      const { entries } = await listKind(listContext, prefix, kind);
      const resources: Resource[] = [];
      for (const { resource } of entries) if (matchesList(resource, namespace, wanted)) resources.push(resource);
      return resources as Resource<Spec, Status>[];
    },
    watch<Spec, Status>(kind: string, watchOptions: WatchOptions = {}): Observable<WatchEvent<Spec, Status>> {
      checkKind(kind);
      checkSinceRevision(watchOptions.sinceRevision);
      const context = { ...listContext, kind, storePrefix: prefix };
      return watchKind(context, watchOptions.sinceRevision) as Observable<WatchEvent<Spec, Status>>;
    },
  };

  function registerKind<S>(kind: string, kindOptions: KindOptions<S>): void {
    checkKind(kind);
    schemas.set(kind, checkKindOptions(kind, kindOptions));
  }
  for (const [kind, kindOptions] of Object.entries(options.kinds ?? {})) registerKind(kind, kindOptions);

  return {
    ...reads,
    ...writer(undefined),
    registerKind,
    prefix,
    fenced(fence: Fence): Store {
      checkFence(fence);
      return { ...reads, ...writer(fence) };
    },
  };
}

function checkFence(fence: Fence): void {
  if (typeof fence !== 'object' || fence === null || typeof fence.lock !== 'string' || !Number.isSafeInteger(fence.token) || fence.token <= 0) {
    throw new InvalidArgumentError('fenced(fence) needs a fence from a coordinator ({ lock, token, signal }), e.g. coordinator.fence(key).');
  }
}
