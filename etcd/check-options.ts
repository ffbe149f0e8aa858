/**
 * Options of the etcd adapter are checked when created, with zod: `checkOptions`.
 *
 * @module
 */
import type { ZodType } from 'zod';
import { InvalidArgumentError } from '../src/errors.js';

/**
 * Parses `options` with `schema`; on failure throws an `InvalidArgumentError` that names every bad or
 * unknown key and what it must be, e.g. `createEtcdStore: callTimeout: must be ≥ 1 (got 0)`.
 */
export function checkOptions<T>(what: string, schema: ZodType<T>, options: unknown): T {
  const result = schema.safeParse(options);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return `unknown option(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}: remove them (check the spelling)`;
    }
    const path = issue.path.map(String).join('.');
    const got = issue.path.reduce<unknown>((value, key) => (typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined), options);
    const shown = typeof got === 'function' ? 'a function' : typeof got === 'object' && got !== null ? 'an object' : String(typeof got === 'string' ? JSON.stringify(got) : got);
    return `${path === '' ? 'options' : path}: ${issue.message} (got ${shown})`;
  });
  throw new InvalidArgumentError(`${what}: ${problems.join('; ')}.`);
}
