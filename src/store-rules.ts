/**
 * The write rules every store of this library applies, whatever keeps the data: what a `create`,
 * `update`, `updateStatus` or `delete` turns a stored resource into.
 *
 * The memory store and the SQLite store (`rx-reconcile/sqlite`) both build their snapshots here, so
 * they agree on every rule: generation bumps on spec changes only, a write that changes nothing is
 * no write, finalizers gate removal, the kind's schema output is what is kept, caller data is copied
 * and measured (`copyPlain`), metadata of the wrong shape is a `ValidationError`, an oversized
 * resource a `ResourceTooLargeError`. The functions are pure apart from reading the clock and
 * drawing uids: they build deep-frozen snapshots stamped with the revision they are given, and the
 * store decides whether to commit them.
 *
 * @module
 */
import type { ZodType } from 'zod';
import { deepEqual as equal } from './equal.js';
import { ConflictError, InvalidArgumentError, NotFoundError, ResourceTooLargeError, ValidationError } from './errors.js';
import { keyOf } from './key.js';
import { metadataIssues } from './metadata-schema.js';
import { BudgetExceeded, copyPlain, deepFreeze } from './plain-data.js';
import type { SizeBudget } from './plain-data.js';
import { loneSurrogateAt } from './well-formed.js';
import type { Key, Metadata, NewResource, Resource } from './types.js';

/** What a store needs to apply the rules: its size limit, the kinds' schemas and a clock. */
export interface WriteRules {
  /** Largest resource accepted, in characters of its JSON. */
  readonly maxBytes: number;
  /** The spec schema registered for `kind`, if any. */
  schemaOf(kind: string): ZodType<unknown> | undefined;
  /** The current time as an ISO string (for `creationTimestamp` and `deletionTimestamp`). */
  now(): string;
  /** The uid of the resource created at `revision`. Default {@link newUid}. */
  readonly uid?: ((revision: number) => string) | undefined;
}

/** The empty labels or annotations of a resource created without them (frozen, shared). */
const NO_ENTRIES: Readonly<Record<string, string>> = Object.freeze({});
/** The empty finalizers or owner references of a resource created without them (frozen, shared). */
const NO_ITEMS: readonly never[] = Object.freeze([]);

/** A write that changes something: the new snapshot and the watch event type it makes. */
export interface Written {
  readonly type: 'added' | 'modified' | 'deleted';
  /** The snapshot after the write; for `deleted`, the last state with the removal's revision. */
  readonly object: Resource;
}

type Writable<T> = { -readonly [P in keyof T]: T[P] };

/** Checks the name and namespace of a new resource; returns its key. */
export function newResourceKey(kind: unknown, resource: unknown): { kind: string; key: Key; name: string; namespace?: string } {
  checkKind(kind);
  if (!isObject(resource)) throw new InvalidArgumentError('create needs a resource object ({ metadata, spec }).');
  const id = checkMetadata((resource as { metadata?: unknown }).metadata);
  return { kind, key: keyOf({ metadata: id }), ...id };
}

/** Checks the identity of the resource an update targets; returns its kind and key. */
export function targetKey(resource: unknown): { kind: string; key: Key } {
  if (!isObject(resource)) throw new InvalidArgumentError('update needs a resource object ({ kind, metadata, spec }).');
  const { kind, metadata } = resource as { kind?: unknown; metadata?: unknown };
  checkKind(kind);
  return { kind, key: keyOf({ metadata: checkMetadata(metadata) }) };
}

/** The stored resource an update or status write may replace: it exists and has the caller's version. */
export function checkVersion(kind: string, key: Key, stored: Resource | undefined, version: unknown): Resource {
  if (stored === undefined) throw new NotFoundError(kind, key);
  if (version !== stored.metadata.version) {
    throw new ConflictError(kind, key, typeof version === 'string' ? version : String(version), stored.metadata.version);
  }
  return stored;
}

/**
 * The resource a `create` stores, stamped with `revision` (the caller checked the key is free).
 * Throws `ValidationError`, `InvalidArgumentError` or `ResourceTooLargeError`; builds nothing then.
 */
