/**
 * The `describe` option: what a loop declares where its code cannot know. Declared texts appear in
 * their sections, in the document's language; the rest says "not declared"; bad declarations are
 * refused when the loop is defined, naming the field.
 */
import { describe, expect, it } from 'vitest';
import { of } from 'rxjs';
import { z } from 'zod';
import { createMemoryStore, defineKind, defineLoop, describeLoops } from 'rx-reconcile';
import type { Loop } from 'rx-reconcile';
import type { LoopDocs } from '../../operators/describe/loop-docs.js';

async function describedWith(describeOption: LoopDocs | undefined, extra: Record<string, unknown> = {}, language: 'en' | 'zh' = 'en'): Promise<string> {
  const loop = defineLoop({ name: 'shop', store: createMemoryStore(), kind: 'Order', reconcile: () => undefined, ...(describeOption === undefined ? {} : { describe: describeOption }), ...extra });
  try {
    return describeLoops([loop], { language });
  } finally {
    await loop.stop();
  }
}

function define(describeOption: unknown): () => Loop {
  return () => defineLoop({ name: 'shop', store: createMemoryStore(), kind: 'Order', reconcile: () => undefined, describe: describeOption as LoopDocs });
}

describe('the describe option', () => {
  it('says "not declared" for every text the loop does not declare, naming the field', async () => {
    const markdown = await describedWith(undefined);
    for (const field of ['owners', 'observe', 'compare', 'corrections', 'conflicts']) expect(markdown, field).toContain(`not declared (\`describe.${field}\`)`);
    const zh = await describedWith(undefined, {}, 'zh');
    expect(zh).toContain('谁可以修改：未声明（`describe.owners`）');
  });

  it('prints declared texts in their sections, in the document\'s language (then English, then Chinese)', async () => {
    const docs: LoopDocs = {
      owners: ['the checkout service', { en: 'support staff (refunds)', zh: '客服（退款）' }],
      observe: { zh: '只读支付网关' },
      compare: 'paid amount against the order total',
      corrections: [{ difference: 'a paid order has no invoice', action: { en: 'create the invoice', zh: '创建发票' }, guarantee: 'invoice id = order id' }],
      conflicts: { en: 'The billing loop owns `status.invoice`; this loop never writes it.', zh: '计费闭环拥有 `status.invoice`；此闭环从不写它。' },
    };
    const en = await describedWith(docs);
    expect(en).toContain('- Who may change it: the checkout service, support staff (refunds)');
    expect(en).toContain('- Declared: 只读支付网关'); // only Chinese given: used in English too
    expect(en).toContain('- Declared: paid amount against the order total');
    expect(en).toContain('| a paid order has no invoice | create the invoice | invoice id = order id |');
    expect(en).toContain('- Declared: The billing loop owns `status.invoice`; this loop never writes it.');
    const zh = await describedWith(docs, {}, 'zh');
    expect(zh).toContain('- 谁可以修改：the checkout service、客服（退款）');
    expect(zh).toContain('| a paid order has no invoice | 创建发票 | invoice id = order id |');
    expect(zh).toContain('- 声明：计费闭环拥有 `status.invoice`；此闭环从不写它。');
  });

  it('keeps a declared text from breaking its table or list (pipes, line breaks)', async () => {
    const markdown = await describedWith({ corrections: [{ difference: 'a | b', action: 'line one\nline two', guarantee: 'ok' }], owners: 'ops\n- injected item' });
    expect(markdown).toContain('| a \\| b | line one line two | ok |');
    expect(markdown).toContain('- Who may change it: ops - injected item');
    expect(markdown).not.toMatch(/^- injected item/m);
  });

  it('generates a desired-state example from the loop\'s schema (a typed kind), and checks a declared one against it', async () => {
    const Order = defineKind('Order', { spec: z.object({ sku: z.string().min(3), quantity: z.number().int().min(1).max(99), express: z.boolean().default(false), tags: z.array(z.enum(['gift', 'fragile'])).optional() }) });
    const loop = defineLoop({ name: 'orders', store: createMemoryStore(), kind: Order, reconcile: () => undefined });
    try {
      const markdown = describeLoops([loop]);
      expect(markdown).toContain(['```yaml', '# desired-state example: generated from the schema, and passes it', 'kind: Order', 'metadata:', '  name: example', 'spec:', '  sku: example', '  quantity: 1', '  express: false', '  tags:', '    - gift', '```'].join('\n'));
    } finally {
      await loop.stop();
    }
    const declared = defineLoop({ name: 'orders', store: createMemoryStore(), kind: Order, reconcile: () => undefined, describe: { example: { sku: 'ab', quantity: 3 } } });
    try {
      const markdown = describeLoops([declared]);
      expect(markdown).toContain('**The declared example fails the loop\'s `schema`**: `sku: Too small: expected string to have >=3 characters`.');
      expect(markdown).toContain('# desired-state example: declared (describe.example), fails the schema');
    } finally {
      await declared.stop();
    }
  });

  it('says how to get an example when the loop has no schema', async () => {
    expect(await describedWith(undefined)).toContain('Desired-state example: none — the loop has no `schema` to generate one from');
    expect(await describedWith({ example: { total: 12.5, currency: 'EUR' } })).toContain(['# desired-state example: declared (describe.example)', 'kind: Order', 'metadata:', '  name: example', 'spec:', '  total: 12.5', '  currency: EUR'].join('\n'));
  });

  it('refuses bad declarations when the loop is defined, naming the field and the fix', () => {
    expect(define({ ownrs: 'ops' })).toThrow(/defineLoop "shop": describe: unknown option "ownrs": did you mean "owners"\?/);
    expect(define({ owners: '' })).toThrow(/describe: owners must be a non-empty string, or \{ en\?, zh\? \} \(got ""\)/);
    expect(define({ owners: 42 })).toThrow(/describe: owners must be a text or a list of texts/);
    expect(define({ observe: { fr: 'lit' } })).toThrow(/describe: unknown option "observe\.fr".*observe must have en or zh/);
    expect(define({ corrections: [{ difference: 'x', action: 'y' }] })).toThrow(/describe: corrections\.0\.guarantee/);
    expect(define('just text')).toThrow(/describe must be an object \{ owners\?, observe\?/);
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    expect(define({ example: cycle })).toThrow(/describe: example must be plain JSON data/);
    expect(define({ example: () => 1 })).toThrow(/describe: example must be plain JSON data/);
    expect(() => defineLoop({ name: 'm', desired$: of({}), reconcile: () => undefined, describe: { conflict: 'x' } as unknown as LoopDocs })).toThrow(
      /defineLoop "m": describe: unknown option "conflict": did you mean "conflicts"\?/,
    );
  });

  it('keeps __proto__ and constructor keys of a declared example as data', async () => {
    const example = JSON.parse('{"__proto__": {"polluted": true}, "constructor": "x"}') as unknown;
    const markdown = await describedWith({ example });
    expect(markdown).toContain('spec:\n  __proto__:\n    polluted: true\n  constructor: x');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
