/**
 * Reading stored rows back as resources: parse the `doc` JSON, check it has the shape of a resource
 * (rows can be written around the store, by hand), stamp kind and revision from the row's columns,
 * and deep-freeze. A row that is not a resource becomes a `MalformedResourceError` naming the row and
 * every problem, never an exception in the middle of a list or a watch.
 *
 * @module
 */
import { MalformedResourceError } from '../src/errors.js';
import { keyOf } from '../src/key.js';
import type { Resource } from '../src/types.js';
import { isWritableMetadata, metadataIssues } from '../src/metadata-schema.js';
import { deepFreeze } from '../src/plain-data.js';

/**
 * The resource in `doc`, stored under `kind`/`key` at `revision`; a `MalformedResourceError` when
 * the JSON is not a resource of that key.
 */
export function decodeResource(kind: string, key: string, revision: number, doc: string, location: string): Resource | MalformedResourceError {
  let value: unknown;
  try {
    value = JSON.parse(doc);
  } catch (error) {
    return new MalformedResourceError(kind, key, location, [`doc is not JSON (${(error as Error).message})`]);
  }
  const problems = resourceProblems(value, key);
  // A number JSON cannot carry (`1e999`, written by hand) parses as Infinity: the store never keeps one.
  if (LARGE_EXPONENT.test(doc)) problems.push(...infinities(value, 'doc'));
  if (problems.length > 0) return new MalformedResourceError(kind, key, location, problems);
  const resource = value as { kind: string; metadata: { version: string; revision: number } };
  resource.kind = kind;
  resource.metadata.revision = revision;
  resource.metadata.version = String(revision);
  return deepFreeze(resource as unknown as Resource);
}

/** What keeps `value` from being a stored resource with key `key` (empty when it is one). */
function resourceProblems(value: unknown, key: string): string[] {
  if (!isRecord(value)) return ['doc is not a JSON object'];
  const m = value['metadata'];
  if (!isRecord(m)) return ['metadata is missing or not an object'];
  const problems: string[] = [];
  const { name, namespace, generation, uid, creationTimestamp, deletionTimestamp } = m;
  if (typeof name !== 'string' || name === '' || name.includes('/')) problems.push('metadata.name must be a non-empty string without "/"');
  if (namespace !== undefined && (typeof namespace !== 'string' || namespace.includes('/'))) problems.push('metadata.namespace must be a string without "/"');
  if (problems.length === 0) {
    const own = keyOf({ metadata: { name: name as string, ...(typeof namespace === 'string' ? { namespace } : {}) } });
    if (own !== key) problems.push(`metadata names "${own}" but the row's key is "${key}"`);
  }
  if (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < 1) problems.push('metadata.generation must be an integer ≥ 1');
  if (typeof uid !== 'string' || uid === '') problems.push('metadata.uid must be a non-empty string');
  if (typeof creationTimestamp !== 'string') problems.push('metadata.creationTimestamp must be a string');
  if (deletionTimestamp !== undefined && typeof deletionTimestamp !== 'string') problems.push('metadata.deletionTimestamp must be a string');
  // A stored row has all four lists; their shape is the one a write is checked against.
  if (LISTS.some((field) => m[field] === undefined) || !isWritableMetadata(m)) {
    const issues = metadataIssues(m);
    for (const field of LISTS) if (m[field] === undefined) issues.push({ path: `metadata.${field}`, message: 'missing' });
    problems.push(...issues.map((issue) => `${issue.path}: ${issue.message}`));
  }
  return problems;
}

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

const LISTS = ['labels', 'annotations', 'finalizers', 'ownerReferences'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