export function createdResource(rules: WriteRules, kind: string, resource: NewResource, revision: number): Resource {
  const { key, name, namespace } = newResourceKey(kind, resource);
  const m = resource.metadata;
  checkShape(kind, key, m);
  const budget: SizeBudget = { used: 200 + key.length, limit: rules.maxBytes };
  const before = budget.used;
  const given = copyIn(rules, resource.spec, kind, key, 'spec', budget);
  const parsed = validate(rules, kind, key, given);
  let spec: unknown = given;
  if (parsed !== given) {
    budget.used = before; // count what is stored: the schema's output
    spec = copyIn(rules, parsed, kind, key, 'spec', budget);
  }
  // An omitted list is the one shared frozen empty list: most resources have no annotations,
  // finalizers or owners, and a store of many resources should not hold four empty objects for each.
  const metadata = {
    labels: m.labels === undefined ? NO_ENTRIES : copyIn(rules, m.labels, kind, key, 'labels', budget),
    annotations: m.annotations === undefined ? NO_ENTRIES : copyIn(rules, m.annotations, kind, key, 'annotations', budget),
    finalizers: m.finalizers === undefined ? NO_ITEMS : copyIn(rules, m.finalizers, kind, key, 'finalizers', budget),
    ownerReferences: m.ownerReferences === undefined ? NO_ITEMS : copyIn(rules, m.ownerReferences, kind, key, 'ownerReferences', budget),
  };
  const status = resource.status === undefined ? undefined : copyIn(rules, resource.status, kind, key, 'status', budget);
  return snapshot(UNMEASURED, {
    kind,
    metadata: {
      name,
      ...(namespace === undefined ? {} : { namespace }),
      version: String(revision),
      revision,
      generation: 1,
      uid: rules.uid === undefined ? newUid() : rules.uid(revision),
      creationTimestamp: rules.now(),
      ...metadata,
    },
    spec,
    ...(status === undefined ? {} : { status }),
  });
}

/**
 * What an `update` of `stored` (whose version the caller matched) writes: spec and metadata lists,
 * generation bumped on a spec change, `deleted` when the last finalizer of a deleting resource goes.
 * `undefined` when nothing changes (no write).
 */
export function updatedResource(rules: WriteRules, stored: Resource, resource: Resource, revision: number): Written | undefined {
  const { kind, metadata: old } = stored;
  const key = keyOf(stored);
  const m = resource.metadata;
  checkShape(kind, key, m);
  const given = new Set<string>();
  const budget: SizeBudget = { used: 0, limit: rules.maxBytes };
  // Each field: the stored value when omitted or equal (structural sharing), else a copy.
  const keep = <T>(value: T | undefined, current: T, what: string): T => {
    if (value === undefined || equal(value, current)) return current;
    given.add(what);
    return copyIn(rules, value, kind, key, what, budget);
  };
  const finalizers = keep(m.finalizers, old.finalizers, 'finalizers');
  const deleting = old.deletionTimestamp !== undefined;
  const added = deleting && finalizers !== old.finalizers ? finalizers.filter((f) => !old.finalizers.includes(f)) : [];
  if (added.length > 0) {
    throw new InvalidArgumentError(
      `${kind} "${key}" is being deleted, so finalizer(s) ${added.join(', ')} cannot be added: ` +
        'only remove finalizers now, and create the resource again once it is gone.',
    );
  }
  let spec = keep(resource.spec as unknown, stored.spec, 'spec');
  if (spec !== stored.spec) {
    const parsed = validate(rules, kind, key, spec);
    spec = equal(parsed, stored.spec) ? stored.spec : parsed;
  }
  const metadata = {
    labels: keep(m.labels, old.labels, 'labels'),
    annotations: keep(m.annotations, old.annotations, 'annotations'),
    finalizers,
    ownerReferences: keep(m.ownerReferences, old.ownerReferences, 'ownerReferences'),
  };
  const changed =
    spec !== stored.spec ||
    metadata.labels !== old.labels ||
    metadata.annotations !== old.annotations ||
    metadata.finalizers !== old.finalizers ||
    metadata.ownerReferences !== old.ownerReferences;
  if (!changed) return undefined;
  if (budget.used + sizeOf(stored, given) > rules.maxBytes) throw new ResourceTooLargeError(kind, key, rules.maxBytes, 'the whole resource');
  const generation = old.generation + (spec === stored.spec ? 0 : 1);
  const object = rewrite(stored, { ...metadata, generation }, spec, stored.status, revision, UNMEASURED);
  return { type: deleting && finalizers.length === 0 ? 'deleted' : 'modified', object };
}

