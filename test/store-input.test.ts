/**
 * The memory store refuses bad input clearly and never corrupts what it holds (issue 10, item 7):
 * cycles, special keys, metadata of the wrong shape, oversized resources. Each case stores nothing.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import { InvalidArgumentError, ResourceTooLargeError, ValidationError, createMemoryStore, deepEqual } from 'rx-reconcile';
import type { NewResource } from 'rx-reconcile';

function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  return Object.isFrozen(value) && Object.keys(value).every((k) => isDeepFrozen((value as Record<string, unknown>)[k]));
}

/** JSON text with the keys that trip naive code, as a parser hands it over. */
const specialKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'valueOf', 'toString', 'hasOwnProperty', 'a', '');
const jsonDocument = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null)),
    fc.array(tie('value'), { maxLength: 4 }),
    tie('object'),
  ),
  object: fc
    .array(fc.tuple(fc.oneof(specialKey, fc.string({ maxLength: 6 })), tie('value')), { maxLength: 5 })
    .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`)
    .map((text) => JSON.parse(text) as Record<string, unknown>),
}));

describe('memory store: JSON documents with special keys (property)', () => {
  it('stores own data keys as data, returns them frozen and equal, survives JSON, and a same-value update is a no-op', async () => {
    await fc.assert(
      fc.asyncProperty(jsonDocument.object, async (spec) => {
        const store = createMemoryStore();
        const text = JSON.stringify(spec);
        const created = await store.create('Doc', { metadata: { name: 'd' }, spec });
        // The key set survives: a __proto__ key is still an own key, never a prototype.
        expect(JSON.stringify(created.spec)).toBe(text);
        expect(Object.getPrototypeOf(created.spec)).toBe(Object.prototype);
        expect(isDeepFrozen(created)).toBe(true);
        expect(deepEqual(created.spec, JSON.parse(text))).toBe(true);
        // Writing the same value again (a fresh parse) changes nothing: same generation, same version.
        const again = await store.update({ ...created, spec: JSON.parse(text) as unknown });
        expect(again.metadata.generation).toBe(1);
        expect(again.metadata.version).toBe(created.metadata.version);
        // The caller's object is not kept: mutating it later changes nothing stored.
        (spec as Record<string, unknown>)['late'] = 1;
        expect(JSON.stringify((await store.get('Doc', 'd'))?.spec)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('an own __proto__ key does not reach Object.prototype or the stored object prototype', async () => {
    const store = createMemoryStore();
    const spec = JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}') as object;
    const created = await store.create('Doc', { metadata: { name: 'd' }, spec });
    expect(Object.keys(created.spec as object)).toEqual(['__proto__', 'constructor']);
    expect((created.spec as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.isFrozen(Object.getOwnPropertyDescriptor(created.spec, '__proto__')?.value)).toBe(true);
  });

  it('an own valueOf or constructor key never breaks equality (a no-op update stays a no-op)', async () => {
    const store = createMemoryStore();
    const created = await store.create('Doc', { metadata: { name: 'd' }, spec: JSON.parse('{"valueOf":"x","constructor":{"a":1}}') });
    const again = await store.update({ ...created, spec: JSON.parse('{"constructor":{"a":1},"valueOf":"x"}') });
    expect(again).toBe(created);
  });
});

describe('memory store: refused input stores nothing', () => {
  const refusals: [string, NewResource, RegExp | (new (...args: never[]) => Error)][] = [];
  const cyclic: Record<string, unknown> = { a: { b: 1 } };
  (cyclic['a'] as Record<string, unknown>)['back'] = cyclic;
  refusals.push(['a cyclic spec', { metadata: { name: 'x' }, spec: cyclic }, /spec\.a\.back refers back to one of its own parents/]);
  refusals.push(['labels: null', { metadata: { name: 'x', labels: null as never }, spec: {} }, ValidationError]);
  refusals.push(['a label that is a number', { metadata: { name: 'x', labels: { team: 5 as never } }, spec: {} }, /metadata\.labels\.team/]);
  refusals.push(['annotations as an array', { metadata: { name: 'x', annotations: ['a'] as never }, spec: {} }, /metadata\.annotations/]);
  refusals.push(['finalizers: "x"', { metadata: { name: 'x', finalizers: 'x' as never }, spec: {} }, /metadata\.finalizers/]);
  refusals.push(['a finalizer that is a number', { metadata: { name: 'x', finalizers: [7 as never] }, spec: {} }, /metadata\.finalizers\.0/]);
  refusals.push(['ownerReferences: null', { metadata: { name: 'x', ownerReferences: null as never }, spec: {} }, /metadata\.ownerReferences/]);
  refusals.push(['ownerReferences: [null]', { metadata: { name: 'x', ownerReferences: [null as never] }, spec: {} }, /metadata\.ownerReferences\.0/]);
  refusals.push(['ownerReferences: 5', { metadata: { name: 'x', ownerReferences: 5 as never }, spec: {} }, /metadata\.ownerReferences/]);
  refusals.push(['an owner reference without a name', { metadata: { name: 'x', ownerReferences: [{ kind: 'A' } as never] }, spec: {} }, /metadata\.ownerReferences\.0\.name/]);
  refusals.push(['a Date in the spec', { metadata: { name: 'x' }, spec: { at: new Date(0) } }, /spec\.at must be plain JSON data/]);
  refusals.push(['NaN in the status', { metadata: { name: 'x' }, spec: {}, status: { n: Number.NaN } }, /status\.n must be plain JSON data/]);
  refusals.push(['a spec nested 10,000 levels deep', { metadata: { name: 'x' }, spec: nested(10_000) }, /nested deeper than/]);

  for (const [what, resource, expected] of refusals) {
    it(`${what} is refused, naming the field, and nothing is stored or watched`, async () => {
      const store = createMemoryStore();
      const events: unknown[] = [];
      store.watch('Doc').subscribe((e) => e.type === 'synced' || events.push(e));
      const attempt = store.create('Doc', resource);
      if (expected instanceof RegExp) await expect(attempt).rejects.toThrow(expected);
      else await expect(attempt).rejects.toBeInstanceOf(expected);
      await expect(attempt).rejects.toHaveProperty('code');
      expect(store.size).toBe(0);
      expect(store.revision).toBe(0);
      expect(events).toEqual([]);
      expect(await store.list('Doc', { labels: { team: 'a' } })).toEqual([]); // the kind still lists
    });
  }

  it('an update with metadata of the wrong shape is refused and the stored resource is unchanged', async () => {
    const store = createMemoryStore();
    const created = await store.create('Doc', { metadata: { name: 'x', labels: { team: 'a' } }, spec: {} });
    await expect(store.update({ ...created, metadata: { ...created.metadata, labels: null as never } })).rejects.toBeInstanceOf(ValidationError);
    await expect(store.update({ ...created, metadata: { ...created.metadata, ownerReferences: [5 as never] } })).rejects.toThrow(
      /metadata\.ownerReferences\.0/,
    );
    expect(await store.get('Doc', 'x')).toBe(created);
    expect(await store.list('Doc', { labels: { team: 'a' } })).toEqual([created]);
  });

  it('a resource larger than maxResourceBytes is refused with ResourceTooLargeError naming where, on create, update and status', async () => {
    const store = createMemoryStore({ maxResourceBytes: 1000 });
    await expect(store.create('Doc', { metadata: { name: 'big' }, spec: { text: 'x'.repeat(2000) } })).rejects.toBeInstanceOf(
      ResourceTooLargeError,
    );
    const small = await store.create('Doc', { metadata: { name: 'small' }, spec: { text: 'x'.repeat(300) } });
    await expect(store.update({ ...small, spec: { text: 'x'.repeat(900) } })).rejects.toThrow(/larger than the store's limit of 1000 bytes/);
    await expect(store.updateStatus({ ...small, status: { log: 'y'.repeat(900) } })).rejects.toBeInstanceOf(ResourceTooLargeError);
    expect(await store.get('Doc', 'small')).toBe(small);
    expect(store.size).toBe(1);
  });

  it('a status write counts the rest of the resource as it is after every kind of write (update, status, deletion mark)', async () => {
    const store = createMemoryStore({ maxResourceBytes: 1000 });
    const small = await store.create('Doc', { metadata: { name: 'd', finalizers: ['keep'] }, spec: { text: 'x' } });
    // The spec grows: a status that fitted beside the small spec no longer fits.
    const grown = await store.update({ ...small, spec: { text: 'x'.repeat(500) } });
    await expect(store.updateStatus({ ...grown, status: { log: 'y'.repeat(300) } })).rejects.toBeInstanceOf(ResourceTooLargeError);
    const withStatus = await store.updateStatus({ ...grown, status: { log: 'y'.repeat(100) } });
    // Labels grow: the status write after it counts them too.
    const labelled = await store.update({ ...withStatus, metadata: { ...withStatus.metadata, labels: { note: 'z'.repeat(150) } } });
    await expect(store.updateStatus({ ...labelled, status: { log: 'y'.repeat(200) } })).rejects.toBeInstanceOf(ResourceTooLargeError);
    // The deletion mark keeps the rest as it was.
    await store.delete('Doc', 'd');
    const marked = (await store.get('Doc', 'd'))!;
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    await expect(store.updateStatus({ ...marked, status: { log: 'y'.repeat(200) } })).rejects.toBeInstanceOf(ResourceTooLargeError);
    const ok = await store.updateStatus({ ...marked, status: { log: 'y'.repeat(50) } });
    expect(ok.status).toEqual({ log: 'y'.repeat(50) });
    // What the store keeps is plain data: no extra enumerable keys, JSON as written.
    expect(Object.keys(ok)).toEqual(['kind', 'metadata', 'spec', 'status']);
    expect(JSON.parse(JSON.stringify(ok))).toEqual(ok);
  });

  it('kind options that are not { schema?: zod schema } are refused when given, naming the kind and the fix (a typo no longer turns validation off)', () => {
    const bad: [unknown, RegExp][] = [
      [{ schema: 42 }, /registerKind\("K", …\): schema must be a zod schema/],
      [{ schema: {} }, /schema must be a zod schema/],
      [{ schemas: z.object({}) }, /unknown option "schemas"/],
      [null, /options must be an object/],
      [[], /options must be an object/],
    ];
    for (const [options, message] of bad) {
      expect(() => createMemoryStore({ kinds: { K: options as never } }), JSON.stringify(options)).toThrow(message);
      expect(() => createMemoryStore().registerKind('K', options as never), JSON.stringify(options)).toThrow(InvalidArgumentError);
    }
    expect(() => createMemoryStore({ kinds: { K: {} } })).not.toThrow();
  });

  it('list options of the wrong shape are refused, never read as "match nothing" or "match all"', async () => {
    const store = createMemoryStore();
    await store.create('Doc', { metadata: { name: 'a', labels: { team: 'x' } }, spec: {} });
    for (const [options, message] of [
      [null, /options must be an object/],
      [5, /options must be an object/],
      [{ labels: 5 }, /labels must be an object/],
      [{ labels: { team: 5 } }, /label "team" must be a string/],
      [{ namespace: 5 }, /namespace must be a string/],
      [{ label: { team: 'x' } }, /unknown option "label"/],
    ] as [unknown, RegExp][]) {
      await expect(store.list('Doc', options as never), JSON.stringify(options)).rejects.toThrow(message);
    }
    expect(await store.list('Doc', { labels: { team: 'x' } })).toHaveLength(1);
    expect(await store.list('Doc')).toHaveLength(1);
  });

  it('negative zero is kept as 0, as JSON (and so every store) gives it back', async () => {
    const store = createMemoryStore();
    const doc = await store.create('Doc', { metadata: { name: 'z' }, spec: { n: -0, list: [-0] } });
    expect(Object.is(doc.spec.n, 0)).toBe(true);
    expect(Object.is(doc.spec.list[0], 0)).toBe(true);
  });

  it('the default limit is 1.5 MiB: a 1 MiB spec is accepted, a 2 MiB one refused', async () => {
    const store = createMemoryStore();
    await expect(store.create('Doc', { metadata: { name: 'a' }, spec: { text: 'x'.repeat(1 << 20) } })).resolves.toBeDefined();
    await expect(store.create('Doc', { metadata: { name: 'b' }, spec: { text: 'x'.repeat(2 << 20) } })).rejects.toBeInstanceOf(
      ResourceTooLargeError,
    );
  });

  it('options of the wrong kind are refused when the store is made, naming the option', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1.5, '1000']) {
      expect(() => createMemoryStore({ maxResourceBytes: bad as number })).toThrow(InvalidArgumentError);
      expect(() => createMemoryStore({ maxResourceBytes: bad as number })).toThrow(/maxResourceBytes/);
    }
    expect(() => createMemoryStore({ history: -1 })).toThrow(/history must be an integer ≥ 0/);
  });
});

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { v: value };
  return value;
}
