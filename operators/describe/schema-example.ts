/**
 * A small, valid desired-state example generated from a zod schema, for the "desired-state source"
 * section: the schema is turned into JSON Schema by zod itself (`z.toJSONSchema`, input side, so
 * defaults show as the values a writer may leave out), a value is built from it (defaults, enums,
 * formats, bounds), and the schema must accept it — an example that fails its own schema is never
 * printed. Deterministic for a schema.
 *
 * @module
 */
import { z } from 'zod';
import type { ZodType } from 'zod';

/** An example, or why there is none. */
export type SchemaExample =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: 'not-zod' | 'unreadable' | 'no-valid-example'; readonly detail?: string };

type Json = boolean | { readonly [key: string]: unknown };

interface Walk {
  readonly root: Json;
  readonly full: boolean;
  readonly depth: number;
}

const MAX_DEPTH = 8;

/**
 * A valid example of `schema`: every property first, then only the required ones; undefined when
 * neither passes the schema (a pattern or a refinement it cannot guess).
 */
export function exampleFromSchema(schema: unknown): SchemaExample {
  if (typeof schema !== 'object' || schema === null || typeof (schema as { _zod?: unknown })._zod !== 'object') {
    return { ok: false, reason: 'not-zod' };
  }
  let json: Json;
  try {
    json = z.toJSONSchema(schema as ZodType, { io: 'input', unrepresentable: 'any', cycles: 'ref', reused: 'inline' }) as Json;
  } catch (error) {
    return { ok: false, reason: 'unreadable', detail: error instanceof Error ? error.message : String(error) };
  }
  const parse = (schema as ZodType).safeParse.bind(schema as ZodType);
  let detail: string | undefined;
  for (const full of [true, false]) {
    let value: unknown;
    try {
      value = generate(json, { root: json, full, depth: 0 });
      const result = parse(value);
      if (result.success) return { ok: true, value };
      const issue = result.error.issues[0];
      detail ??= issue === undefined ? undefined : `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`;
    } catch (error) {
      detail ??= error instanceof Error ? error.message : String(error);
    }
  }
  return detail === undefined ? { ok: false, reason: 'no-valid-example' } : { ok: false, reason: 'no-valid-example', detail };
}

function generate(node: Json | undefined, walk: Walk): unknown {
  if (node === undefined || typeof node === 'boolean') return null;
  if (walk.depth > MAX_DEPTH) return null;
  const deeper: Walk = { ...walk, depth: walk.depth + 1 };
  const ref = node['$ref'];
  if (typeof ref === 'string') return generate(resolve(walk.root, ref), deeper);
  if ('default' in node) return structuredClone(node['default']);
  if ('const' in node) return structuredClone(node['const']);
  const enumValues = node['enum'];
  if (Array.isArray(enumValues) && enumValues.length > 0) return structuredClone(enumValues[0]);
  const examples = node['examples'];
  if (Array.isArray(examples) && examples.length > 0) return structuredClone(examples[0]);
  const options = (node['anyOf'] ?? node['oneOf']) as readonly Json[] | undefined;
  if (Array.isArray(options) && options.length > 0) {
    const preferred = options.find((o) => !(typeof o === 'object' && o['type'] === 'null')) ?? options[0];
    return generate(preferred, deeper);
  }
  const all = node['allOf'] as readonly Json[] | undefined;
  if (Array.isArray(all) && all.length > 0) {
    const parts = all.map((part) => generate(part, deeper));
    return parts.every((p) => typeof p === 'object' && p !== null && !Array.isArray(p)) ? Object.assign({}, ...parts) : parts[0];
  }
  let type = node['type'];
  if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? type[0];
  if (type === undefined && typeof node['properties'] === 'object') type = 'object';
  switch (type) {
    case 'string':
      return stringFor(node);
    case 'number':
    case 'integer':
      return numberFor(node, type === 'integer');
    case 'boolean':
      return false;
    case 'null':
      return null;
    case 'array':
      return arrayFor(node, deeper);
    case 'object':
      return objectFor(node, deeper);
    default:
      return null;
  }
}

function resolve(root: Json, ref: string): Json | undefined {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let at: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return typeof at === 'object' || typeof at === 'boolean' ? (at as Json) : undefined;
}

