/**
 * Desired-state examples generated from zod schemas: small, valid (the schema accepts them), and
 * never an example that fails its own schema — when none can be made, the reason says so.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import type { ZodType } from 'zod';
import { exampleFromSchema } from '../../operators/describe/schema-example.js';

describe('exampleFromSchema', () => {
  it('uses defaults, enums, formats and bounds', () => {
    const schema = z.object({
      name: z.string().min(10),
      short: z.string().max(3),
      replicas: z.number().int().min(3).max(9).multipleOf(3),
      ratio: z.number().gt(0).lt(1),
      image: z.string().default('nginx:1.19'),
      mode: z.enum(['fast', 'safe']),
      at: z.iso.datetime(),
      mail: z.email(),
      id: z.uuid(),
      site: z.url(),
      labels: z.record(z.string(), z.string()),
      ports: z.array(z.number().int()).min(2),
      pair: z.tuple([z.string(), z.boolean()]),
      maybe: z.string().nullable(),
      kind: z.literal('web'),
      nested: z.object({ deep: z.object({ on: z.boolean() }) }),
    });
    const result = exampleFromSchema(schema);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(schema.safeParse(result.value).success).toBe(true);
    expect(result.value).toMatchObject({ name: 'examplexxx', short: 'x', replicas: 3, image: 'nginx:1.19', mode: 'fast', kind: 'web', pair: ['example', false], labels: { key: 'example' }, ports: [1, 1] });
  });

  it('handles unions, recursion and transforms (input side)', () => {
    interface Tree {
      name: string;
      children?: Tree[] | undefined;
    }
    const tree: ZodType<Tree> = z.lazy(() => z.object({ name: z.string(), children: z.array(tree).optional() }));
    for (const schema of [
      z.union([z.object({ type: z.literal('a'), size: z.number() }), z.object({ type: z.literal('b') })]),
      z.discriminatedUnion('type', [z.object({ type: z.literal('x'), n: z.number() }), z.object({ type: z.literal('y') })]),
      z.object({ tree }),
      z.object({ count: z.string().transform((s) => s.length) }),
      z.object({ port: z.coerce.number().int().min(1) }),
    ] as ZodType[]) {
      const result = exampleFromSchema(schema);
      expect(result.ok, JSON.stringify(result)).toBe(true);
      if (result.ok) expect(schema.safeParse(result.value).success).toBe(true);
    }
  });

  it('says why when it cannot make a valid example, and never returns one that fails', () => {
    const refined = z.object({ code: z.string().regex(/^[A-Z]{3}-\d{4}$/) });
    const result = exampleFromSchema(refined);
    expect(result).toMatchObject({ ok: false, reason: 'no-valid-example' });
    expect(result.ok ? '' : result.detail).toMatch(/^code: /);
    expect(exampleFromSchema({ safeParse: () => ({ success: true, data: 1 }) })).toEqual({ ok: false, reason: 'not-zod' });
    expect(exampleFromSchema(null)).toEqual({ ok: false, reason: 'not-zod' });
    const custom = z.object({ at: z.custom<Date>((v) => v instanceof Date) });
    expect(exampleFromSchema(custom).ok).toBe(false);
  });

  it('never gives an example its schema refuses (generated object schemas)', () => {
    const leaf: fc.Arbitrary<ZodType> = fc.oneof(
      fc.record({ min: fc.nat(12), extra: fc.nat(5) }).map(({ min, extra }) => z.string().min(min).max(min + extra)),
      fc.record({ min: fc.integer({ min: -50, max: 50 }), span: fc.nat(20), step: fc.constantFrom(1, 2, 5) }).map(({ min, span, step }) =>
        z.number().int().min(min).max(min + span + step).multipleOf(step),
      ),
      fc.constant(z.boolean()),
      fc.uniqueArray(fc.stringMatching(/^[a-z]{1,6}$/), { minLength: 1, maxLength: 4 }).map((values) => z.enum(values as [string, ...string[]])),
      fc.constantFrom(z.email(), z.uuid(), z.iso.date(), z.iso.datetime(), z.ipv4(), z.url()),
    );
    const schema: fc.Arbitrary<ZodType> = fc.letrec<{ node: ZodType }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), tie('node'), { maxKeys: 4 }).map((shape) => z.object(shape)),
        fc.record({ item: tie('node'), min: fc.nat(3) }).map(({ item, min }) => z.array(item).min(min)),
        tie('node').map((s) => s.optional()),
        tie('node').map((s) => s.nullable()),
        fc.tuple(tie('node'), tie('node')).map(([a, b]) => z.union([a, b])),
      ),
    })).node;
    fc.assert(
      fc.property(schema, (s) => {
        const result = exampleFromSchema(s);
        if (result.ok) expect(s.safeParse(result.value).success).toBe(true);
        else expect(result.reason).toBe('no-valid-example');
      }),
      { numRuns: 300, seed: 18 },
    );
  });
});