/** What an `updateStatus` of `stored` writes; `undefined` when the status is equal (no write). */
export function statusUpdated(rules: WriteRules, stored: Resource, resource: Resource, revision: number): Resource | undefined {
  if (equal(resource.status, stored.status)) return undefined;
  const key = keyOf(stored);
  const rest = restSize(stored);
  const budget: SizeBudget = { used: rest, limit: rules.maxBytes };
  const status = copyIn(rules, resource.status, stored.kind, key, 'status', budget);
  return rewrite(stored, {}, stored.spec, status, revision, rest);
}

/**
 * What a `delete` of `stored` writes: `deleted` without finalizers, else `modified` with a
 * `deletionTimestamp`; `undefined` when it is already being deleted (no write).
 */
export function deletedResource(rules: WriteRules, stored: Resource, revision: number): Written | undefined {
  const rest = carriedRest(stored);
  if (stored.metadata.finalizers.length === 0) return { type: 'deleted', object: rewrite(stored, {}, stored.spec, stored.status, revision, rest) };
  if (stored.metadata.deletionTimestamp !== undefined) return undefined;
  return { type: 'modified', object: rewrite(stored, { deletionTimestamp: rules.now() }, stored.spec, stored.status, revision, rest) };
}

/**
 * A copy of the caller's part of a write, detached from the caller's objects (plain data only,
 * cycles refused naming the path), for stores that apply the write later than the call.
 */
export function detachInput<T extends object>(value: T, kind: string, key: Key): T {
  const source = value as { metadata?: unknown; spec?: unknown; status?: unknown };
  const issues = isObject(source.metadata) ? metadataIssues(source.metadata) : [];
  if (issues.length > 0) throw new ValidationError(kind, key, issues);
  const out: Record<string, unknown> = {};
  for (const [part, child] of Object.entries(value)) {
    if (child === undefined) continue;
    if (part === 'metadata' && isObject(child)) {
      const metadata: Record<string, unknown> = {};
      for (const [field, v] of Object.entries(child)) {
        if (listFields.has(field)) {
          if (v !== undefined) metadata[field] = copyPlain(v, `${kind} "${key}" ${field}`);
        } else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') metadata[field] = v;
      }
      out[part] = metadata;
    } else if (part === 'spec' || part === 'status') out[part] = copyPlain(child, `${kind} "${key}" ${part}`);
    else out[part] = child;
  }
  return out as T;
}

const listFields: ReadonlySet<string> = new Set(['labels', 'annotations', 'finalizers', 'ownerReferences']);

/**
 * Checks what `registerKind(kind, options)` (or a store's `kinds` option) was given: an object with
 * at most a `schema`, which is a zod schema (it has `safeParse`). Returns the schema.
 */
export function checkKindOptions(kind: string, options: unknown): ZodType<unknown> | undefined {
  const where = `registerKind(${JSON.stringify(kind)}, …)`;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`${where}: the kind's options must be an object such as { schema: z.object({ … }) } or {} (got ${show(options)}).`);
  }
  for (const option of Object.keys(options)) {
    if (option !== 'schema') {
      throw new InvalidArgumentError(`${where}: unknown option "${option}": the only option of a kind is "schema" (a zod schema of its spec).`);
    }
  }
  const schema = (options as { schema?: unknown }).schema;
  if (schema === undefined) return undefined;
  if (typeof schema !== 'object' || schema === null || typeof (schema as { safeParse?: unknown }).safeParse !== 'function') {
    throw new InvalidArgumentError(`${where}: schema must be a zod schema, such as z.object({ title: z.string() }) (got ${show(schema)}).`);
  }
  return schema as ZodType<unknown>;
}

/**
 * Checks `list`'s options: an object with an optional `namespace` (a string) and optional `labels`
 * (an object of strings). Returns the namespace and the wanted labels as pairs.
 */
