/**
 * The rules every store of this library applies to a write, as functions of what is stored and what
 * the caller asked: {@link planCreate}, {@link planUpdate}, {@link planStatus}, {@link planDelete}.
 *
 * A store engine (memory, etcd, SQLite…) reads the stored resource, plans the write with these, then
 * commits the plan its own way (a `Map` entry, a compare-and-set transaction on `mod_revision`) and
 * stamps `version` and `revision`. So every engine refuses the same bad input with the same errors,
 * bumps `generation` on the same changes, skips the same no-op writes and treats finalizers alike.
 *
 * @module
 */
import type { ZodType } from 'zod';
import { deepEqual as equal } from './equal.js';
import { InvalidArgumentError, ResourceTooLargeError, ValidationError } from './errors.js';
import { keyOf } from './key.js';
import { metadataIssues } from './metadata-schema.js';
import { BudgetExceeded, copyPlain } from './plain-data.js';
import type { SizeBudget } from './plain-data.js';
import type { Key, ListOptions, Metadata, NewResource, Resource } from './types.js';

/** A resource as planned, before the store stamps `version` and `revision`. */
export type UnstampedResource = Omit<Resource, 'metadata'> & { readonly metadata: Omit<Metadata, 'version' | 'revision'> };

/** What a planned write needs from its store. */
export interface WriteRules {
  /** The kind's spec schema, if one is registered. */
  schemaOf(kind: string): ZodType<unknown> | undefined;
  /** Largest resource, in characters of JSON. */
  readonly maxBytes: number;
  /** The time for `creationTimestamp` / `deletionTimestamp`, as an ISO string. */
  now(): string;
}

/** The outcome of planning a write to a stored resource. */
export type WritePlan =
  /** Nothing to write: the store returns the stored resource as it is. */
  | { readonly type: 'unchanged' }
  /** Store `resource` in place of the stored one. */
  | { readonly type: 'modified'; readonly resource: UnstampedResource }
  /** Remove the resource; `resource` is its last state (finalizers gone). */
  | { readonly type: 'deleted'; readonly resource: UnstampedResource };

type Writable<T> = { -readonly [P in keyof T]: T[P] };

/**
 * Plans a create: checks name, metadata shape and size, validates the spec with the kind's schema
 * (storing the parsed output) and copies every part, so nothing of the caller's is kept.
 */
export function planCreate(kind: string, resource: NewResource, rules: WriteRules): { readonly key: Key; readonly resource: UnstampedResource } {
  checkKind(kind);
  if (!isObject(resource)) throw new InvalidArgumentError('create needs a resource object ({ metadata, spec }).');
  const { name, namespace } = checkMetadata(resource.metadata);
  const key = keyOf({ metadata: { name, ...(namespace === undefined ? {} : { namespace }) } });
  const m = resource.metadata;
  checkShape(kind, key, m);
  const budget: SizeBudget = { used: 200 + key.length, limit: rules.maxBytes };
  const before = budget.used;
  const given = copyIn(resource.spec, kind, key, 'spec', budget);
  const parsed = validateSpec(rules.schemaOf(kind), kind, key, given);
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
  return {
    key,
    resource: {
      kind,
      metadata: {
        name,
        ...(namespace === undefined ? {} : { namespace }),
        generation: 1,
        uid: newUid(),
        creationTimestamp: rules.now(),
        ...metadata,
      },
      spec,
      ...(status === undefined ? {} : { status }),
    },
  };
}

/**
 * Plans an `update` of `stored` (already found, version already checked) with what the caller gave:
 * spec and metadata lists; omitted or equal fields keep the stored value (structural sharing),
 * `generation` bumps only when the spec changed, status is kept as stored, and removing the last
 * finalizer of a deleting resource removes it.
 */
export function planUpdate(stored: Resource, resource: Resource, rules: WriteRules): WritePlan {
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
    const parsed = validateSpec(rules.schemaOf(kind), kind, key, spec);
    spec = equal(parsed, stored.spec) ? stored.spec : parsed;
  }
  const metadata = {
    labels: keep(m.labels, old.labels, 'labels'),
    annotations: keep(m.annotations, old.annotations, 'annotations'),
    finalizers,
    ownerReferences: keep(m.ownerReferences, old.ownerReferences, 'ownerReferences'),
  };
  const changed = spec !== stored.spec || Object.entries(metadata).some(([field, v]) => v !== old[field as keyof Metadata]);
  if (!changed) return { type: 'unchanged' };
  if (budget.used + storedSize(stored, given) > rules.maxBytes) throw new ResourceTooLargeError(kind, key, rules.maxBytes, 'the whole resource');
  const generation = old.generation + (spec === stored.spec ? 0 : 1);
  const next = rebuild(stored, { ...metadata, generation }, spec, stored.status);
  return { type: deleting && finalizers.length === 0 ? 'deleted' : 'modified', resource: next };
}

