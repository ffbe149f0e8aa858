/**
 * Every store write checks its metadata; a hand-written check answers for the common, well-formed
 * case before the zod schema runs. These guard that it never accepts what the schema refuses (a
 * store would then keep `labels: { team: 5 }` or an owner reference of the wrong shape).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWritableMetadata, metadataIssues } from '../src/metadata-schema.js';
import { createMemoryStore, ValidationError } from 'rx-reconcile';

const text = fc.oneof(fc.string(), fc.constantFrom('', '__proto__', 'constructor', 'a/b', 'prototype'));
const almost = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined));
const stringMap = fc.dictionary(text, fc.oneof({ weight: 5, arbitrary: fc.string() }, { weight: 1, arbitrary: almost }));
const ref = fc.record(
  {
    kind: almost,
    name: almost,
    namespace: almost,
    controller: fc.oneof(fc.boolean(), almost),
    uid: almost,
    extra: almost,
  },
  { requiredKeys: [] },
);
const metadata = fc.record(
  {
    labels: fc.oneof(stringMap, almost, fc.array(fc.string())),
    annotations: fc.oneof(stringMap, almost),
    finalizers: fc.oneof(fc.array(fc.oneof({ weight: 5, arbitrary: fc.string() }, { weight: 1, arbitrary: almost })), almost),
    ownerReferences: fc.oneof(fc.array(fc.oneof({ weight: 5, arbitrary: ref }, { weight: 1, arbitrary: almost })), almost),
  },
  { requiredKeys: [] },
);

describe('the metadata check', () => {
  it('accepts only what the schema accepts (random labels, annotations, finalizers and owner references)', () => {
    fc.assert(
      fc.property(metadata, (m) => {
        if (isWritableMetadata(m)) expect(metadataIssues(m)).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts well-formed metadata without asking the schema, __proto__ and constructor keys included', () => {
    const m = JSON.parse('{"labels":{"__proto__":"x","constructor":"y"},"finalizers":["f"],"ownerReferences":[{"kind":"K","name":"n","controller":true}]}') as object;
    expect(isWritableMetadata(m)).toBe(true);
    expect(metadataIssues(m)).toEqual([]);
  });

  it.each([
    ['a number label', { labels: { team: 5 } }],
    ['labels: null', { labels: null }],
    ['labels as an array', { labels: ['a'] }],
    ['a class instance as labels', { labels: new Map() }],
    ['an empty finalizer', { finalizers: [''] }],
    ['an owner reference with an unknown field', { ownerReferences: [{ kind: 'K', name: 'n', extra: 1 }] }],
    ['an owner reference whose name has a "/"', { ownerReferences: [{ kind: 'K', name: 'a/b' }] }],
    ['an owner reference of 5', { ownerReferences: [5] }],
    ['a symbol-keyed label', { labels: { [Symbol('s')]: 'x' } }],
  ])('leaves %s to the schema, which refuses it', (_what, m) => {
    expect(isWritableMetadata(m)).toBe(false);
    expect(metadataIssues(m).length).toBeGreaterThan(0);
  });

  it('a store still refuses bad metadata with a ValidationError naming the field', async () => {
    const store = createMemoryStore();
    await expect(store.create('T', { metadata: { name: 'a', labels: { team: 5 as unknown as string } }, spec: {} })).rejects.toThrow(ValidationError);
    await expect(store.create('T', { metadata: { name: 'a', labels: { team: 5 as unknown as string } }, spec: {} })).rejects.toThrow(/metadata\.labels\.team/);
  });
});