const FORMATS: Readonly<Record<string, string>> = {
  'date-time': '2024-01-01T00:00:00Z',
  date: '2024-01-01',
  time: '00:00:00',
  duration: 'PT1M',
  email: 'user@example.com',
  uri: 'https://example.com',
  url: 'https://example.com',
  hostname: 'example.com',
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
  uuid: '00000000-0000-4000-8000-000000000000',
  guid: '00000000-0000-4000-8000-000000000000',
  cidrv4: '192.0.2.0/24',
  cidrv6: '2001:db8::/32',
  base64: 'ZXhhbXBsZQ==',
  base64url: 'ZXhhbXBsZQ',
  nanoid: 'V1StGXR8_Z5jdHi6B-myT',
  cuid: 'cjld2cjxh0000qzrmn831i7rn',
  cuid2: 'tz4a98xxat96iws9zmbrgj3a',
  ulid: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
  emoji: '🙂',
};

function stringFor(node: { readonly [key: string]: unknown }): string {
  const format = typeof node['format'] === 'string' ? FORMATS[node['format']] : undefined;
  let text = format ?? 'example';
  const min = typeof node['minLength'] === 'number' ? node['minLength'] : 0;
  const max = typeof node['maxLength'] === 'number' ? node['maxLength'] : Infinity;
  if (text.length < min) text = text + 'x'.repeat(min - text.length);
  if (text.length > max) text = 'x'.repeat(Math.max(0, Math.min(max, Math.max(min, 1))));
  return text;
}

function numberFor(node: { readonly [key: string]: unknown }, integer: boolean): number {
  // zod writes ±Number.MAX_SAFE_INTEGER as the bounds of a plain integer: no real bound.
  const num = (key: string): number | undefined => {
    const value = node[key];
    return typeof value === 'number' && Math.abs(value) < Number.MAX_SAFE_INTEGER ? value : undefined;
  };
  const step = integer ? 1 : 0.5;
  const exclusiveMin = num('exclusiveMinimum');
  const exclusiveMax = num('exclusiveMaximum');
  const low = num('minimum') ?? (exclusiveMin === undefined ? undefined : exclusiveMin + step);
  const high = num('maximum') ?? (exclusiveMax === undefined ? undefined : exclusiveMax - step);
  // 1 reads best (one replica, one item); otherwise the bound nearest to it.
  let value = Math.min(Math.max(1, low ?? -Infinity), high ?? Infinity);
  if (!Number.isFinite(value)) value = 1;
  const multipleOf = num('multipleOf');
  if (multipleOf !== undefined && multipleOf > 0) {
    value = Math.ceil(value / multipleOf) * multipleOf;
    if (high !== undefined && value > high) value -= multipleOf;
  }
  return integer ? Math.ceil(value) : value;
}

function arrayFor(node: { readonly [key: string]: unknown }, walk: Walk): unknown[] {
  const prefix = node['prefixItems'];
  if (Array.isArray(prefix)) return prefix.map((item: Json) => generate(item, walk));
  const min = typeof node['minItems'] === 'number' ? node['minItems'] : 0;
  const max = typeof node['maxItems'] === 'number' ? node['maxItems'] : Infinity;
  const count = Math.min(max, Math.max(min, walk.full ? 1 : 0));
  return Array.from({ length: count }, () => generate(node['items'] as Json | undefined, walk));
}

function objectFor(node: { readonly [key: string]: unknown }, walk: Walk): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const properties = (typeof node['properties'] === 'object' && node['properties'] !== null ? node['properties'] : {}) as Record<string, Json>;
  const required = new Set(Array.isArray(node['required']) ? (node['required'] as string[]) : []);
  for (const [key, property] of Object.entries(properties)) {
    if (walk.full || required.has(key)) defineOwn(out, key, generate(property, walk));
  }
  const extra = node['additionalProperties'];
  const wanted = typeof node['minProperties'] === 'number' ? node['minProperties'] : 0;
  if (typeof extra === 'object' && extra !== null && Object.keys(properties).length === 0 && (walk.full || wanted > 0)) {
    const names = node['propertyNames'] as { readonly enum?: readonly unknown[] } | undefined;
    const key = typeof names?.enum?.[0] === 'string' ? names.enum[0] : 'key';
    defineOwn(out, key, generate(extra as Json, walk));
  }
  return out;
}

/** Sets an own property, even one named `__proto__`. */
function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