/** Plans an `updateStatus`: a status equal to the stored one is not written. */
export function planStatus(stored: Resource, resource: Resource, rules: WriteRules): WritePlan {
  if (equal(resource.status, stored.status)) return { type: 'unchanged' };
  const key = keyOf(stored);
  const budget: SizeBudget = { used: storedSize(stored, new Set(['status'])), limit: rules.maxBytes };
  const status = copyIn(resource.status, stored.kind, key, 'status', budget);
  return { type: 'modified', resource: rebuild(stored, {}, stored.spec, status) };
}

/**
 * Plans a `delete`, finalizer-aware: without finalizers the resource goes; with finalizers it is
 * marked with `deletionTimestamp` once (a second delete changes nothing).
 */
export function planDelete(stored: Resource, rules: Pick<WriteRules, 'now'>): WritePlan {
  if (stored.metadata.finalizers.length === 0) return { type: 'deleted', resource: rebuild(stored, {}, stored.spec, stored.status) };
  if (stored.metadata.deletionTimestamp !== undefined) return { type: 'unchanged' };
  return { type: 'modified', resource: rebuild(stored, { deletionTimestamp: rules.now() }, stored.spec, stored.status) };
}

/** `stored` with some metadata replaced, without `version` and `revision`. */
function rebuild(stored: Resource, metadata: Partial<Writable<Metadata>>, spec: unknown, status: unknown): UnstampedResource {
  const { version: _version, revision: _revision, ...kept } = { ...stored.metadata, ...metadata };
  void [_version, _revision];
  return { kind: stored.kind, metadata: kept, spec, ...(status === undefined ? {} : { status }) };
}

/** The kind's schema output for `spec` (itself without a schema); throws `ValidationError`. */
export function validateSpec(schema: ZodType<unknown> | undefined, kind: string, name: string, spec: unknown): unknown {
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
    if (error instanceof BudgetExceeded) throw new ResourceTooLargeError(kind, key, budget.limit, error.path);
    throw error;
  }
}

/** The JSON size of the parts of `stored` a write keeps as they are. */
function storedSize(resource: Resource, skip: ReadonlySet<string>): number {
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

/** True when `resource` passes `list`'s namespace and label filters. */
export function matchesList(resource: Resource, options: ListOptions): boolean {
  const { namespace, labels = {} } = options;
  if (namespace !== undefined && (resource.metadata.namespace ?? '') !== namespace) return false;
  for (const [label, value] of Object.entries(labels)) {
    if (!hasOwn(resource.metadata.labels, label) || resource.metadata.labels[label] !== value) return false;
  }
  return true;
}

/** Orders resources by key, as `list` and the replayed list of `watch` do. */
export function byKey(a: Resource, b: Resource): number {
  const x = keyOf(a);
  const y = keyOf(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

const hasOwn = (value: object, key: string): boolean => Object.prototype.hasOwnProperty.call(value, key);

/** A value for a message: strings quoted, anything else as `String` gives it. */
export function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

export function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

export function checkKind(kind: unknown): asserts kind is string {
  if (typeof kind !== 'string' || kind === '') {
    throw new InvalidArgumentError(`kind must be a non-empty string such as "Post" (got ${show(kind)}).`);
  }
}

export function checkKey(key: unknown): asserts key is Key {
  if (typeof key !== 'string' || key === '') {
    throw new InvalidArgumentError(`key must be "name" or "namespace/name" (got ${show(key)}).`);
  }
}

/** Checks name and namespace; an empty namespace means none. */
export function checkMetadata(metadata: unknown): { name: string; namespace?: string } {
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

/** The key an update or status write targets, checking the resource's shape (kind, name, namespace). */
export function targetKey(resource: unknown, what = 'update'): { readonly kind: string; readonly key: Key } {
  if (!isObject(resource)) throw new InvalidArgumentError(`${what} needs a resource object ({ kind, metadata, spec }).`);
  const { kind, metadata } = resource as { kind?: unknown; metadata?: unknown };
  checkKind(kind);
  return { kind, key: keyOf({ metadata: checkMetadata(metadata) }) };
}

/** Refuses a `sinceRevision` that is not a revision. */
export function checkSinceRevision(since: unknown): void {
  if (since !== undefined && (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0)) {
    throw new InvalidArgumentError(`watch: sinceRevision must be a revision (an integer ≥ 0), got ${show(since)}`);
  }
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * A fresh random uid as one flat string. Node builds `crypto.randomUUID()` by concatenation, and V8
 * keeps the result as a rope of ~20 pieces (~500 bytes per uid, held as long as the resource);
 * decoding its bytes again gives one 36-character string (~70 bytes). BENCHMARKS.md #12.
 */
export function newUid(): string {
  return utf8Decoder.decode(utf8Encoder.encode(globalThis.crypto.randomUUID()));
}