export function listFilter(options: unknown): { namespace: string | undefined; wanted: (readonly [string, string])[] } {
  if (options === undefined) return { namespace: undefined, wanted: [] };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`list: options must be an object such as { namespace: "team-a", labels: { app: "web" } } (got ${show(options)}).`);
  }
  for (const option of Object.keys(options)) {
    if (option !== 'namespace' && option !== 'labels') {
      throw new InvalidArgumentError(`list: unknown option "${option}": list takes { namespace?, labels? }.`);
    }
  }
  const { namespace, labels } = options as { namespace?: unknown; labels?: unknown };
  if (namespace !== undefined && typeof namespace !== 'string') {
    throw new InvalidArgumentError(`list: namespace must be a string (got ${show(namespace)}).`);
  }
  if (labels === undefined) return { namespace, wanted: [] };
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw new InvalidArgumentError(`list: labels must be an object of label values, such as { app: "web" } (got ${show(labels)}).`);
  }
  const wanted = Object.entries(labels);
  for (const [label, value] of wanted) {
    if (typeof value !== 'string') throw new InvalidArgumentError(`list: the value of label "${label}" must be a string (got ${show(value)}).`);
  }
  return { namespace, wanted: wanted as (readonly [string, string])[] };
}

/** Refuses a `sinceRevision` that is not a revision. */
export function checkSinceRevision(since: unknown): asserts since is number | undefined {
  if (since !== undefined && (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0)) {
    throw new InvalidArgumentError(`watch: sinceRevision must be a revision (an integer ≥ 0), got ${show(since)}`);
  }
}

export function checkKind(kind: unknown): asserts kind is string {
  if (typeof kind !== 'string' || kind === '') {
    throw new InvalidArgumentError(`kind must be a non-empty string such as "Post" (got ${show(kind)}).`);
  }
  checkText('kind', kind);
}

export function checkKey(key: unknown): asserts key is Key {
  if (typeof key !== 'string' || key === '') {
    throw new InvalidArgumentError(`key must be "name" or "namespace/name" (got ${show(key)}).`);
  }
  checkText('key', key);
}

/**
 * Refuses an identifier that is not well-formed text: a lone UTF-16 surrogate has no UTF-8 form, so
 * a store that keeps keys as text (SQLite, etcd) would keep something else than was asked and could
 * not find it again.
 */
function checkText(what: string, value: string): void {
  const at = loneSurrogateAt(value);
  if (at >= 0) {
    throw new InvalidArgumentError(
      `${what} ${JSON.stringify(value)} is not well-formed text: it holds a lone UTF-16 surrogate at index ${at} (half of a character such as an emoji). ` +
        'Use whole characters only.',
    );
  }
}

/** Orders keys as `list` returns them (UTF-16 code units, as JavaScript's `<`). */
export function compareKeys(a: Key, b: Key): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when every given label is set to the given value; and the namespace matches when given. */
export function matchesList(resource: Resource, namespace: string | undefined, wanted: readonly (readonly [string, string])[]): boolean {
  const labels = resource.metadata.labels;
  return (
    (namespace === undefined || (resource.metadata.namespace ?? '') === namespace) &&
    wanted.every(([label, value]) => hasOwn(labels, label) && labels[label] === value)
  );
}

export function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

export function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

const hasOwn = (value: object, key: string): boolean => Object.prototype.hasOwnProperty.call(value, key);

/** A new frozen snapshot of `stored` with the given revision; `rest` is its size without the status (see {@link snapshot}). */
function rewrite(stored: Resource, metadata: Partial<Writable<Metadata>>, spec: unknown, status: unknown, revision: number, rest: number): Resource {
  return snapshot(rest, {
    kind: stored.kind,
    metadata: { ...stored.metadata, ...metadata, version: String(revision), revision },
    spec,
    ...(status === undefined ? {} : { status }),
  });
}

/** The kind's schema output for `spec` (itself without a schema); throws `ValidationError`. */
function validate(rules: WriteRules, kind: string, name: string, spec: unknown): unknown {
  const schema = rules.schemaOf(kind);
  if (schema === undefined) return spec;
  const result = schema.safeParse(spec);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({
      path: ['spec', ...issue.path.map(String)].join('.'),
      message: issue.message,
    }));
    throw new ValidationError(kind, name, issues);
  }
  return result.data === spec ? spec : copyPlain(result.data, `${kind} "${name}" spec (as parsed by its schema)`, undefined, true);
}

