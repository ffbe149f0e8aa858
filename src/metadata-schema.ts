/**
 * The shape every store requires of the metadata a caller writes, checked before anything is stored.
 *
 * Stores of this library (and `checkStoreConformance` for users' own) refuse metadata of the wrong
 * shape with a `ValidationError` naming the field: a `labels: null` once made every labelled `list`
 * of the kind throw, and an owner reference of `5` once stopped the owner's loop.
 *
 * @module
 */
import { z } from 'zod';
import type { ValidationIssue } from './errors.js';

const text = z.string();
const stringMap = z.record(z.string(), text);

const ownerReference = z.strictObject({
  kind: z.string().min(1, 'an owner reference needs the kind of the owner'),
  name: z.string().min(1, 'an owner reference needs the name of the owner').refine((n) => !n.includes('/'), 'a name has no "/"'),
  namespace: z.string().optional(),
  controller: z.boolean().optional(),
  uid: z.string().optional(),
});

/** The metadata fields a caller may write (name and namespace are checked by the store itself). */
const writableMetadata = z.object({
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
  finalizers: z.array(z.string().min(1, 'a finalizer is a non-empty string')).optional(),
  ownerReferences: z.array(ownerReference).optional(),
});

/**
 * Checks labels, annotations, finalizers and owner references of `metadata`; returns the issues
 * (each with a path such as `metadata.labels.team`), empty when the shape is right. Fields left out
 * are fine: stores fill in defaults on create and keep the stored value on update.
 *
 * ## Example
 * ```ts
 * metadataIssues({ name: 'a', labels: { team: 5 } }); // [{ path: 'metadata.labels.team', message: … }]
 * ```
 */
export function metadataIssues(metadata: object): ValidationIssue[] {
  if (isWritableMetadata(metadata)) return [];
  const result = writableMetadata.safeParse(metadata);
  if (result.success) return [];
  return result.error.issues.map((issue) => ({
    path: ['metadata', ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}

/**
 * True only for metadata the schema above certainly accepts: plain objects and arrays of the right
 * types, nothing else (every store write checks its metadata, and the zod parse costs ~1.5 µs). A
 * false is no verdict: the schema then decides and names the issues.
 */
export function isWritableMetadata(metadata: object): boolean {
  if (!isPlain(metadata)) return false;
  const m = metadata as { labels?: unknown; annotations?: unknown; finalizers?: unknown; ownerReferences?: unknown };
  const { labels, annotations, finalizers, ownerReferences } = m;
  if (labels !== undefined && !isStringMap(labels)) return false;
  if (annotations !== undefined && !isStringMap(annotations)) return false;
  if (finalizers !== undefined) {
    if (!Array.isArray(finalizers)) return false;
    for (const f of finalizers as unknown[]) if (typeof f !== 'string' || f === '') return false;
  }
  if (ownerReferences !== undefined) {
    if (!Array.isArray(ownerReferences)) return false;
    for (const ref of ownerReferences as unknown[]) if (!isOwnerReference(ref)) return false;
  }
  return true;
}

const ownerReferenceFields: ReadonlySet<string> = new Set(['kind', 'name', 'namespace', 'controller', 'uid']);

function isOwnerReference(ref: unknown): boolean {
  if (!isPlain(ref)) return false;
  const r = ref as Record<string, unknown>;
  for (const key of Object.keys(r)) if (!ownerReferenceFields.has(key)) return false;
  const { kind, name, namespace, controller, uid } = r;
  return (
    typeof kind === 'string' &&
    kind !== '' &&
    typeof name === 'string' &&
    name !== '' &&
    !name.includes('/') &&
    (namespace === undefined || typeof namespace === 'string') &&
    (controller === undefined || typeof controller === 'boolean') &&
    (uid === undefined || typeof uid === 'string')
  );
}

function isStringMap(value: unknown): boolean {
  if (!isPlain(value)) return false;
  for (const key of Object.keys(value as object)) if (typeof (value as Record<string, unknown>)[key] !== 'string') return false;
  return true;
}

/** An object of `Object.prototype` (or none), not an array, without symbol keys or accessors' surprises. */
function isPlain(value: unknown): value is object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return (proto === Object.prototype || proto === null) && Object.getOwnPropertySymbols(value).length === 0;
}
