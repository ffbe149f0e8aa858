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
  const result = writableMetadata.safeParse(metadata);
  if (result.success) return [];
  return result.error.issues.map((issue) => ({
    path: ['metadata', ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}