function checkShape(kind: string, key: Key, metadata: object): void {
  const issues = metadataIssues(metadata);
  if (issues.length > 0) throw new ValidationError(kind, key, issues);
}

/**
 * Copies caller data for `kind "key"`, counting it against the resource's size budget. The copy is
 * frozen as it is built, except a spec that a schema will parse next (a schema may hand its input to
 * user code, e.g. a preprocess step; what it returns is copied and frozen then).
 */
function copyIn<T>(rules: WriteRules, value: T, kind: string, key: Key, what: string, budget: SizeBudget): T {
  try {
    const freeze = what !== 'spec' || rules.schemaOf(kind) === undefined;
    return copyPlain(value, `${kind} "${key}" ${what}`, budget, freeze);
  } catch (error) {
    if (error instanceof BudgetExceeded) throw new ResourceTooLargeError(kind, key, rules.maxBytes, error.path);
    throw error;
  }
}

/**
 * The JSON size of the parts of `stored` a write keeps as they are (`skip`: the parts it replaces).
 * With `remember`, the sizes of frozen parts are kept for the next write that keeps them.
 */
function sizeOf(resource: Resource, skip: ReadonlySet<string>, remember = true): number {
  const m = resource.metadata;
  let total = 200 + m.name.length + (m.namespace?.length ?? 0);
  if (!skip.has('labels')) total += jsonSize(m.labels, remember);
  if (!skip.has('annotations')) total += jsonSize(m.annotations, remember);
  if (!skip.has('finalizers')) total += jsonSize(m.finalizers, remember);
  if (!skip.has('ownerReferences')) total += jsonSize(m.ownerReferences, remember);
  if (!skip.has('spec')) total += jsonSize(resource.spec, remember);
  if (!skip.has('status')) total += jsonSize(resource.status, remember);
  return total;
}

/** What a status write replaces. */
const STATUS_ONLY: ReadonlySet<string> = new Set(['status']);

/**
 * The JSON size of a snapshot without its status, once a status write measured it: a hidden
 * (non-enumerable, symbol-keyed) property of the snapshots these rules build. A status write keeps
 * everything but the status, so the snapshots it makes carry the figure on, and a loop's status
 * writes after the first measure only the new status. It is the exact figure {@link sizeOf} gives
 * (never the copy's running estimate), so a store that reads its snapshots back from a database
 * (which have no mark and are measured part by part) refuses exactly the same writes.
 */
const REST_SIZE: unique symbol = Symbol('rx-reconcile.restSize');
/** The {@link REST_SIZE} of a snapshot not measured yet (a created or updated one). */
const UNMEASURED = -1;

/**
 * Freezes a new snapshot, marked with its size without the status. Its parts are copies these rules
 * made (frozen as they were copied) or parts of the stored snapshot (frozen before): only the new
 * metadata object and the snapshot itself need freezing, and `deepFreeze` skips what is frozen.
 */
function snapshot(rest: number, resource: Resource): Resource {
  Object.defineProperty(resource, REST_SIZE, { value: rest });
  const m = resource.metadata;
  deepFreeze(m.labels);
  deepFreeze(m.annotations);
  deepFreeze(m.finalizers);
  deepFreeze(m.ownerReferences);
  Object.freeze(m);
  deepFreeze(resource.spec);
  deepFreeze(resource.status);
  return Object.freeze(resource);
}

/** The size without the status that `stored` carries, {@link UNMEASURED} when it carries none. */
function carriedRest(stored: Resource): number {
  const recorded = (stored as { [REST_SIZE]?: unknown })[REST_SIZE];
  return typeof recorded === 'number' ? recorded : UNMEASURED;
}

/**
 * The size of `stored` without its status: as carried by the snapshot, else measured (without
 * remembering the parts' sizes: the figure is carried on instead).
 */
function restSize(stored: Resource): number {
  const recorded = carriedRest(stored);
  return recorded >= 0 ? recorded : sizeOf(stored, STATUS_ONLY, false);
}

