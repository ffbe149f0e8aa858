/**
 * The checks every store adapter applies to a record it reads back: a record can be written around
 * the store (by hand, by another program, by a bug), and one that is not a resource the store could
 * have written must become a `MalformedResourceError`, never a resource with holes in it.
 *
 * @module
 */
import { isWritableMetadata, metadataIssues } from './metadata-schema.js';

/**
 * What keeps `value` (parsed from the JSON `text` of a stored record) from being a resource the store
 * could have written; empty when there is none. `placement` names what contradicts where the record
 * was read (its kind, name and namespace: each adapter knows its own layout); then come the checks
 * every adapter shares: generation an integer ≥ 1, uid and creationTimestamp strings, the four
 * metadata lists present and of the shape writes are checked against, and no number JSON cannot carry
 * (`1e999` parses as Infinity). `root` names the record in messages (`doc`, `value`).
 *
 * ## Example
 * ```ts
 * const problems = storedProblems(value, text, 'doc', (metadata) => (metadata['name'] === key ? [] : ['another name']));
 * if (problems.length > 0) return new MalformedResourceError(kind, key, location, problems);
 * ```
 */
export function storedProblems(
  value: unknown,
  text: string,
  root: string,
  placement: (metadata: Record<string, unknown>, value: Record<string, unknown>) => string[],
): string[] {
  if (!isRecord(value)) return [`${root} is not a JSON object`];
  const metadata = value['metadata'];
  if (!isRecord(metadata)) return ['metadata is missing or not an object'];
  const problems = placement(metadata, value);
  const { generation, uid, creationTimestamp, deletionTimestamp } = metadata;
  if (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < 1) problems.push('metadata.generation must be an integer ≥ 1');
  if (typeof uid !== 'string' || uid === '') problems.push('metadata.uid must be a non-empty string');
  if (typeof creationTimestamp !== 'string') problems.push('metadata.creationTimestamp must be a string');
  if (deletionTimestamp !== undefined && typeof deletionTimestamp !== 'string') problems.push('metadata.deletionTimestamp must be a string');
  // A stored record has all four lists; their shape is the one a write is checked against.
  if (LISTS.some((field) => metadata[field] === undefined) || !isWritableMetadata(metadata)) {
    const issues = metadataIssues(metadata);
    for (const field of LISTS) if (metadata[field] === undefined) issues.push({ path: `metadata.${field}`, message: 'missing' });
    problems.push(...issues.map((issue) => `${issue.path}: ${issue.message}`));
  }
  if (LARGE_EXPONENT.test(text)) problems.push(...infinities(value, root));
  return problems;
}

/** A plain JSON object (not null, not an array). */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const LISTS = ['labels', 'annotations', 'finalizers', 'ownerReferences'] as const;

/** A number with an exponent of three digits or more: only such text can parse to Infinity. */
const LARGE_EXPONENT = /\d[eE]\+?\d{3}/;

/** The paths in `value` that hold an infinite number. */
function infinities(value: unknown, path: string): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [`${path} holds a number too large for JSON (${value})`];
  if (typeof value !== 'object' || value === null) return [];
  const found: string[] = [];
  if (Array.isArray(value)) value.forEach((item, i) => found.push(...infinities(item, `${path}[${i}]`)));
  else for (const [k, v] of Object.entries(value)) found.push(...infinities(v, `${path}.${k}`));
  return found;
}
