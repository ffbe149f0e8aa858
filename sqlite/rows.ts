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
import { deepFreeze } from '../src/plain-data.js';
import { storedProblems } from '../src/stored-problems.js';

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
  const problems = storedProblems(value, doc, 'doc', (m) => placementProblems(m, key));
  if (problems.length > 0) return new MalformedResourceError(kind, key, location, problems);
  const resource = value as { kind: string; metadata: { version: string; revision: number } };
  resource.kind = kind;
  resource.metadata.revision = revision;
  resource.metadata.version = String(revision);
  return deepFreeze(resource as unknown as Resource);
}

/** What in `m` contradicts the row's key `key` (empty when nothing does). */
function placementProblems(m: Record<string, unknown>, key: string): string[] {
  const problems: string[] = [];
  const { name, namespace } = m;
  if (typeof name !== 'string' || name === '' || name.includes('/')) problems.push('metadata.name must be a non-empty string without "/"');
  if (namespace !== undefined && (typeof namespace !== 'string' || namespace.includes('/'))) problems.push('metadata.namespace must be a string without "/"');
  if (problems.length === 0) {
    const own = keyOf({ metadata: { name: name as string, ...(typeof namespace === 'string' ? { namespace } : {}) } });
    if (own !== key) problems.push(`metadata names "${own}" but the row's key is "${key}"`);
  }
  return problems;
}