/**
 * JSON sizes of stored parts. A stored resource is deep-frozen, so a part's size never changes and
 * a write that keeps a part (a status write keeps the spec, a label write keeps the status) does not
 * serialise it again.
 */
const jsonSizes = new WeakMap<object, number>();

function jsonSize(value: unknown, remember: boolean): number {
  if (value === undefined) return 0;
  if (typeof value !== 'object' || value === null) return JSON.stringify(value).length;
  if (isEmpty(value)) return 2; // `{}` or `[]`: most metadata lists, not worth a cache entry
  if (!Object.isFrozen(value)) return JSON.stringify(value).length; // may still change: never cached
  if (!remember) return jsonSizes.get(value) ?? JSON.stringify(value).length;
  let size = jsonSizes.get(value);
  if (size === undefined) {
    size = JSON.stringify(value).length;
    jsonSizes.set(value, size);
  }
  return size;
}

function isEmpty(value: object): boolean {
  if (Array.isArray(value)) return value.length === 0;
  for (const _key in value) return false;
  return true;
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
  checkText('metadata.name', name);
  if (namespace === undefined || namespace === '') return { name };
  if (typeof namespace !== 'string' || namespace.includes('/')) {
    throw new InvalidArgumentError(`metadata.namespace must be a string without "/" (got ${show(namespace)}).`);
  }
  checkText('metadata.namespace', namespace);
  return { name, namespace };
}

const utf8Decoder = new TextDecoder();
/** Random bytes for 512 uids at a time (the platform's cryptographic generator), used 16 at a time. */
const uidPool = new Uint8Array(16 * 512);
let uidAt = uidPool.length;
/** The ASCII of one uid being built: hex digits and four dashes. */
const uidText = new Uint8Array(36).fill(45);
/** Where each of the 16 bytes' two hex digits go in `uidText` (after the dashes at 8, 13, 18 and 23). */
const uidPlaces = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const hexDigits = new TextEncoder().encode('0123456789abcdef');

/**
 * A fresh random uid (a version 4 UUID) as one flat string. `crypto.randomUUID()` builds its
 * string by concatenation, V8 keeps the result as a rope of ~20 pieces (~500 bytes per uid, held as
 * long as the resource), and flattening it costs ~0.7 µs per uid. This writes the 36 ASCII
 * characters from a pool of random bytes and decodes them once: one 36-character string (~70 bytes)
 * for ~0.12 µs. BENCHMARKS.md #12.
 */
export function newUid(): string {
  if (uidAt === uidPool.length) {
    globalThis.crypto.getRandomValues(uidPool);
    uidAt = 0;
  }
  const uid = uidOf(uidPool, uidAt);
  uidAt += 16;
  return uid;
}

/**
 * The uid of the resource created at `revision` from `random` (a seeded source replays the same
 * uids): a version 4 UUID whose first ten bytes come from `random` and last six are the revision, so
 * uids never repeat within a store even when `random` does. An answer of `random` that is not a
 * number in [0, 1) (it threw, NaN) counts as 0.
 *
 * ## Example
 * ```ts
 * seededUid(() => 0.5, 7); // '80808080-8080-4080-8080-000000000007'
 * ```
 */
export function seededUid(random: () => number, revision: number): string {
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 10; i++) {
    let r: number;
    try {
      r = random();
    } catch {
      r = 0;
    }
    bytes[i] = r >= 0 && r < 1 ? Math.floor(r * 256) : 0;
  }
  let rest = Number.isSafeInteger(revision) && revision >= 0 ? revision : 0;
  for (let i = 15; i >= 10; i--) {
    bytes[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return uidOf(bytes, 0);
}

/** The UUID text of the 16 bytes at `at` in `bytes`, with the version 4 and variant bits set. */
function uidOf(bytes: Uint8Array, at: number): string {
  for (let i = 0; i < 16; i++) {
    let byte = bytes[at + i] as number;
    if (i === 6) byte = (byte & 0x0f) | 0x40; // version 4
    else if (i === 8) byte = (byte & 0x3f) | 0x80; // RFC 4122 variant
    const place = uidPlaces[i] as number;
    uidText[place] = hexDigits[byte >> 4] as number;
    uidText[place + 1] = hexDigits[byte & 0x0f] as number;
  }
  return utf8Decoder.decode(uidText);
}
